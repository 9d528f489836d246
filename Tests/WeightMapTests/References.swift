// Slow, obviously correct references for the fast code, and test inputs.
import Foundation
import Raster
import WeightMap

/// SplitMix64: a small, explicit, seedable generator (no global state).
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

enum Reference {
  /// Squared distance to the nearest site by trying every site; +∞ without sites.
  static func squaredEDT(width: Int, height: Int, isSite: [Bool]) -> [Double] {
    var sites: [(Int, Int)] = []
    for y in 0..<height { for x in 0..<width where isSite[y * width + x] { sites.append((x, y)) } }
    var out = [Double](repeating: .infinity, count: width * height)
    for y in 0..<height {
      for x in 0..<width {
        for (sx, sy) in sites {
          let d = Double((x - sx) * (x - sx) + (y - sy) * (y - sy))
          if d < out[y * width + x] { out[y * width + x] = d }
        }
      }
    }
    return out
  }

  /// Separation by the definition: a pixel of instance i with an
  /// 8-neighbour of another instance j > 0 becomes 0 (original labels).
  static func separate(_ labels: LabelImage) -> LabelImage {
    var out = labels
    for y in 0..<labels.height {
      for x in 0..<labels.width {
        let i = labels[x, y]
        guard i != 0 else { continue }
        for dy in -1...1 {
          for dx in -1...1 {
            let nx = x + dx
            let ny = y + dy
            guard nx >= 0, nx < labels.width, ny >= 0, ny < labels.height else { continue }
            let j = labels[nx, ny]
            if j != 0 && j != i { out[x, y] = 0 }
          }
        }
      }
    }
    return out
  }

  /// The border term by the definition: every d_i from every instance
  /// pixel, the two smallest over distinct instances.
  static func borderTerm(
    _ instances: LabelImage, w0: Double, sigma: Double, everywhere: Bool
  ) -> [Double] {
    var pixels: [UInt32: [(Int, Int)]] = [:]
    for y in 0..<instances.height {
      for x in 0..<instances.width where instances[x, y] != 0 {
        pixels[instances[x, y], default: []].append((x, y))
      }
    }
    var out = [Double](repeating: 0, count: instances.pixelCount)
    guard pixels.count >= 2 else { return out }
    for y in 0..<instances.height {
      for x in 0..<instances.width {
        guard everywhere || instances[x, y] == 0 else { continue }
        var d: [Double] = []
        for (_, ps) in pixels {
          var best = Double.infinity
          for (px, py) in ps {
            best = min(best, Double((x - px) * (x - px) + (y - py) * (y - py)).squareRoot())
          }
          d.append(best)
        }
        d.sort()
        let s = d[0] + d[1]
        out[y * instances.width + x] = w0 * exp(-(s * s) / (2 * sigma * sigma))
      }
    }
    return out
  }

  /// The border term from one full distance transform per instance (itself
  /// checked against brute force): for larger images than `borderTerm`.
  static func borderTermByEDT(
    _ instances: LabelImage, w0: Double, sigma: Double, everywhere: Bool
  ) -> [Double] {
    let ids = Set(instances.samples).subtracting([0])
    let n = instances.pixelCount
    var out = [Double](repeating: 0, count: n)
    guard ids.count >= 2 else { return out }
    var d1 = [Double](repeating: .infinity, count: n)
    var d2 = [Double](repeating: .infinity, count: n)
    for id in ids {
      let d = DistanceTransform.squaredEuclidean(
        width: instances.width, height: instances.height, isSite: instances.samples.map { $0 == id })
      for i in 0..<n {
        if d[i] < d1[i] {
          d2[i] = d1[i]
          d1[i] = d[i]
        } else if d[i] < d2[i] {
          d2[i] = d[i]
        }
      }
    }
    for i in 0..<n where everywhere || instances.samples[i] == 0 {
      let s = d1[i].squareRoot() + d2[i].squareRoot()
      out[i] = w0 * exp(-(s * s) / (2 * sigma * sigma))
    }
    return out
  }

  /// Balanced class weights N / (K N_k) over the classes present.
  static func balanced(_ instances: [LabelImage]) -> (Double, Double) {
    var n0 = 0
    var n1 = 0
    for im in instances { for v in im.samples { if v == 0 { n0 += 1 } else { n1 += 1 } } }
    let k = Double((n0 > 0 ? 1 : 0) + (n1 > 0 ? 1 : 0))
    let n = Double(n0 + n1)
    return (n0 > 0 ? n / (k * Double(n0)) : 1, n1 > 0 ? n / (k * Double(n1)) : 1)
  }
}

enum Inputs {
  /// A Voronoi tessellation of `count` random seeds with random ids: every
  /// cell touches its neighbours.
  static func voronoi(width: Int, height: Int, count: Int, using rng: inout SplitMix64) -> LabelImage {
    let seeds = (0..<count).map { _ in
      (Int.random(in: 0..<width, using: &rng), Int.random(in: 0..<height, using: &rng),
       UInt32.random(in: 1...UInt32.max, using: &rng))
    }
    var im = LabelImage(width: width, height: height)
    for y in 0..<height {
      for x in 0..<width {
        var best = Int.max
        for (sx, sy, id) in seeds {
          let d = (x - sx) * (x - sx) + (y - sy) * (y - sy)
          if d < best {
            best = d
            im[x, y] = id
          }
        }
      }
    }
    return im
  }

  /// Ids to draw from: non-contiguous, including the largest UInt32.
  static let ids: [UInt32] = [7, 1000, 4_000_000_000, 3, 65_536, 1, 2, 255, UInt32.max, 42, 9, 12_345]

  /// Touching blobs: pixels take the id of the nearest of a few seeds when
  /// within a random radius, else background; then a little noise.
  static func blobs(width: Int, height: Int, count: Int, using rng: inout SplitMix64) -> LabelImage {
    var seeds: [(Double, Double, Double, UInt32)] = []
    for i in 0..<count {
      seeds.append((
        Double.random(in: -2...Double(width + 1), using: &rng),
        Double.random(in: -2...Double(height + 1), using: &rng),
        Double.random(in: 2...max(2, Double(max(width, height)) / 2), using: &rng),
        ids[i % ids.count]))
    }
    var im = LabelImage(width: width, height: height)
    for y in 0..<height {
      for x in 0..<width {
        var best = Double.infinity
        var id: UInt32 = 0
        for (sx, sy, r, l) in seeds {
          let d = ((Double(x) - sx) * (Double(x) - sx) + (Double(y) - sy) * (Double(y) - sy)).squareRoot()
          if d <= r && d < best {
            best = d
            id = l
          }
        }
        if count > 0, Int.random(in: 0..<40, using: &rng) == 0 { id = ids[Int.random(in: 0..<count, using: &rng) % ids.count] }
        im[x, y] = id
      }
    }
    return im
  }
}

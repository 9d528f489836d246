import Raster
import Testing
import WeightMap

@testable import UNet

/// Slow, plain definitions of the watershed's parts, for small images.
enum WatershedReference {
  /// The face neighbours of `p` in `d` slices of `w × h` (4 in an image, 6 in a volume).
  static func neighbours(_ p: Int, _ w: Int, _ h: Int, _ d: Int = 1) -> [Int] {
    let (x, y, z) = (p % w, (p / w) % h, p / (w * h))
    return [(x - 1, y, z), (x + 1, y, z), (x, y - 1, z), (x, y + 1, z), (x, y, z - 1), (x, y, z + 1)]
      .filter { $0.0 >= 0 && $0.0 < w && $0.1 >= 0 && $0.1 < h && $0.2 >= 0 && $0.2 < d }
      .map { ($0.2 * h + $0.1) * w + $0.0 }
  }

  /// Reconstruction by dilation as its definition iterates it: r ← min(f,
  /// max(r, r of the neighbours)) inside the mask until nothing changes.
  static func reconstruction(marker: [Double], under f: [Double], mask: [Bool], w: Int, h: Int, d: Int = 1) -> [Double] {
    var r = marker
    var changed = true
    while changed {
      changed = false
      for p in r.indices where mask[p] {
        let v = min(f[p], neighbours(p, w, h, d).filter { mask[$0] }.map { r[$0] }.reduce(r[p], max))
        if v != r[p] {
          r[p] = v
          changed = true
        }
      }
    }
    return r
  }

  /// The pixels of the plateau (4-connected, equal value, inside the mask) of `p`.
  static func plateau(_ p: Int, _ r: [Double], _ mask: [Bool], _ w: Int, _ h: Int, _ d: Int = 1) -> Set<Int> {
    var seen: Set<Int> = [p]
    var frontier = [p]
    while let q = frontier.popLast() {
      for n in neighbours(q, w, h, d) where mask[n] && r[n] == r[q] && !seen.contains(n) {
        seen.insert(n)
        frontier.append(n)
      }
    }
    return seen
  }

  /// Regional maxima of the reconstruction of f − h, numbered by their first pixel in raster order.
  static func seeds(_ f: [Double], mask: [Bool], w: Int, h: Int, d: Int = 1, height: Double) -> [UInt32] {
    let r = reconstruction(marker: f.map { $0 - height }, under: f, mask: mask, w: w, h: h, d: d)
    var labels = [UInt32](repeating: 0, count: f.count)
    var visited = Set<Int>()
    var next: UInt32 = 0
    for p in f.indices where mask[p] && !visited.contains(p) {
      let region = plateau(p, r, mask, w, h, d)
      visited.formUnion(region)
      let higher = region.contains { q in neighbours(q, w, h, d).contains { mask[$0] && r[$0] > r[q] } }
      if !higher {
        next += 1
        for q in region { labels[q] = next }
      }
    }
    return labels
  }

  /// For each seed id s, at each pixel the highest lowest f of a path
  /// inside the mask from a pixel of s (−∞ when none), by relaxation.
  static func passes(_ f: [Double], mask: [Bool], seeds: [UInt32], w: Int, h: Int, d: Int = 1) -> [UInt32: [Double]] {
    var result: [UInt32: [Double]] = [:]
    for s in Set(seeds) where s != 0 {
      var b = seeds.indices.map { seeds[$0] == s ? f[$0] : -Double.infinity }
      var changed = true
      while changed {
        changed = false
        for p in b.indices where mask[p] {
          let v = min(f[p], neighbours(p, w, h, d).filter { mask[$0] }.map { b[$0] }.reduce(b[p], max))
          if v > b[p] {
            b[p] = v
            changed = true
          }
        }
      }
      result[s] = b
    }
    return result
  }
}

@Suite("Watershed: h-maxima seeds and flooding against plain references")
struct WatershedTests {
  func randomCase(_ rng: inout SplitMix64) -> (f: [Double], mask: [Bool], w: Int, h: Int) {
    let w = Int(rng.next() % 9) + 1, h = Int(rng.next() % 8) + 1
    // Heights on a coarse grid, so that plateaus and ties are common.
    let f = (0..<w * h).map { _ in Double(rng.next() % 6) / 2 }
    let density = rng.uniform(0.5, 1)
    let mask = (0..<w * h).map { _ in rng.uniform(0, 1) < density }
    return (f, mask, w, h)
  }

  @Test func reconstructionAndSeedsMatchTheDefinitions() {
    var rng = SplitMix64(seed: 1994)
    for trial in 0..<400 {
      let (f, mask, w, h) = randomCase(&rng)
      let height = [0, 0.5, 1, 1.25, 10][trial % 5]
      let marker = f.map { $0 - height }
      let fast = Watershed.reconstruction(marker: marker, under: f, mask: mask, width: w, height: h)
      let slow = WatershedReference.reconstruction(marker: marker, under: f, mask: mask, w: w, h: h)
      #expect(mask.indices.filter { mask[$0] }.allSatisfy { fast[$0] == slow[$0] }, "trial \(trial)")
      let seeds = Watershed.seeds(f, mask: mask, width: w, height: h, h: height)
      #expect(seeds.samples == WatershedReference.seeds(f, mask: mask, w: w, h: h, height: height), "trial \(trial)")
      // Every component of the mask has a seed.
      let components = ConnectedComponents.label(Image(width: w, height: h, samples: mask.map { $0 ? UInt8(1) : 0 }))
      let seeded = Set(seeds.samples.indices.filter { seeds.samples[$0] != 0 }.map { components.samples[$0] })
      #expect(seeded == Set(components.samples.filter { $0 != 0 }), "trial \(trial)")
    }
  }

  @Test func floodGivesEachPixelASeedOfTheHighestPass() {
    var rng = SplitMix64(seed: 1991)
    for trial in 0..<400 {
      let (f, mask, w, h) = randomCase(&rng)
      let seeds = Watershed.seeds(f, mask: mask, width: w, height: h, h: [0, 0.5, 1][trial % 3])
      let labels = Watershed.flood(f, mask: mask, seeds: seeds).samples
      let passes = WatershedReference.passes(f, mask: mask, seeds: seeds.samples, w: w, h: h)
      for p in labels.indices {
        guard mask[p] else {
          #expect(labels[p] == 0, "trial \(trial), pixel \(p) outside the mask")
          continue
        }
        // Every mask pixel is reached (each component has a seed) by a seed of the highest pass.
        let best = passes.values.map { $0[p] }.max()!
        #expect(labels[p] != 0 && passes[labels[p]]![p] == best, "trial \(trial), pixel \(p)")
        if seeds.samples[p] != 0 { #expect(labels[p] == seeds.samples[p]) }
      }
      // Each region is connected.
      for id in Set(labels) where id != 0 {
        let region = labels.map { $0 == id ? UInt8(1) : 0 }
        #expect(ConnectedComponents.label(Image(width: w, height: h, samples: region)).samples.max() == 1, "trial \(trial), region \(id)")
      }
    }
  }

  /// Two discs of radius 9 whose centres are 14 px apart overlap in a
  /// neck 11 px wide: one component, two distance maxima about 9.2 px high
  /// over a pass of 6 px.
  static func touchingDiscs() -> Image<Float> {
    var p = Image<Float>(width: 48, height: 28)
    for y in 0..<28 {
      for x in 0..<48 {
        let a = (x - 16) * (x - 16) + (y - 14) * (y - 14), b = (x - 30) * (x - 30) + (y - 14) * (y - 14)
        p[x, y] = a <= 81 || b <= 81 ? 0.9 : 0.1
      }
    }
    return p
  }

  @Test func distanceSeedsSplitTouchingDiscs() {
    let p = Self.touchingDiscs()
    let components = InstanceExtraction(.components).instances(of: p, threshold: 0.5)
    #expect(components.samples.max() == 1)
    let split = InstanceExtraction(.watershed(seeds: .distance, seedHeight: 1)).instances(of: p, threshold: 0.5)
    #expect(split.samples.max() == 2)
    // The cut lies at the neck, x = 23: away from it and from the border
    // (where a pixel is as low as the pass and either seed may take it),
    // left of it is the left disc, right of it the right one.
    let distance = DistanceTransform.squaredEuclidean(width: 48, height: 28, isSite: p.samples.map { $0 < 0.5 })
    for y in 0..<28 {
      for x in 0..<48 where distance[y * 48 + x] >= 4 && abs(x - 23) >= 2 {
        #expect(split[x, y] == (x < 23 ? 1 : 2), "x \(x), y \(y)")
      }
    }
    let sizes = [1, 2].map { id in split.samples.filter { $0 == id }.count }
    #expect(abs(sizes[0] - sizes[1]) <= sizes[0] / 10, "\(sizes)")
    // Foreground is the same; background stays 0.
    #expect(split.samples.map { $0 != 0 } == components.samples.map { $0 != 0 })
    // A seed height above the dynamic (9.2 − 6 = 3.2 px) keeps them together.
    let merged = InstanceExtraction(.watershed(seeds: .distance, seedHeight: 4)).instances(of: p, threshold: 0.5)
    #expect(merged.samples == components.samples)
  }

  /// Two cells joined by a faint membrane (probability 0.6 where it should
  /// be low): one component at 0.5, two probability seeds.
  @Test func probabilitySeedsSplitAtAFaintBorder() {
    var p = Image<Float>(width: 20, height: 8, repeating: 0.95)
    for y in 0..<8 { p[10, y] = 0.6 }
    for x in 0..<20 { p[x, 0] = 0.05 }
    let components = InstanceExtraction(.components).instances(of: p, threshold: 0.5)
    #expect(components.samples.max() == 1)
    let split = InstanceExtraction(.watershed(seeds: .probability, seedHeight: 0.1)).instances(of: p, threshold: 0.5)
    #expect(split.samples.max() == 2)
    #expect(split[3, 4] == 1 && split[16, 4] == 2 && split[3, 0] == 0)
    // The border column goes to the seed that reaches it first: the left one.
    #expect((1..<8).allSatisfy { split[10, $0] == 1 })
    // A dip of 0.35 < h = 0.4: one cell.
    let one = InstanceExtraction(.watershed(seeds: .probability, seedHeight: 0.4)).instances(of: p, threshold: 0.5)
    #expect(one.samples == components.samples)
  }

  @Test func edgeCases() {
    // All foreground: distances are infinite; one flat height, one instance.
    let full = Image<Float>(width: 5, height: 4, repeating: 1)
    #expect(InstanceExtraction(.watershed(seeds: .distance, seedHeight: 2)).instances(of: full, threshold: 0.5).samples.allSatisfy { $0 == 1 })
    // No foreground; no pixels at all.
    let none = Image<Float>(width: 5, height: 4)
    #expect(InstanceExtraction(.watershed(seeds: .probability, seedHeight: 0.1)).instances(of: none, threshold: 0.5).samples.allSatisfy { $0 == 0 })
    let empty = Image<Float>(width: 0, height: 0)
    #expect(InstanceExtraction(.watershed(seeds: .distance, seedHeight: 2)).instances(of: empty, threshold: 0.5).samples.isEmpty)
  }

  @Test func priorityQueuePopsHighestFirstThenFirstPushed() {
    var queue = PriorityQueue()
    for (value, pixel) in [(1.0, 0), (3, 1), (2, 2), (3, 3), (1, 4), (3, 5)] { queue.push(value, pixel) }
    var order: [Int] = []
    while let (_, pixel) = queue.pop() { order.append(pixel) }
    #expect(order == [1, 3, 5, 2, 0, 4])
  }
}

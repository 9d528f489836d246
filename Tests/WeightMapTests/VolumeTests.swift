import Foundation
import Raster
import Testing

@testable import WeightMap

/// Slow, obviously correct references in 3-D.
enum VolumeReference {
  /// Squared physical distance to the nearest site by trying every site.
  static func squaredEDT(_ w: Int, _ h: Int, _ d: Int, _ s: VoxelSpacing, _ isSite: [Bool]) -> [Double] {
    var sites: [(Int, Int, Int)] = []
    for i in 0..<(w * h * d) where isSite[i] { sites.append((i % w, i / w % h, i / (w * h))) }
    return (0..<(w * h * d)).map { i in
      let (x, y, z) = (i % w, i / w % h, i / (w * h))
      var best = Double.infinity
      for (sx, sy, sz) in sites {
        let (dx, dy, dz) = (Double(x - sx) * s.x, Double(y - sy) * s.y, Double(z - sz) * s.z)
        best = min(best, dx * dx + dy * dy + dz * dz)
      }
      return best
    }
  }

  static func neighbours(full: Bool) -> [(Int, Int, Int)] {
    var out: [(Int, Int, Int)] = []
    for dz in -1...1 {
      for dy in -1...1 {
        for dx in -1...1 where (dx, dy, dz) != (0, 0, 0) {
          if full || abs(dx) + abs(dy) + abs(dz) == 1 { out.append((dx, dy, dz)) }
        }
      }
    }
    return out
  }

  /// Components by flood fill, numbered in raster order of their first voxel.
  static func components(_ mask: LabelVolume, full: Bool) -> [UInt32] {
    let (w, h, d) = (mask.width, mask.height, mask.depth)
    var out = [UInt32](repeating: 0, count: w * h * d)
    var next: UInt32 = 0
    for start in 0..<out.count where mask.samples[start] != 0 && out[start] == 0 {
      next += 1
      out[start] = next
      var stack = [start]
      while let p = stack.popLast() {
        for (dx, dy, dz) in neighbours(full: full) {
          let (x, y, z) = (p % w + dx, p / w % h + dy, p / (w * h) + dz)
          guard x >= 0, x < w, y >= 0, y < h, z >= 0, z < d else { continue }
          let q = (z * h + y) * w + x
          if mask.samples[q] != 0 && out[q] == 0 {
            out[q] = next
            stack.append(q)
          }
        }
      }
    }
    return out
  }

  /// A voxel of instance i with one of its 26 neighbours in another instance j > 0 becomes 0.
  static func separate(_ labels: LabelVolume) -> LabelVolume {
    var out = labels
    for z in 0..<labels.depth {
      for y in 0..<labels.height {
        for x in 0..<labels.width where labels[x, y, z] != 0 {
          for (dx, dy, dz) in neighbours(full: true) {
            let (nx, ny, nz) = (x + dx, y + dy, z + dz)
            guard nx >= 0, nx < labels.width, ny >= 0, ny < labels.height, nz >= 0, nz < labels.depth else { continue }
            let j = labels[nx, ny, nz]
            if j != 0 && j != labels[x, y, z] { out[x, y, z] = 0 }
          }
        }
      }
    }
    return out
  }

  /// The border term by the definition, physical distances.
  static func borderTerm(_ v: LabelVolume, w0: Double, sigma: Double, everywhere: Bool) -> [Double] {
    var voxels: [UInt32: [(Int, Int, Int)]] = [:]
    for i in 0..<v.voxelCount where v.samples[i] != 0 {
      voxels[v.samples[i], default: []].append((i % v.width, i / v.width % v.height, i / (v.width * v.height)))
    }
    var out = [Double](repeating: 0, count: v.voxelCount)
    guard voxels.count >= 2 else { return out }
    let s = v.spacing
    for i in 0..<v.voxelCount where everywhere || v.samples[i] == 0 {
      let (x, y, z) = (i % v.width, i / v.width % v.height, i / (v.width * v.height))
      var d: [Double] = []
      for (_, ps) in voxels {
        var best = Double.infinity
        for (px, py, pz) in ps {
          let (dx, dy, dz) = (Double(x - px) * s.x, Double(y - py) * s.y, Double(z - pz) * s.z)
          best = min(best, dx * dx + dy * dy + dz * dz)
        }
        d.append(best.squareRoot())
      }
      d.sort()
      let sum = d[0] + d[1]
      out[i] = w0 * exp(-(sum * sum) / (2 * sigma * sigma))
    }
    return out
  }

  /// Touching ellipsoid-like blobs: a voxel takes the id of the nearest of
  /// a few seeds within its random radius (physical distance).
  static func blobs(_ w: Int, _ h: Int, _ d: Int, count: Int, spacing: VoxelSpacing, using rng: inout SplitMix64)
    -> LabelVolume
  {
    let seeds = (0..<count).map { i in
      (Double.random(in: -1...Double(w), using: &rng), Double.random(in: -1...Double(h), using: &rng),
       Double.random(in: -1...Double(d), using: &rng), Double.random(in: 1.5...Double(max(w, h)) / 2, using: &rng),
       Inputs.ids[i % Inputs.ids.count])
    }
    var v = LabelVolume(width: w, height: h, depth: d, spacing: spacing)
    for z in 0..<d {
      for y in 0..<h {
        for x in 0..<w {
          var best = Double.infinity
          for (sx, sy, sz, r, id) in seeds {
            let (dx, dy, dz) = ((Double(x) - sx) * spacing.x, (Double(y) - sy) * spacing.y, (Double(z) - sz) * spacing.z)
            let dist = (dx * dx + dy * dy + dz * dz).squareRoot()
            if dist <= r && dist < best {
              best = dist
              v[x, y, z] = id
            }
          }
        }
      }
    }
    return v
  }
}

@Suite("Volumes: distance transform, components, separation, weight maps")
struct VolumeWeightMapTests {
  static let spacings = [
    VoxelSpacing.unit, VoxelSpacing(z: 2, y: 1, x: 1), VoxelSpacing(z: 0.7, y: 1.3, x: 0.9), VoxelSpacing(z: 3.5, y: 0.5, x: 0.5),
  ]

  @Test func anisotropicDistanceTransformMatchesBruteForce() {
    var rng = SplitMix64(seed: 31)
    for trial in 0..<24 {
      let (w, h, d) = (Int.random(in: 1...9, using: &rng), Int.random(in: 1...8, using: &rng), Int.random(in: 1...7, using: &rng))
      let spacing = Self.spacings[trial % Self.spacings.count]
      let density = [0.0, 0.02, 0.1, 0.5][trial % 4]
      let sites = (0..<(w * h * d)).map { _ in Double.random(in: 0..<1, using: &rng) < density }
      let expected = VolumeReference.squaredEDT(w, h, d, spacing, sites)
      let (fast, nearest) = DistanceTransform.nearestSites(width: w, height: h, depth: d, spacing: spacing, isSite: sites)
      for i in expected.indices {
        // Exact up to Double rounding of sums of three products.
        #expect(abs(fast[i] - expected[i]) <= 1e-9 * max(1, expected[i]) || fast[i] == expected[i], "trial \(trial) voxel \(i)")
        if expected[i].isFinite {
          let p = nearest[i]
          #expect(sites[p])
          let (dx, dy, dz) = (Double(i % w - p % w) * spacing.x, Double(i / w % h - p / w % h) * spacing.y, Double(i / (w * h) - p / (w * h)) * spacing.z)
          #expect(abs(dx * dx + dy * dy + dz * dz - expected[i]) <= 1e-9 * max(1, expected[i]))
        } else {
          #expect(nearest[i] == DistanceTransform.noSite)
        }
      }
    }
  }

  @Test func unitSpacingEqualsTheImageTransform() {
    var rng = SplitMix64(seed: 5)
    let sites = (0..<(37 * 23)).map { _ in Double.random(in: 0..<1, using: &rng) < 0.05 }
    #expect(
      DistanceTransform.squaredEuclidean(width: 37, height: 1, depth: 23, spacing: .unit, isSite: sites)
        == DistanceTransform.squaredEuclidean(width: 37, height: 23, isSite: sites))
  }

  @Test(arguments: [Connectivity.four, .eight])
  func componentsMatchFloodFill(connectivity: Connectivity) {
    var rng = SplitMix64(seed: connectivity == .four ? 6 : 7)
    for _ in 0..<20 {
      let (w, h, d) = (Int.random(in: 1...12, using: &rng), Int.random(in: 1...10, using: &rng), Int.random(in: 1...8, using: &rng))
      let mask = LabelVolume(width: w, height: h, depth: d, samples: (0..<(w * h * d)).map { _ in Double.random(in: 0..<1, using: &rng) < 0.35 ? 1 : 0 })
      let fast = ConnectedComponents.label(mask, connectivity: connectivity)
      #expect(fast.samples == VolumeReference.components(mask, full: connectivity == .eight))
      // One slice is the image case.
      if d == 1 {
        #expect(fast.samples == ConnectedComponents.label(mask.slice(0), connectivity: connectivity).samples)
      }
    }
  }

  @Test func separationOverTwentySixNeighbours() {
    var rng = SplitMix64(seed: 8)
    for trial in 0..<15 {
      let v = VolumeReference.blobs(14, 11, 6, count: 6, spacing: .unit, using: &rng)
      #expect(Separation.apply(v) == VolumeReference.separate(v), "trial \(trial)")
      // Sparse noise of few ids: contacts in every direction, at every border.
      let noise = LabelVolume(
        width: 7, height: 6, depth: 5, samples: (0..<210).map { _ in Double.random(in: 0..<1, using: &rng) < 0.2 ? UInt32.random(in: 1...3, using: &rng) : 0 })
      #expect(Separation.apply(noise) == VolumeReference.separate(noise), "noise \(trial)")
    }
    let image = Inputs.voronoi(width: 20, height: 15, count: 9, using: &rng)
    #expect(Separation.apply(Volume(slices: [image])).slice(0) == Separation.apply(image))
  }

  @Test(arguments: [BorderRegion.background, .all])
  func borderTermMatchesDefinition(region: BorderRegion) throws {
    var rng = SplitMix64(seed: region == .background ? 40 : 41)
    for trial in 0..<28 {
      let spacing = Self.spacings[trial % Self.spacings.count]
      let (w, h, d) = (Int.random(in: 8...16, using: &rng), Int.random(in: 6...14, using: &rng), Int.random(in: 2...9, using: &rng))
      let count = [0, 1, 2, 4, 9][trial % 5]
      let labels = VolumeReference.blobs(w, h, d, count: count, spacing: spacing, using: &rng)
      let (w0, sigma) = WeightMapperTests.borderCases[trial % WeightMapperTests.borderCases.count]
      var mapper = WeightMapper(try WeightMapConfiguration(w0: w0, sigmaPixels: sigma, borderOn: region, labelInterpretation: .instances))
      mapper.minimumBandRows = [16, 64, 2048][trial % 3]  // bands of 1, 4 or 128 slices at least
      mapper.jobs = trial % 4 + 1  // slabs computed apart
      let separated = VolumeReference.separate(labels)
      let fast = mapper.borderTerm(instances: separated).samples
      let exact = VolumeReference.borderTerm(separated, w0: w0, sigma: sigma, everywhere: region == .all)
      WeightMapperTests().expectBorderTerm(fast, exact, mapper: mapper, "trial \(trial) \(w)x\(h)x\(d) \(spacing)")
    }
  }

  /// Lines crossing many instances: the y pass's window scans (more than
  /// 12 nearest instances on a line) against the definition.
  @Test func manyInstancesPerLine() throws {
    var rng = SplitMix64(seed: 15)
    for spacing in [VoxelSpacing.unit, VoxelSpacing(z: 2, y: 0.7, x: 1)] {
      let (w, h, d) = (9, 40, 4)
      let labels = LabelVolume(
        width: w, height: h, depth: d, spacing: spacing,
        samples: (0..<(w * h * d)).map { _ in Double.random(in: 0..<1, using: &rng) < 0.3 ? UInt32.random(in: 1...60, using: &rng) : 0 })
      let mapper = WeightMapper(try WeightMapConfiguration(w0: 10, sigmaPixels: 2, labelInterpretation: .instances))
      let fast = mapper.borderTerm(instances: labels).samples
      let exact = VolumeReference.borderTerm(labels, w0: 10, sigma: 2, everywhere: false)
      WeightMapperTests().expectBorderTerm(fast, exact, mapper: mapper, "noise \(spacing)")
    }
  }

  @Test func slabsDoNotChangeTheResult() throws {
    var rng = SplitMix64(seed: 14)
    let labels = VolumeReference.blobs(30, 26, 17, count: 12, spacing: VoxelSpacing(z: 1.5, y: 1, x: 1), using: &rng)
    var mapper = WeightMapper(.paper)
    let one = mapper.compute(labels)
    for jobs in [2, 3, 17, 40] {
      mapper.jobs = jobs
      #expect(mapper.compute(labels) == one, "jobs \(jobs)")
    }
  }

  @Test func oneSliceEqualsTheImageWeights() throws {
    var rng = SplitMix64(seed: 12)
    let image = Inputs.voronoi(width: 61, height: 47, count: 14, using: &rng)
    let mapper = WeightMapper(try WeightMapConfiguration(classWeights: .explicit(background: 1, foreground: 2)))
    let flat = mapper.compute(image)
    let volume = mapper.compute(Volume(slices: [image]))
    #expect(volume.weights.samples == flat.weights.samples)
    #expect(volume.mask.samples == flat.mask.samples)
  }

  @Test func classWeightsAndMask() throws {
    var rng = SplitMix64(seed: 13)
    let labels = VolumeReference.blobs(15, 12, 7, count: 5, spacing: VoxelSpacing(z: 2, y: 1, x: 1), using: &rng)
    let mapper = WeightMapper(.paper)
    let result = mapper.compute(labels)
    let separated = VolumeReference.separate(labels)
    let (b, f) = Reference.balanced([LabelImage(width: labels.voxelCount, height: 1, samples: separated.samples)])
    #expect(result.classWeights == ClassWeights(background: b, foreground: f))
    #expect(result.mask.samples == separated.samples.map { $0 != 0 ? 1 : 0 })
    #expect(result.weights.spacing == labels.spacing)
    let term = mapper.borderTerm(instances: separated).samples
    for i in 0..<labels.voxelCount {
      let wc = separated.samples[i] != 0 ? f : b
      #expect(abs(Double(result.weights.samples[i]) - (wc + Double(term[i]))) <= 1e-5 * (wc + Double(term[i])))
    }
  }
}

import Raster
import Testing
import WeightMap

@testable import UNet

@Suite("Volume instances: 3-D watershed and instance extraction against plain references")
struct VolumeInstancesTests {
  func randomCase(_ rng: inout SplitMix64) -> (f: [Double], mask: [Bool], w: Int, h: Int, d: Int) {
    let w = Int(rng.next() % 6) + 1, h = Int(rng.next() % 5) + 1, d = Int(rng.next() % 5) + 1
    let n = w * h * d
    // Heights on a coarse grid, so that plateaus and ties are common.
    let f = (0..<n).map { _ in Double(rng.next() % 6) / 2 }
    let density = rng.uniform(0.5, 1)
    let mask = (0..<n).map { _ in rng.uniform(0, 1) < density }
    return (f, mask, w, h, d)
  }

  @Test func reconstructionAndSeedsMatchTheDefinitions() {
    var rng = SplitMix64(seed: 2003)
    for trial in 0..<300 {
      let (f, mask, w, h, d) = randomCase(&rng)
      let height = [0, 0.5, 1, 1.25, 10][trial % 5]
      let marker = f.map { $0 - height }
      let fast = Watershed.reconstruction(marker: marker, under: f, mask: mask, width: w, height: h, depth: d)
      let slow = WatershedReference.reconstruction(marker: marker, under: f, mask: mask, w: w, h: h, d: d)
      #expect(mask.indices.filter { mask[$0] }.allSatisfy { fast[$0] == slow[$0] }, "trial \(trial)")
      let seeds = Watershed.seeds(f, mask: mask, width: w, height: h, depth: d, h: height)
      #expect(seeds.samples == WatershedReference.seeds(f, mask: mask, w: w, h: h, d: d, height: height), "trial \(trial)")
      // Every 6-connected component of the mask has a seed.
      let components = ConnectedComponents.label(
        Volume(width: w, height: h, depth: d, samples: mask.map { $0 ? UInt8(1) : 0 }), connectivity: .four)
      let seeded = Set(seeds.samples.indices.filter { seeds.samples[$0] != 0 }.map { components.samples[$0] })
      #expect(seeded == Set(components.samples.filter { $0 != 0 }), "trial \(trial)")
    }
  }

  @Test func floodGivesEachVoxelASeedOfTheHighestPass() {
    var rng = SplitMix64(seed: 2004)
    for trial in 0..<300 {
      let (f, mask, w, h, d) = randomCase(&rng)
      let seeds = Watershed.seeds(f, mask: mask, width: w, height: h, depth: d, h: [0, 0.5, 1][trial % 3])
      let labels = Watershed.flood(f, mask: mask, seeds: seeds).samples
      let passes = WatershedReference.passes(f, mask: mask, seeds: seeds.samples, w: w, h: h, d: d)
      for p in labels.indices {
        guard mask[p] else {
          #expect(labels[p] == 0, "trial \(trial), voxel \(p) outside the mask")
          continue
        }
        let best = passes.values.map { $0[p] }.max()!
        #expect(labels[p] != 0 && passes[labels[p]]![p] == best, "trial \(trial), voxel \(p)")
        if seeds.samples[p] != 0 { #expect(labels[p] == seeds.samples[p]) }
      }
      // Each region is 6-connected.
      for id in Set(labels) where id != 0 {
        let region = Volume(width: w, height: h, depth: d, samples: labels.map { $0 == id ? UInt8(1) : 0 })
        #expect(ConnectedComponents.label(region, connectivity: .four).samples.max() == 1, "trial \(trial), region \(id)")
      }
    }
  }

  @Test func aVolumeOfOneSliceIsSegmentedAsItsImage() {
    var rng = SplitMix64(seed: 2005)
    for trial in 0..<100 {
      let w = Int(rng.next() % 9) + 1, h = Int(rng.next() % 8) + 1
      let p = Image<Float>(width: w, height: h, samples: (0..<w * h).map { _ in Float(rng.next() % 6) / 5 })
      let volume = Volume(slices: [p])
      for method in [InstanceExtraction.Method.components, .watershed(seeds: .probability, seedHeight: 0.2),
                     .watershed(seeds: .distance, seedHeight: 1)] {
        let e = InstanceExtraction(method)
        #expect(e.instances(of: volume, threshold: 0.3).samples == e.instances(of: p, threshold: 0.3).samples, "trial \(trial)")
      }
    }
  }

  /// Two balls of radius 6 whose centres are 9 voxels apart along x touch
  /// in a disc: one 6-connected component, two distance maxima.
  static func touchingBalls(spacing: VoxelSpacing = .unit) -> Volume<Float> {
    var p = Volume<Float>(width: 28, height: 16, depth: 16, spacing: spacing)
    for z in 0..<16 {
      for y in 0..<16 {
        for x in 0..<28 {
          let a = (x - 9) * (x - 9) + (y - 8) * (y - 8) + (z - 8) * (z - 8)
          let b = (x - 18) * (x - 18) + (y - 8) * (y - 8) + (z - 8) * (z - 8)
          p.samples[(z * 16 + y) * 28 + x] = a <= 36 || b <= 36 ? 0.9 : 0.1
        }
      }
    }
    return p
  }

  @Test func distanceSeedsSplitTouchingBalls() {
    let p = Self.touchingBalls()
    let components = InstanceExtraction(.components).instances(of: p, threshold: 0.5)
    #expect(components.samples.max() == 1)
    #expect(components.spacing == p.spacing)
    let split = InstanceExtraction(.watershed(seeds: .distance, seedHeight: 1)).instances(of: p, threshold: 0.5)
    #expect(split.samples.max() == 2)
    #expect(split[9, 8, 8] != split[18, 8, 8] && split[9, 8, 8] != 0 && split[18, 8, 8] != 0)
    // The same foreground, and far from the neck each ball is one region.
    #expect(split.samples.map { $0 != 0 } == components.samples.map { $0 != 0 })
    for z in 0..<16 {
      for y in 0..<16 {
        for x in 0..<28 where p[x, y, z] > 0.5 && abs(2 * x - 27) >= 4 {
          #expect(split[x, y, z] == (x < 13 ? split[9, 8, 8] : split[18, 8, 8]), "x \(x), y \(y), z \(z)")
        }
      }
    }
    // A seed height above the dynamic keeps them together.
    let merged = InstanceExtraction(.watershed(seeds: .distance, seedHeight: 6)).instances(of: p, threshold: 0.5)
    #expect(merged.samples == components.samples)
  }

  @Test func probabilitySeedsSplitAtAFaintWall() {
    var p = Volume<Float>(width: 12, height: 6, depth: 5, repeating: 0.95)
    for z in 0..<5 { for y in 0..<6 { p.samples[(z * 6 + y) * 12 + 6] = 0.6 } }
    let components = InstanceExtraction(.components).instances(of: p, threshold: 0.5)
    #expect(components.samples.max() == 1)
    let split = InstanceExtraction(.watershed(seeds: .probability, seedHeight: 0.1)).instances(of: p, threshold: 0.5)
    #expect(split.samples.max() == 2)
    #expect(split[2, 3, 2] == 1 && split[10, 3, 2] == 2)
    let one = InstanceExtraction(.watershed(seeds: .probability, seedHeight: 0.4)).instances(of: p, threshold: 0.5)
    #expect(one.samples == components.samples)
  }

  @Test func edgeCases() {
    let full = Volume<Float>(width: 3, height: 4, depth: 2, repeating: 1)
    #expect(InstanceExtraction(.watershed(seeds: .distance, seedHeight: 2)).instances(of: full, threshold: 0.5).samples.allSatisfy { $0 == 1 })
    let none = Volume<Float>(width: 3, height: 4, depth: 2)
    #expect(InstanceExtraction(.watershed(seeds: .probability, seedHeight: 0.1)).instances(of: none, threshold: 0.5).samples.allSatisfy { $0 == 0 })
    // Components join face neighbours only: two voxels touching at an edge are two.
    var diagonal = Volume<Float>(width: 2, height: 2, depth: 2)
    diagonal.samples[0] = 1
    diagonal.samples[7] = 1
    #expect(InstanceExtraction(.components).instances(of: diagonal, threshold: 0.5).samples.max() == 2)
  }
}

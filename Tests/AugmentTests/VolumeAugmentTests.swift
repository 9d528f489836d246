import Foundation
import Raster
import Testing
import WeightMap

@testable import Augment
@testable import AugmentCore

/// Slow references in 3-D, built on the 2-D ones.
enum VolumeReference {
  static func sample(_ v: Volume<Float>, _ x: Int, _ y: Int, _ z: Int, _ border: BorderMode) -> Double {
    guard let ix = Reference.index(x, v.width, border), let iy = Reference.index(y, v.height, border),
      let iz = Reference.index(z, v.depth, border)
    else { return 0 }
    return Double(v[ix, iy, iz])
  }

  /// Tricubic (Keys) interpolation, every weight from the kernel.
  static func cubic(_ v: Volume<Float>, _ x: Double, _ y: Double, _ z: Double, _ border: BorderMode) -> Double {
    let (fx, fy, fz) = (Int(x.rounded(.down)), Int(y.rounded(.down)), Int(z.rounded(.down)))
    var out = 0.0
    for k in (fz - 1)...(fz + 2) {
      for j in (fy - 1)...(fy + 2) {
        for i in (fx - 1)...(fx + 2) {
          out += Reference.keys(x - Double(i)) * Reference.keys(y - Double(j)) * Reference.keys(z - Double(k))
            * sample(v, i, j, k, border)
        }
      }
    }
    return out
  }

  static func linear(_ v: Volume<Float>, _ x: Double, _ y: Double, _ z: Double, _ border: BorderMode) -> Double {
    let (fx, fy, fz) = (Int(x.rounded(.down)), Int(y.rounded(.down)), Int(z.rounded(.down)))
    var out = 0.0
    for k in 0...1 {
      for j in 0...1 {
        for i in 0...1 {
          let w = (i == 0 ? 1 - (x - Double(fx)) : x - Double(fx)) * (j == 0 ? 1 - (y - Double(fy)) : y - Double(fy))
            * (k == 0 ? 1 - (z - Double(fz)) : z - Double(fz))
          out += w * sample(v, fx + i, fy + j, fz + k, border)
        }
      }
    }
    return out
  }

  static func nearest<T: PixelSample>(_ v: Volume<T>, _ x: Double, _ y: Double, _ z: Double, _ border: BorderMode) -> T {
    let (ix, iy, iz) = (Int((x + 0.5).rounded(.down)), Int((y + 0.5).rounded(.down)), Int((z + 0.5).rounded(.down)))
    guard let jx = Reference.index(ix, v.width, border), let jy = Reference.index(iy, v.height, border),
      let jz = Reference.index(iz, v.depth, border)
    else { return .zero }
    return v[jx, jy, jz]
  }

  /// The tricubic field of a 3-D grid along z at slice `z`, from the
  /// definition: the 2-D reference field of each z node's plane, combined
  /// with Keys weights of the z grid coordinate over the extended nodes.
  static func zField(_ grid: VolumeDisplacementGrid, width: Int, height: Int, depth: Int, z: Int) -> [Double] {
    let g = grid.size
    /// Keys' boundary condition: 3a − 3b + c (linear, 2a − b, for 2 nodes).
    func extend(_ a: [Double], _ b: [Double], _ c: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: a.count)
      for i in out.indices {
        let (ai, bi, ci): (Double, Double, Double) = (a[i], b[i], c[i])
        out[i] = g >= 3 ? 3 * ai - 3 * bi + ci : 2 * ai - bi
      }
      return out
    }
    func plane(_ k: Int) -> [Double] {
      let n = g * g
      if k < 0 { return extend(plane(0), plane(1), plane(min(2, g - 1))) }
      if k >= g { return extend(plane(g - 1), plane(g - 2), plane(max(g - 3, 0))) }
      let values = Array(grid.z[(k * n)..<((k + 1) * n)])
      return Reference.field(DisplacementGrid(size: g, x: values, y: values), width: width, height: height).x
    }
    let w = depth > 1 ? Double(z) * Double(g - 1) / Double(depth - 1) : 0
    var out = [Double](repeating: 0, count: width * height)
    for k in -1...g {
      let weight = Reference.keys(w - Double(k))
      if weight == 0 { continue }
      let p = plane(k)
      for i in out.indices { out[i] += weight * p[i] }
    }
    return out
  }
}

@Suite struct VolumeAugmentTests {
  static func randomVolume(_ w: Int, _ h: Int, _ d: Int, seed: UInt64) -> Volume<Float> {
    var rng = SplitMix64(seed: seed)
    return Volume(width: w, height: h, depth: d, samples: (0..<(w * h * d)).map { _ in Float(rng.uniform(-1, 1)) })
  }

  /// A map of random positions, about a third of them outside the volume.
  static func randomMap(_ w: Int, _ h: Int, _ d: Int, seed: UInt64) -> VolumeSamplingMap {
    var rng = SplitMix64(seed: seed)
    let n = w * h * d
    func coordinate(_ size: Int) -> Float { Float(rng.uniform(-3, Double(size) + 2)) }
    let x = (0..<n).map { _ in coordinate(w) }, y = (0..<n).map { _ in coordinate(h) }, z = (0..<n).map { _ in coordinate(d) }
    return VolumeSamplingMap(width: w, height: h, depth: d, x: x, y: y, z: z)
  }

  /// Stated tolerance: Float sums of 64 taps of magnitude ≤ 1 against the
  /// Double definition, 2e-5 absolute.
  @Test(arguments: BorderMode.allCases)
  func resamplingMatchesDefinitions(border: BorderMode) {
    for (trial, size) in [(9, 8, 7), (4, 5, 4), (12, 3, 6), (1, 6, 5)].enumerated() {
      let (w, h, d) = size
      let volume = Self.randomVolume(w, h, d, seed: UInt64(trial))
      let map = Self.randomMap(w, h, d, seed: UInt64(100 + trial))
      let resampler = Resampler(border: border)
      let cubic = resampler.resample(volume, along: map, interpolation: .cubic)
      let linear = resampler.resample(volume, along: map, interpolation: .linear)
      let labels = LabelVolume(width: w, height: h, depth: d, samples: (0..<(w * h * d)).map { UInt32($0 + 1) })
      let nearest = resampler.nearest(labels, along: map)
      for i in 0..<volume.voxelCount {
        let (x, y, z) = (Double(map.x[i]), Double(map.y[i]), Double(map.z[i]))
        let c = VolumeReference.cubic(volume, x, y, z, border)
        #expect(abs(Double(cubic.samples[i]) - c) <= 2e-5, "cubic \(border) \(size) at \(i): \(cubic.samples[i]) vs \(c)")
        let l = VolumeReference.linear(volume, x, y, z, border)
        #expect(abs(Double(linear.samples[i]) - l) <= 2e-6, "linear \(border) \(size) at \(i)")
        #expect(nearest.samples[i] == VolumeReference.nearest(labels, x, y, z, border), "nearest \(border) at \(i)")
      }
    }
  }

  /// The interior fast path, on a larger volume with positions inside.
  @Test func interiorCubicMatchesDefinition() {
    let (w, h, d) = (20, 17, 9)
    let volume = Self.randomVolume(w, h, d, seed: 3)
    var rng = SplitMix64(seed: 4)
    let n = w * h * d
    let map = VolumeSamplingMap(
      width: w, height: h, depth: d, x: (0..<n).map { _ in Float(rng.uniform(1, Double(w) - 3)) },
      y: (0..<n).map { _ in Float(rng.uniform(1, Double(h) - 3)) }, z: (0..<n).map { _ in Float(rng.uniform(1, Double(d) - 3)) })
    let out = Resampler().resample(volume, along: map)
    for i in 0..<n {
      let c = VolumeReference.cubic(volume, Double(map.x[i]), Double(map.y[i]), Double(map.z[i]), .mirror)
      #expect(abs(Double(out.samples[i]) - c) <= 2e-5)
    }
  }

  @Test func samplingMapIsTheTwoDimensionalMapPerSlice() {
    var rng = SplitMix64(seed: 9)
    let configuration = try! VolumeAugmentConfiguration(try! AugmentConfiguration(shiftPixels: 2, scale: 0.8...1.2), sigmaZ: 3)
    let p = configuration.sample(using: &rng)
    let (w, h, d) = (23, 19, 11)
    let map = VolumeSamplingMap(values: p, width: w, height: h, depth: d)
    let zWeights = GridAxisWeights(nodes: p.grid.size, length: d)
    for z in [0, 4, 10] {
      let planar = SamplingMap(values: p.planar(gridSlice: p.grid.slice(z, weights: zWeights)), width: w, height: h)
      let r = (z * w * h)..<((z + 1) * w * h)
      #expect(Array(map.x[r]) == planar.x && Array(map.y[r]) == planar.y)
      // z: the affine part plus the tricubic field, from the definitions.
      let field = VolumeReference.zField(p.grid, width: w, height: h, depth: d, z: z)
      let cz = Double(d - 1) / 2
      let affine = cz + (p.flipDepth ? -1 : 1) * (Double(z) - cz - p.shiftZ) / p.scale
      for (i, v) in map.z[r].enumerated() {
        #expect(abs(Double(v) - (affine + field[i])) <= 1e-4 * max(1, abs(affine + field[i])), "z \(z) voxel \(i)")
      }
    }
    // The x and y fields of a slice are the grid's tricubic field too.
    let slice = p.grid.slice(5, weights: zWeights)
    let xField = VolumeReference.zField(
      VolumeDisplacementGrid(size: p.grid.size, x: p.grid.x, y: p.grid.y, z: p.grid.x), width: w, height: h, depth: d, z: 5)
    let planarField = DisplacementGrid(size: p.grid.size, x: slice.x, y: slice.y).field(width: w, height: h)
    for i in xField.indices { #expect(abs(Double(planarField.x[i]) - xField[i]) <= 1e-4 * max(1, abs(xField[i]))) }
  }

  @Test func identityReproducesTheNormalisedSourceExactly() {
    let volume = Self.randomVolume(13, 9, 6, seed: 5)
    var labels = LabelVolume(width: 13, height: 9, depth: 6, spacing: VoxelSpacing(z: 2, y: 1, x: 1))
    for i in 0..<labels.voxelCount where i % 7 < 3 { labels.samples[i] = UInt32(1 + i / 97) }
    for border in BorderMode.allCases {
      let augmenter = SampleAugmenter(
        configuration: try! AugmentConfiguration(sigmaPixels: 0, rotateDegrees: 0, flipHorizontal: false, flipVertical: false, border: border, intensity: .off))
      let configuration = VolumeAugmentConfiguration.identity
      var rng = SplitMix64(seed: 1)
      let p = configuration.sample(using: &rng)
      #expect(p == .identity)
      let out = augmenter.augment(volume: volume, labels: labels, values: p)
      #expect(out.image.samples.map(\.bitPattern) == volume.samples.map(\.bitPattern))
      #expect(out.labels == labels)
    }
  }

  @Test func flipsAndQuarterTurnsAreExact() {
    let volume = Self.randomVolume(10, 10, 5, seed: 6)
    let resampler = Resampler(border: .constant)
    let flipped = resampler.resample(
      volume, along: VolumeSamplingMap(values: DrawnVolumeValues(flipDepth: true), width: 10, height: 10, depth: 5))
    let turned = resampler.resample(
      volume, along: VolumeSamplingMap(values: DrawnVolumeValues(rotationDegrees: 90), width: 10, height: 10, depth: 5))
    for z in 0..<5 {
      #expect(flipped.slice(z) == volume.slice(4 - z))
      let planar = resampler.resample(
        volume.slice(z), along: SamplingMap(values: DrawnValues(rotationDegrees: 90), width: 10, height: 10))
      #expect(turned.slice(z) == planar)
    }
  }

  @Test func drawsDependOnSeedAndIndexOnly() {
    let configuration = VolumeAugmentConfiguration.standard
    let a = configuration.draw(seed: 7, index: 3, sourceCount: 5)
    #expect(a == configuration.draw(seed: 7, index: 3, sourceCount: 5))
    #expect(a != configuration.draw(seed: 7, index: 4, sourceCount: 5))
    #expect(a.values.grid.x.count == 27 && a.values.grid.z.allSatisfy { $0 != 0 })
    // The source pick and the stream are those of 2-D.
    #expect(a.sourceIndex == AugmentConfiguration.standard.draw(seed: 7, index: 3, sourceCount: 5).sourceIndex)
    // No z displacement with sigmaZ 0, the other draws unchanged.
    let flat = try! VolumeAugmentConfiguration(.standard, sigmaZ: 0).draw(seed: 7, index: 3, sourceCount: 5)
    #expect(flat.values.grid.z.allSatisfy { $0 == 0 } && flat.values.grid.x == a.values.grid.x)
    #expect(flat.values.intensity == a.values.intensity)
  }

  @Test func augmentedVolumeKeepsLabelsAndRecomputesWeights() throws {
    let synth = VolumeCellSynthesizer(width: 40, height: 36, depth: 12, cells: 8)
    let (image, labels) = synth.generate(seed: 2, index: 0)
    let source = Normalization.standard.apply(to: AnyVolume(image))
    let instances = LabelVolume(width: 40, height: 36, depth: 12, samples: labels.samples.map(UInt32.init))
    let mapper = WeightMapper(.paper)
    let augmenter = SampleAugmenter(configuration: .standard, weightMapper: mapper)
    let ids = Set(instances.samples)
    for k in 0..<4 {
      let p = VolumeAugmentConfiguration.standard.draw(seed: 1, index: UInt64(k), sourceCount: 1).values
      let out = augmenter.augment(volume: source, labels: instances, values: p)
      #expect(Set(out.labels.samples).isSubset(of: ids))
      #expect(out.weights == mapper.compute(out.labels).weights)
      #expect(out.image.samples.allSatisfy { $0.isFinite })
    }
  }
}

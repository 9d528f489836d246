import Augment
import Raster
import Testing

/// Exact geometric cases: identity, integer shifts, flips, quarter turns.
@Suite("Geometry")
struct GeometryTests {
  static let identityConfigs: [AugmentConfiguration] = BorderMode.allCases.flatMap { border in
    [Interpolation.cubic, .linear, .nearest].map { interpolation in
      try! AugmentConfiguration(
        sigmaPixels: 0, rotateDegrees: 0, flipHorizontal: false, flipVertical: false,
        interpolation: interpolation, border: border, intensity: .off)
    }
  }

  /// Identity values reproduce image, labels and weights exactly, for
  /// 1 and 3 channels and odd sizes, with recomputed and with warped weights.
  @Test(arguments: [(1, 1, 1), (37, 23, 1), (37, 23, 3), (1, 9, 3), (9, 1, 1), (64, 64, 1), (5, 130, 2)])
  func identityIsExact(width: Int, height: Int, channels: Int) {
    var rng = SplitMix64(seed: UInt64(width * 131 + height * 7 + channels))
    let image = Inputs.noise(width: width, height: height, channels: channels, using: &rng)
    let labels = Inputs.blobs(width: width, height: height, count: 5, spread: 4, using: &rng)
    let source = SampleAugmenter().weightMapper.compute(labels)
    for configuration in Self.identityConfigs {
      let p = configuration.sample(using: &rng)
      #expect(p == DrawnValues(grid: .zero(size: 3)))
      let recompute = SampleAugmenter(configuration: configuration).augment(image: image, labels: labels, values: p)
      #expect(recompute.image == image)
      #expect(recompute.labels == labels)
      #expect(recompute.weights == source.weights)
      #expect(recompute.mask == source.mask)
      let warpConfig = try! AugmentConfiguration(
        sigmaPixels: 0, rotateDegrees: 0, flipHorizontal: false, flipVertical: false,
        interpolation: configuration.interpolation, border: configuration.border, intensity: .off, weights: .warp)
      let warp = SampleAugmenter(configuration: warpConfig).augment(
        image: image, labels: labels, weights: source.weights, mask: source.mask, values: p)
      #expect(warp.image == image)
      #expect(warp.labels == labels)
      #expect(warp.weights == source.weights)
      #expect(warp.mask == source.mask)
    }
    let map = SamplingMap.identity(width: width, height: height)
    #expect(map.x == (0..<(width * height)).map { Float($0 % width) })
    #expect(map.y == (0..<(width * height)).map { Float($0 / width) })
  }

  /// An integer shift with a mirrored border equals a shifted copy whose
  /// edges are mirrored (reference by index arithmetic), for the image
  /// (cubic and linear) and the labels.
  @Test func integerShiftMirrors() {
    var rng = SplitMix64(seed: 21)
    let (w, h) = (23, 17)
    let image = Inputs.ramp(width: w, height: h, channels: 2)
    let labels = LabelImage(width: w, height: h, samples: (0..<(w * h)).map { UInt32($0 + 1) })
    for (tx, ty) in [(3, -2), (-7, 5), (0, 1), (25, -30), (-1, 0)] {
      let p = DrawnValues(shiftX: Double(tx), shiftY: Double(ty))
      for interpolation in [Interpolation.cubic, .linear] {
        let out = Resampler(border: .mirror).resample(
          image, interpolation: interpolation, labels: labels, values: p)
        for y in 0..<h {
          for x in 0..<w {
            let sx = Reference.mirror(x - tx, w)
            let sy = Reference.mirror(y - ty, h)
            #expect(out.labels[x, y] == labels[sx, sy])
            for c in 0..<2 { #expect(out.image[x, y, c] == image[sx, sy, c]) }
          }
        }
      }
      _ = rng.next()
    }
  }

  /// Flips reverse rows and columns exactly.
  @Test func flipsReverse() {
    let (w, h) = (14, 9)
    let image = Inputs.ramp(width: w, height: h, channels: 3)
    let labels = LabelImage(width: w, height: h, samples: (0..<(w * h)).map { UInt32($0) })
    for (fh, fv) in [(true, false), (false, true), (true, true)] {
      let p = DrawnValues(flipHorizontal: fh, flipVertical: fv)
      let out = Resampler().resample(image, labels: labels, values: p)
      for y in 0..<h {
        for x in 0..<w {
          let sx = fh ? w - 1 - x : x
          let sy = fv ? h - 1 - y : y
          #expect(out.labels[x, y] == labels[sx, sy])
          for c in 0..<3 { #expect(out.image[x, y, c] == image[sx, sy, c]) }
        }
      }
    }
  }

  /// Quarter turns of a square image equal the transposed-and-flipped
  /// reference exactly; θ = 90°: output (x, y) reads source (y, n−1−x).
  @Test(arguments: [1, 2, 8, 15, 16])
  func quarterTurnsAreExact(n: Int) {
    let image = Inputs.ramp(width: n, height: n, channels: 1)
    let labels = LabelImage(width: n, height: n, samples: (0..<(n * n)).map { UInt32($0 * 3) })
    for (degrees, source) in [
      (90.0, { (x: Int, y: Int) in (y, n - 1 - x) }),
      (-270.0, { (x: Int, y: Int) in (y, n - 1 - x) }),
      (180.0, { (x: Int, y: Int) in (n - 1 - x, n - 1 - y) }),
      (-90.0, { (x: Int, y: Int) in (n - 1 - y, x) }),
      (270.0, { (x: Int, y: Int) in (n - 1 - y, x) }),
      (360.0, { (x: Int, y: Int) in (x, y) }),
    ] {
      let p = DrawnValues(rotationDegrees: degrees)
      for interpolation in [Interpolation.cubic, .linear] {
        let out = Resampler().resample(image, interpolation: interpolation, labels: labels, values: p)
        for y in 0..<n {
          for x in 0..<n {
            let (sx, sy) = source(x, y)
            #expect(out.image[x, y] == image[sx, sy], "\(degrees)° at \(x),\(y)")
            #expect(out.labels[x, y] == labels[sx, sy])
          }
        }
      }
    }
    // A quarter turn with a vertical flip is a transpose; with a
    // horizontal flip, the anti-transpose.
    let transposed = Resampler().resample(
      image, labels: labels, values: DrawnValues(rotationDegrees: 90, flipVertical: true))
    let antiTransposed = Resampler().resample(
      image, labels: labels, values: DrawnValues(rotationDegrees: 90, flipHorizontal: true))
    var ok = true
    for y in 0..<n {
      for x in 0..<n {
        ok = ok && transposed.image[x, y] == image[y, x] && transposed.labels[x, y] == labels[y, x]
        ok = ok && antiTransposed.image[x, y] == image[n - 1 - y, n - 1 - x]
      }
    }
    #expect(ok)
  }

  /// Several arrays share one map, and each is resampled from the source
  /// once: a warped image equals resampling the source along the map of
  /// the whole composition (not the composition of separate warps).
  @Test func oneResamplingFromTheSource() {
    var rng = SplitMix64(seed: 22)
    let image = Inputs.smooth(width: 40, height: 30)
    let configuration = AugmentConfiguration.standard
    var p = configuration.sample(using: &rng)
    p.intensity = .identity
    let map = SamplingMap(values: p, width: 40, height: 30)
    let viaMap = Resampler().resample(image, along: map)
    let sample = SampleAugmenter(configuration: try! AugmentConfiguration(intensity: .off)).augment(
      image: image, labels: LabelImage(width: 40, height: 30), values: p)
    #expect(sample.image == viaMap)
    // Not the same as warping twice: rotation then elastic as two steps.
    var rotationOnly = p
    rotationOnly.grid = .zero(size: 3)
    var elasticOnly = DrawnValues(grid: p.grid)
    elasticOnly.intensity = .identity
    let twice = Resampler().resample(
      Resampler().resample(image, along: SamplingMap(values: rotationOnly, width: 40, height: 30)),
      along: SamplingMap(values: elasticOnly, width: 40, height: 30))
    #expect(twice != viaMap)
  }
}

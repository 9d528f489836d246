import Augment
import Raster
import Testing

@Suite("Resampler")
struct ResamplerTests {
  /// A map of random positions: mostly inside, some near and beyond the
  /// edges (up to 1.5 image sizes out, so that mirroring folds more than once).
  static func randomMap(width: Int, height: Int, using rng: inout SplitMix64) -> SamplingMap {
    let n = width * height
    var xs = [Float](repeating: 0, count: n)
    var ys = [Float](repeating: 0, count: n)
    for i in 0..<n {
      switch rng.next() % 4 {
      case 0:
        xs[i] = Float(rng.uniform(-1.5 * Double(width), 2.5 * Double(width)))
        ys[i] = Float(rng.uniform(-1.5 * Double(height), 2.5 * Double(height)))
      case 1:
        xs[i] = Float(rng.uniform(-3, 3)) + (rng.next() % 2 == 0 ? 0 : Float(width - 1))
        ys[i] = Float(rng.uniform(-3, Double(height) + 2))
      case 2:
        // Integral positions, some outside.
        xs[i] = Float(Int(rng.next() % UInt64(width + 6)) - 3)
        ys[i] = Float(Int(rng.next() % UInt64(height + 6)) - 3)
      default:
        xs[i] = Float(rng.uniform(0, Double(width - 1)))
        ys[i] = Float(rng.uniform(0, Double(height - 1)))
      }
    }
    return SamplingMap(width: width, height: height, x: xs, y: ys)
  }

  /// Cubic and linear against the reference (weights from the kernel's
  /// definition, mirror by repeated reflection) at random positions, every
  /// border mode, 1–4 channels. Samples in [0, 1); tolerance 2e-6: the fast
  /// code sums 16 Float products (error ≲ 16 · 2⁻²⁴ · Σ|w·s| ≈ 1.5e-6).
  @Test(arguments: BorderMode.allCases)
  func interpolationMatchesReference(border: BorderMode) {
    var rng = SplitMix64(seed: 11)
    for (w, h, ch) in [(17, 13, 1), (9, 31, 3), (4, 4, 2), (1, 7, 1), (6, 1, 4), (64, 5, 1), (2, 2, 1)] {
      let image = Inputs.noise(width: w, height: h, channels: ch, using: &rng)
      let map = Self.randomMap(width: w, height: h, using: &rng)
      let resampler = Resampler(border: border)
      let cubic = resampler.resample(image, along: map, interpolation: .cubic)
      let linear = resampler.resample(image, along: map, interpolation: .linear)
      let nearest = resampler.resample(image, along: map, interpolation: .nearest)
      var worstCubic = 0.0
      var worstLinear = 0.0
      for p in 0..<(w * h) {
        let x = Double(map.x[p])
        let y = Double(map.y[p])
        for c in 0..<ch {
          worstCubic = max(
            worstCubic, abs(Double(cubic.samples[p * ch + c]) - Reference.cubic(image, x, y, c, border)))
          worstLinear = max(
            worstLinear, abs(Double(linear.samples[p * ch + c]) - Reference.linear(image, x, y, c, border)))
          let ix = Int((x + 0.5).rounded(.down))
          let iy = Int((y + 0.5).rounded(.down))
          #expect(Double(nearest.samples[p * ch + c]) == Reference.sample(image, ix, iy, c, border))
        }
      }
      #expect(worstCubic <= 2e-6, "cubic \(w)x\(h)x\(ch) \(border): \(worstCubic)")
      #expect(worstLinear <= 2e-6, "linear \(w)x\(h)x\(ch) \(border): \(worstLinear)")
    }
  }

  /// Nearest neighbour on labels and masks equals the reference exactly.
  @Test(arguments: BorderMode.allCases)
  func nearestMatchesReference(border: BorderMode) {
    var rng = SplitMix64(seed: 12)
    for (w, h) in [(23, 19), (1, 5), (5, 1), (40, 40)] {
      let labels = LabelImage(
        width: w, height: h, samples: (0..<(w * h)).map { _ in UInt32(rng.next() % 1000) + 1 })
      let mask = Image<UInt8>(width: w, height: h, samples: (0..<(w * h)).map { _ in UInt8(rng.next() % 2) })
      let map = Self.randomMap(width: w, height: h, using: &rng)
      let resampler = Resampler(border: border)
      let l = resampler.nearest(labels, along: map)
      let m = resampler.nearest(mask, along: map)
      for p in 0..<(w * h) {
        let x = Double(map.x[p])
        let y = Double(map.y[p])
        #expect(l.samples[p] == Reference.nearest(labels, x, y, border))
        #expect(m.samples[p] == Reference.nearest(mask, x, y, border))
      }
    }
  }

  /// Ties round up, and the rounding is exact: just below ½ rounds down even
  /// where `x + 0.5` would round up in Float.
  @Test func nearestRoundsExactly() {
    let labels = LabelImage(width: 4, height: 1, samples: [10, 20, 30, 40])
    let below = Float(0.5).nextDown
    let map = SamplingMap(width: 4, height: 1, x: [0.5, below, 1.5, 2.5 - 0.0000002], y: [0, 0, 0.4999, 0])
    let out = Resampler().nearest(labels, along: map)
    #expect(out.samples == [20, 10, 30, 30])
  }

  /// At integral positions cubic and linear return the samples exactly.
  @Test func integralPositionsAreExact() {
    var rng = SplitMix64(seed: 13)
    let image = Inputs.noise(width: 11, height: 9, channels: 3, using: &rng)
    var xs: [Float] = []
    var ys: [Float] = []
    for _ in 0..<99 {
      xs.append(Float(rng.next() % 11))
      ys.append(Float(rng.next() % 9))
    }
    let map = SamplingMap(width: 11, height: 9, x: xs, y: ys)
    for border in BorderMode.allCases {
      for interpolation in [Interpolation.cubic, .linear] {
        let out = Resampler(border: border).resample(image, along: map, interpolation: interpolation)
        for p in 0..<99 {
          for c in 0..<3 {
            #expect(out.samples[p * 3 + c] == image[Int(xs[p]), Int(ys[p]), c])
          }
        }
      }
    }
  }

  /// The one-pass resampling (map rows generated on the fly) equals
  /// resampling along the stored map, bit for bit.
  @Test(arguments: [Interpolation.cubic, .linear, .nearest])
  func fusedEqualsMap(interpolation: Interpolation) {
    var rng = SplitMix64(seed: 14)
    let configuration = AugmentConfiguration.standard
    for (w, h, ch) in [(70, 45, 1), (33, 81, 3), (5, 3, 1), (130, 20, 2)] {
      let image = Inputs.noise(width: w, height: h, channels: ch, using: &rng)
      let labels = Inputs.blobs(width: w, height: h, count: 6, using: &rng)
      for border in BorderMode.allCases {
        let p = configuration.sample(using: &rng)
        let resampler = Resampler(border: border)
        let map = SamplingMap(values: p, width: w, height: h)
        let fused = resampler.resample(image, interpolation: interpolation, labels: labels, values: p)
        #expect(fused.image == resampler.resample(image, along: map, interpolation: interpolation))
        #expect(fused.labels == resampler.nearest(labels, along: map))
      }
    }
  }
}

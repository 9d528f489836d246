import Raster
import Testing

@Suite("Normalization")
struct NormalizationTests {
  /// Percentile bounds equal numpy's linear percentile computed from a full
  /// sort, for every sample type, per channel; the mapped values equal
  /// Float((v − low) / (high − low)) computed in Double.
  @Test func percentilesMatchSortReference() {
    var rng = SplitMix64(seed: 51)
    let percents: [(Double, Double)] = [(1, 99.8), (0, 100), (50, 50.5), (2.5, 97.5), (0.01, 99.99)]
    for trial in 0..<40 {
      let w = 1 + Int(rng.next() % 40)
      let h = 1 + Int(rng.next() % 30)
      let ch = 1 + Int(rng.next() % 3)
      let n = w * h * ch
      let image: AnyImage
      switch trial % 5 {
      case 0:
        image = .uint8(
          Image(width: w, height: h, channels: ch, samples: (0..<n).map { _ in UInt8(rng.next() % 256) }))
      case 1:
        image = .uint16(
          Image(
            width: w, height: h, channels: ch,
            samples: (0..<n).map { _ in UInt16(rng.next() % (trial % 2 == 0 ? 70 : 65536)) }))
      case 2:
        image = .uint32(
          Image(
            width: w, height: h, channels: ch,
            samples: (0..<n).map { _ in UInt32(truncatingIfNeeded: rng.next()) }))
      case 3:
        image = .int32(
          Image(
            width: w, height: h, channels: ch,
            samples: (0..<n).map { _ in Int32(truncatingIfNeeded: rng.next() % 2000) - 1000 }))
      default:
        var s = (0..<n).map { _ in Float(rng.gaussian() * 100) }
        // Ties and NaNs.
        for i in Swift.stride(from: 0, to: n, by: 7) { s[i] = 3 }
        if n > 4 { s[n / 2] = .nan }
        image = .float32(Image(width: w, height: h, channels: ch, samples: s))
      }
      let values = image.doubleSamples()
      for (low, high) in percents {
        let normalization = Normalization.percentile(lowPercent: low, highPercent: high)
        let bounds = normalization.bounds(of: image)
        let out = normalization.apply(to: image)
        for c in 0..<ch {
          let channel = Swift.stride(from: c, to: n, by: ch).map { values[$0] }
          let lo = numpyPercentile(channel, low)
          let hi = numpyPercentile(channel, high)
          #expect(bounds[c].low == lo, "trial \(trial) \(image.sampleType) p\(low)")
          #expect(bounds[c].high == hi, "trial \(trial) \(image.sampleType) p\(high)")
          for i in Swift.stride(from: c, to: n, by: ch) {
            let expected = hi > lo ? Float((values[i] - lo) / (hi - lo)) : Float(values[i] - lo)
            #expect(out.samples[i] == expected || (out.samples[i].isNaN && expected.isNaN))
          }
        }
      }
    }
  }

  /// Selection on orders that defeat naive quickselects (sorted, reversed,
  /// all equal, organ pipe, few distinct values) still gives the sort result.
  @Test func selectionOnAdversarialOrders() {
    let n = 20_001
    let orders: [[Float]] = [
      (0..<n).map { Float($0) },
      (0..<n).map { Float(n - $0) },
      [Float](repeating: 2.5, count: n),
      (0..<n).map { Float(min($0, n - $0)) },
      (0..<n).map { Float($0 % 3) },
    ]
    for samples in orders {
      let image = AnyImage.float32(Image(width: n, height: 1, samples: samples))
      let values = samples.map(Double.init)
      for (low, high) in [(1.0, 99.8), (0.0, 100.0), (37.3, 62.1)] {
        let b = Normalization.percentile(lowPercent: low, highPercent: high).bounds(of: image)[0]
        #expect(b.low == numpyPercentile(values, low))
        #expect(b.high == numpyPercentile(values, high))
      }
    }
  }

  /// `range` divides by the type's maximum; `none` keeps raw values.
  @Test func rangeAndNone() {
    let u8 = Image<UInt8>(width: 3, height: 1, samples: [0, 51, 255])
    #expect(Normalization.range.apply(to: u8).samples == [0, 0.2, 1])
    let u16 = Image<UInt16>(width: 2, height: 1, samples: [65535, 13107])
    #expect(Normalization.range.apply(to: u16).samples == [1, 0.2])
    let f = Image<Float>(width: 2, height: 1, samples: [-3.5, 1e6])
    #expect(Normalization.range.apply(to: f) == f)
    #expect(Normalization.none.apply(to: f) == f)
    #expect(Normalization.none.apply(to: u16).samples == [65535, 13107])
    let i32 = Image<Int32>(width: 2, height: 1, samples: [-5, 2_147_483_647])
    #expect(Normalization.range.apply(to: i32).samples == [Float(-5.0 / 2_147_483_647.0), 1])
  }

  /// A constant channel maps to 0; the default is 1–99.8.
  @Test func constantImage() {
    let image = Image<UInt16>(width: 4, height: 4, repeating: 700)
    #expect(Normalization.standard.apply(to: image).samples.allSatisfy { $0 == 0 })
    #expect(Normalization.standard == .percentile(lowPercent: 1, highPercent: 99.8))
  }
}

/// numpy.percentile(values, q) with the default 'linear' method, from a
/// full sort.
func numpyPercentile(_ values: [Double], _ q: Double) -> Double {
  let a = values.filter { !$0.isNaN }.sorted()
  guard !a.isEmpty else { return 0 }
  let h = Double(a.count - 1) * q / 100
  let k = Int(h.rounded(.down))
  if k + 1 >= a.count { return a[a.count - 1] }
  return a[k] + (h - Double(k)) * (a[k + 1] - a[k])
}

/// How a source image becomes float32: before augmentation, and again before
/// validation and prediction, so that a network sees images as it was trained
/// on them. Each channel is
/// mapped by `v ↦ (v − low) / (high − low)` with its own bounds (see
/// ``bounds(of:)``), computed in Double and rounded to Float; where
/// `high = low` the map is `v ↦ v − low`. Nothing is clipped.
public enum Normalization: Sendable, Equatable, Hashable, Codable {
  /// `low`, `high` are the channel's `lowPercent` and `highPercent`
  /// percentiles (as StarDist / CSBDeep's `normalize(x, 1, 99.8)`, without
  /// clipping). Percentiles are numpy's default (`method='linear'`): with
  /// the channel's `n` non-NaN values sorted as `a[0] ≤ … ≤ a[n−1]`,
  /// `h = (n − 1)·P / 100`, `k = ⌊h⌋`, `f = h − k`, the percentile is
  /// `a[k] + (a[k+1] − a[k])·f` (`a[k]` when `f = 0` or `k = n − 1`), in
  /// Double — numpy's own evaluation order may differ in the last bit.
  /// NaN samples are ignored (and stay NaN); a channel with no values gets
  /// `low = high = 0`.
  case percentile(lowPercent: Double, highPercent: Double)
  /// `low = 0`, `high` = the sample type's largest value (255, 65535,
  /// 4294967295, 2147483647); float images are unchanged (`high = 1`).
  case range
  /// Raw values as Float (`low = 0`, `high = 1`).
  case none

  /// The default, 1st to 99.8th percentile.
  public static let standard = Normalization.percentile(lowPercent: 1, highPercent: 99.8)

  /// The bounds `(low, high)` of each channel.
  ///
  /// - Complexity: `percentile`: O(n) per channel — a histogram for 8- and
  ///   16-bit samples, selection (quickselect) otherwise.
  public func bounds(of image: AnyImage) -> [(low: Double, high: Double)] {
    switch self {
    case .none:
      return Array(repeating: (0, 1), count: image.channels)
    case .range:
      let high: Double
      switch image.sampleType {
      case .uint8: high = Double(UInt8.max)
      case .uint16: high = Double(UInt16.max)
      case .uint32: high = Double(UInt32.max)
      case .int32: high = Double(Int32.max)
      case .float32: high = 1
      }
      return Array(repeating: (0, high), count: image.channels)
    case .percentile(let lowPercent, let highPercent):
      return (0..<image.channels).map { c in
        Percentiles.of(image, channel: c, lowPercent, highPercent)
      }
    }
  }

  /// The image normalised to float32, same size and channels.
  public func apply(to image: AnyImage) -> Image<Float> {
    let bounds = bounds(of: image)
    switch image {
    case .uint8(let i): return Self.map(i, bounds)
    case .uint16(let i): return Self.map(i, bounds)
    case .uint32(let i): return Self.map(i, bounds)
    case .int32(let i): return Self.map(i, bounds)
    case .float32(let i):
      if bounds.allSatisfy({ $0.low == 0 && $0.high == 1 }) { return i }
      return Self.map(i, bounds)
    }
  }

  /// The image normalised to float32, same size and channels.
  public func apply<S: PixelSample>(to image: Image<S>) -> Image<Float> {
    apply(to: AnyImage(image))
  }

  private static func map<S: PixelSample>(_ image: Image<S>, _ bounds: [(low: Double, high: Double)])
    -> Image<Float>
  {
    let ch = image.channels
    var out = [Float](repeating: 0, count: image.samples.count)
    image.samples.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<ch {
          let (low, high) = bounds[c]
          if low == 0 && high == 1 {
            for i in Swift.stride(from: c, to: src.count, by: ch) { dst[i] = Float(src[i].doubleValue) }
          } else if high > low {
            let span = high - low
            for i in Swift.stride(from: c, to: src.count, by: ch) {
              dst[i] = Float((src[i].doubleValue - low) / span)
            }
          } else {
            for i in Swift.stride(from: c, to: src.count, by: ch) { dst[i] = Float(src[i].doubleValue - low) }
          }
        }
      }
    }
    return Image(width: image.width, height: image.height, channels: ch, samples: out)
  }
}

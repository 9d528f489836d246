/// An image whose sample type is known only at run time, as read from a file.
public enum AnyImage: Sendable, Equatable {
  case uint8(Image<UInt8>)
  case uint16(Image<UInt16>)
  case uint32(Image<UInt32>)
  case int32(Image<Int32>)
  case float32(Image<Float>)

  /// Wraps a typed image.
  public init<S: PixelSample>(_ image: Image<S>) {
    switch image {
    case let i as Image<UInt8>: self = .uint8(i)
    case let i as Image<UInt16>: self = .uint16(i)
    case let i as Image<UInt32>: self = .uint32(i)
    case let i as Image<Int32>: self = .int32(i)
    case let i as Image<Float>: self = .float32(i)
    default: preconditionFailure("AnyImage: unsupported sample type \(S.self)")
    }
  }

  public var width: Int { dims.width }
  public var height: Int { dims.height }
  public var channels: Int { dims.channels }

  public var sampleType: SampleType {
    switch self {
    case .uint8: .uint8
    case .uint16: .uint16
    case .uint32: .uint32
    case .int32: .int32
    case .float32: .float32
    }
  }

  private var dims: (width: Int, height: Int, channels: Int) {
    switch self {
    case .uint8(let i): (i.width, i.height, i.channels)
    case .uint16(let i): (i.width, i.height, i.channels)
    case .uint32(let i): (i.width, i.height, i.channels)
    case .int32(let i): (i.width, i.height, i.channels)
    case .float32(let i): (i.width, i.height, i.channels)
    }
  }

  /// Every sample as a Double (exact for all supported types), row-major,
  /// channels interleaved.
  public func doubleSamples() -> [Double] {
    switch self {
    case .uint8(let i): i.samples.map(Double.init)
    case .uint16(let i): i.samples.map(Double.init)
    case .uint32(let i): i.samples.map(Double.init)
    case .int32(let i): i.samples.map(Double.init)
    case .float32(let i): i.samples.map(Double.init)
    }
  }

  /// Every sample converted to Float (exact for 8- and 16-bit samples).
  public func floatImage() -> Image<Float> {
    switch self {
    case .uint8(let i): Image(width: i.width, height: i.height, channels: i.channels, samples: i.samples.map(Float.init))
    case .uint16(let i): Image(width: i.width, height: i.height, channels: i.channels, samples: i.samples.map(Float.init))
    case .uint32(let i): Image(width: i.width, height: i.height, channels: i.channels, samples: i.samples.map(Float.init))
    case .int32(let i): Image(width: i.width, height: i.height, channels: i.channels, samples: i.samples.map(Float.init))
    case .float32(let i): i
    }
  }

  /// The smallest and largest sample, or nil for an empty image.
  public var range: (min: Double, max: Double)? {
    switch self {
    case .uint8(let i): i.range.map { (Double($0.min), Double($0.max)) }
    case .uint16(let i): i.range.map { (Double($0.min), Double($0.max)) }
    case .uint32(let i): i.range.map { (Double($0.min), Double($0.max)) }
    case .int32(let i): i.range.map { (Double($0.min), Double($0.max)) }
    case .float32(let i):
      // NaNs are skipped so that the range stays meaningful.
      i.samples.lazy.filter { !$0.isNaN }.reduce(nil) { acc, v -> (Double, Double)? in
        guard let acc else { return (Double(v), Double(v)) }
        return (Swift.min(acc.0, Double(v)), Swift.max(acc.1, Double(v)))
      }
    }
  }

  /// The number of distinct non-zero values of an integer image (its
  /// instances, for a label image); nil for float images.
  public var distinctNonZeroCount: Int? {
    switch self {
    case .uint8(let i): Self.distinctNonZero(i.samples.lazy.map { UInt32($0) })
    case .uint16(let i): Self.distinctNonZero(i.samples.lazy.map { UInt32($0) })
    case .uint32(let i): Self.distinctNonZero(i.samples.lazy.map { $0 })
    case .int32(let i): Set(i.samples.lazy.filter { $0 != 0 }).count
    case .float32: nil
    }
  }

  private static func distinctNonZero<C: Sequence>(_ values: C) -> Int where C.Element == UInt32 {
    var seen = Set<UInt32>()
    var last: UInt32 = 0
    for v in values where v != 0 && v != last {
      seen.insert(v)
      last = v
    }
    return seen.count
  }

  /// The image as instance labels: single channel, integer, non-negative.
  ///
  /// - Throws: ``RasterError`` (`.unsupported`) naming `path` for a float
  ///   image, several channels, or a negative value.
  public func labels(path: String) throws -> LabelImage {
    guard channels == 1 else {
      throw RasterError(.unsupported, path: path, "label image has \(channels) channels, expected 1")
    }
    switch self {
    case .uint8(let i): return LabelImage(width: i.width, height: i.height, samples: i.samples.map(UInt32.init))
    case .uint16(let i): return LabelImage(width: i.width, height: i.height, samples: i.samples.map(UInt32.init))
    case .uint32(let i): return i
    case .int32(let i):
      if let bad = i.samples.first(where: { $0 < 0 }) {
        throw RasterError(.unsupported, path: path, "label image has a negative value (\(bad))")
      }
      return LabelImage(width: i.width, height: i.height, samples: i.samples.map { UInt32($0) })
    case .float32:
      throw RasterError(.unsupported, path: path, "label image has float32 samples, expected integers")
    }
  }
}

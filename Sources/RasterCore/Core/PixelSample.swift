/// The numeric sample types an ``Image`` can hold.
public enum SampleType: String, Sendable, CaseIterable, Codable {
  case uint8, uint16, uint32, int32, float32

  /// Bytes per sample.
  public var byteCount: Int {
    switch self {
    case .uint8: 1
    case .uint16: 2
    case .uint32, .int32, .float32: 4
    }
  }

  /// True for the integer types.
  public var isInteger: Bool { self != .float32 }
}

/// A sample type usable in ``Image``: one of UInt8, UInt16, UInt32, Int32, Float.
public protocol PixelSample: Sendable, Equatable, Comparable, Numeric {
  /// The run-time tag of this type.
  static var sampleType: SampleType { get }
  /// The sample as a Double, exactly.
  var doubleValue: Double { get }
}

extension UInt8: PixelSample {
  public static var sampleType: SampleType { .uint8 }
  @inlinable public var doubleValue: Double { Double(self) }
}
extension UInt16: PixelSample {
  public static var sampleType: SampleType { .uint16 }
  @inlinable public var doubleValue: Double { Double(self) }
}
extension UInt32: PixelSample {
  public static var sampleType: SampleType { .uint32 }
  @inlinable public var doubleValue: Double { Double(self) }
}
extension Int32: PixelSample {
  public static var sampleType: SampleType { .int32 }
  @inlinable public var doubleValue: Double { Double(self) }
}
extension Float: PixelSample {
  public static var sampleType: SampleType { .float32 }
  @inlinable public var doubleValue: Double { Double(self) }
}

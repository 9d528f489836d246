/// A JSON value: the generation parameters that a dataset manifest stores
/// without knowing their shape, a safetensors header, a metrics line.
///
/// Numbers keep their kind: integers as `.int` (or `.uint` above
/// `Int64.max`, e.g. a 64-bit seed), others as `.double`. Encoding is
/// deterministic (see `serialized(indent:)`), so equal values give equal
/// bytes, and parsing what was serialized gives the same value back.
public enum JSONValue: Sendable, Hashable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// An integer.
  case int(Int64)
  /// An integer above `Int64.max`; smaller ones are `.int` (equality
  /// treats `.uint(n)` and `.int(n)` alike).
  case uint(UInt64)
  /// A finite floating-point number (NaN and infinities have no JSON form).
  case double(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object; keys are written in sorted (code point) order.
  case object([String: JSONValue])

  /// An integer value, as `.int` when it fits, else `.uint`.
  public static func integer(_ value: UInt64) -> JSONValue {
    value <= UInt64(Int64.max) ? .int(Int64(value)) : .uint(value)
  }

  /// The member `key` of an object, or nil.
  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { return members[key] }
    return nil
  }

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a.normalized, b.normalized) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.int(x), .int(y)): return x == y
    case let (.uint(x), .uint(y)): return x == y
    case let (.double(x), .double(y)): return x == y && x.sign == y.sign
    case let (.string(x), .string(y)): return x == y
    case let (.array(x), .array(y)): return x == y
    case let (.object(x), .object(y)): return x == y
    default: return false
    }
  }

  public func hash(into hasher: inout Hasher) {
    switch normalized {
    case .null: hasher.combine(0)
    case .bool(let x): hasher.combine(1); hasher.combine(x)
    case .int(let x): hasher.combine(2); hasher.combine(x)
    case .uint(let x): hasher.combine(3); hasher.combine(x)
    case .double(let x): hasher.combine(4); hasher.combine(x)
    case .string(let x): hasher.combine(5); hasher.combine(x)
    case .array(let x): hasher.combine(6); hasher.combine(x)
    case .object(let x): hasher.combine(7); hasher.combine(x)
    }
  }

  /// `.uint` values that fit `Int64` as `.int`.
  private var normalized: JSONValue {
    if case .uint(let x) = self, x <= UInt64(Int64.max) { return .int(Int64(x)) }
    return self
  }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(nilLiteral: ()) { self = .null }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int64) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
}

extension JSONValue: Codable {
  /// Decodes any JSON value. Through a `JSONDecoder` an integral number
  /// written as `1.0` may come back as `.int(1)`; `JSONValue.parse` keeps it
  /// `.double`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int64.self) {
      self = .int(value)
    } else if let value = try? container.decode(UInt64.self) {
      self = .uint(value)
    } else if let value = try? container.decode(Double.self) {
      self = .double(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else if let value = try? container.decode([String: JSONValue].self) {
      self = .object(value)
    } else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let x): try container.encode(x)
    case .int(let x): try container.encode(x)
    case .uint(let x): try container.encode(x)
    case .double(let x): try container.encode(x)
    case .string(let x): try container.encode(x)
    case .array(let x): try container.encode(x)
    case .object(let x): try container.encode(x)
    }
  }
}

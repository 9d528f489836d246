extension JSONValue {
  /// The JSON value of an `Encodable` value, numbers keeping their Swift
  /// kind: `Double` and `Float` become `.double` (so `10.0` is written
  /// `10.0`, as a manifest's parameters are), integers `.int` or `.uint`.
  /// `JSONEncoder` followed by ``parse(_:)`` would turn `10.0` into `.int(10)`.
  ///
  /// - Throws: `EncodingError` for a NaN or infinite number, or what the
  ///   value's `encode(to:)` throws.
  public init(encoding value: some Encodable) throws {
    let root = JSONValueEncoder.Node()
    try JSONValueEncoder.encode(value, into: root, at: [])
    self = root.built
  }
}

/// An `Encoder` that builds a ``JSONValue`` tree.
private struct JSONValueEncoder: Encoder {
  /// A place in the tree, filled by one container.
  final class Node {
    var value: JSONValue?
    var members: [String: Node]?
    var elements: [Node]?

    /// The finished value of this place.
    var built: JSONValue {
      if let members { return .object(members.mapValues(\.built)) }
      if let elements { return .array(elements.map(\.built)) }
      return value ?? .null
    }
  }

  let node: Node
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if node.members == nil { node.members = [:] }
    return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    if node.elements == nil { node.elements = [] }
    return Unkeyed(node: node, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    Single(node: node, codingPath: codingPath)
  }

  /// The value of a scalar, or nil for a type that encodes itself.
  static func scalar(_ value: Any, at path: [any CodingKey]) throws -> JSONValue? {
    func finite(_ d: Double) throws -> JSONValue {
      guard d.isFinite else {
        throw EncodingError.invalidValue(d, .init(codingPath: path, debugDescription: "JSON has no form for \(d)"))
      }
      return .double(d)
    }
    switch value {
    case let v as Bool: return .bool(v)
    case let v as String: return .string(v)
    case let v as Double: return try finite(v)
    case let v as Float: return try finite(Double(v))
    case let v as Int: return .int(Int64(v))
    case let v as Int8: return .int(Int64(v))
    case let v as Int16: return .int(Int64(v))
    case let v as Int32: return .int(Int64(v))
    case let v as Int64: return .int(v)
    case let v as UInt: return .integer(UInt64(v))
    case let v as UInt8: return .int(Int64(v))
    case let v as UInt16: return .int(Int64(v))
    case let v as UInt32: return .int(Int64(v))
    case let v as UInt64: return .integer(v)
    case let v as JSONValue: return v
    default: return nil
    }
  }

  /// Encodes `value` into `node`: a scalar directly, anything else by its
  /// own `encode(to:)`.
  static func encode(_ value: some Encodable, into node: Node, at path: [any CodingKey]) throws {
    if let scalar = try scalar(value, at: path) {
      node.value = scalar
    } else {
      try value.encode(to: JSONValueEncoder(node: node, codingPath: path))
    }
  }

  struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    private func child(_ key: Key) -> Node {
      let n = Node()
      node.members![key.stringValue] = n
      return n
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).value = .null }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
      try JSONValueEncoder.encode(value, into: child(key), at: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(
      keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
      JSONValueEncoder(node: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
      JSONValueEncoder(node: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
      JSONValueEncoder(node: child(Key(stringValue: "super")!), codingPath: codingPath)
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
      JSONValueEncoder(node: child(key), codingPath: codingPath + [key])
    }
  }

  struct Unkeyed: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int { node.elements!.count }

    private func next() -> Node {
      let n = Node()
      node.elements!.append(n)
      return n
    }

    mutating func encodeNil() throws { next().value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
      try JSONValueEncoder.encode(value, into: next(), at: codingPath)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
      -> KeyedEncodingContainer<NestedKey>
    {
      JSONValueEncoder(node: next(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
      JSONValueEncoder(node: next(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { JSONValueEncoder(node: next(), codingPath: codingPath) }
  }

  struct Single: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
      try JSONValueEncoder.encode(value, into: node, at: codingPath)
    }
  }
}

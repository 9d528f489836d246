import _Support

/// One WebDataset sample: a key and its fields, in order.
///
/// In the shard the sample is a run of consecutive tar entries named
/// `KEY.FIELD` (e.g. `000042.image.npy`, `000042.mask.png`, `000042.json`);
/// WebDataset splits an entry name at its first dot, so the key has no dot
/// and the field (its "extension") may have several.
public struct ShardSample: Sendable, Equatable {
  /// One field of a sample: its name (the entry name after the key's dot)
  /// and content.
  public struct Field: Sendable, Equatable {
    /// The field name, e.g. `image.npy`.
    public let name: String
    /// The content.
    public let bytes: [UInt8]

    /// Creates a field; the name is checked when it joins a sample.
    public init(name: String, bytes: [UInt8]) {
      self.name = name
      self.bytes = bytes
    }
  }

  /// The sample key: shared by all its entries, unique within a shard.
  public let key: String
  /// The fields in entry order.
  public private(set) var fields: [Field]

  /// Creates a sample.
  /// - Parameters:
  ///   - key: see `keyProblem(_:)` for the rules.
  ///   - fields: distinct field names, see `fieldProblem(_:)`; the entry name
  ///     `KEY.FIELD` must fit the 100 bytes of a ustar name.
  /// - Throws: `ShardError` `.invalidKey` or `.duplicateKey` naming the entry.
  public init(key: String, fields: [Field]) throws {
    if let problem = ShardSample.keyProblem(key) {
      throw ShardError(.invalidKey, path: nil, entry: key, problem)
    }
    self.key = key
    self.fields = []
    for field in fields { try append(field) }
  }

  /// Creates a sample from `(field name, bytes)` pairs; see `init(key:fields:)`.
  public init(key: String, _ fields: KeyValuePairs<String, [UInt8]>) throws {
    try self.init(key: key, fields: fields.map { Field(name: $0.key, bytes: $0.value) })
  }

  /// Internal: a sample read back from a shard, whose names the reader checked.
  init(uncheckedKey key: String, fields: [Field]) {
    self.key = key
    self.fields = fields
  }

  /// Appends a field.
  /// - Throws: `ShardError` `.invalidKey` for a bad field name,
  ///   `.duplicateKey` when the sample already has the field.
  public mutating func append(_ field: Field) throws {
    let entry = key + "." + field.name
    if let problem = ShardSample.fieldProblem(field.name) {
      throw ShardError(.invalidKey, path: nil, entry: entry, problem)
    }
    guard entry.utf8.count <= TarHeader.nameLength else {
      throw ShardError(
        .invalidKey, path: nil, entry: entry,
        "the entry name is \(entry.utf8.count) bytes; key and field together allow 100")
    }
    guard !fields.contains(where: { $0.name == field.name }) else {
      throw ShardError(.duplicateKey, path: nil, entry: entry, "the sample already has field \(quoted(field.name))")
    }
    fields.append(field)
  }

  /// The content of field `name`, or nil.
  public subscript(field name: String) -> [UInt8]? {
    fields.first { $0.name == name }?.bytes
  }

  /// The tar entry names of the sample, in order: `KEY.FIELD`.
  public var entryNames: [String] { fields.map { key + "." + $0.name } }

  /// Why `key` is not a valid sample key, or nil when it is: not empty,
  /// printable ASCII without space (`!` through `~`), no `.` and no `/`,
  /// not starting with `__` (WebDataset skips some such names as metadata).
  public static func keyProblem(_ key: String) -> String? {
    if key.isEmpty { return "the key is empty" }
    if key.hasPrefix("__") { return "the key starts with '__' (reserved by WebDataset)" }
    for byte in key.utf8 {
      if byte == UInt8(ascii: ".") { return "the key contains '.' (WebDataset splits entry names at the first dot)" }
      if byte == UInt8(ascii: "/") { return "the key contains '/'" }
      if !(0x21...0x7E).contains(byte) { return "the key has a character that is not printable ASCII (! through ~)" }
    }
    return nil
  }

  /// Why `field` is not a valid field name, or nil when it is: not empty,
  /// printable ASCII without space, no `/`, no uppercase letters (WebDataset
  /// lowercases field names, so `X.PNG` and `X.png` would collide), no empty
  /// dot-separated part (`.png`, `a..b`, `png.`), and not starting with `__`
  /// (WebDataset's own `__key__`, `__url__`).
  public static func fieldProblem(_ field: String) -> String? {
    if field.isEmpty { return "the field name is empty" }
    if field.hasPrefix("__") { return "the field name starts with '__' (reserved by WebDataset)" }
    for byte in field.utf8 {
      if byte == UInt8(ascii: "/") { return "the field name contains '/'" }
      if (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) {
        return "the field name has an uppercase letter (WebDataset lowercases field names)"
      }
      if !(0x21...0x7E).contains(byte) { return "the field name has a character that is not printable ASCII (! through ~)" }
    }
    if field.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
      return "the field name has an empty part between dots"
    }
    return nil
  }
}

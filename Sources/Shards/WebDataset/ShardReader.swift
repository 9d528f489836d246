import _Support

/// Reads the samples of a WebDataset shard, grouping consecutive entries that
/// share a key.
///
/// On top of `TarReader`'s checks it rejects, naming the shard and entry:
/// entry names without a field (`.invalidKey`), keys that break
/// `ShardSample.keyProblem` (`.invalidKey`), a field repeated within a
/// sample (`.duplicateKey`), and a key that appears again after other keys
/// (`.nonConsecutiveKey`).
///
/// Memory: one sample, plus the set of keys seen.
public final class ShardReader {
  /// The shard being read.
  public var path: String { tar.path }
  private let tar: TarReader
  private var pending: TarEntry?
  private var seen: Set<String> = []

  /// Opens the shard at `path`.
  /// - Throws: `ShardError` `.notFound` or `.io`.
  public init(path: String, limits: TarReader.Limits = .default) throws {
    tar = try TarReader(path: path, limits: limits)
  }

  /// The next sample, or nil at the end of the shard.
  /// - Complexity: O(size of the sample).
  public func next() throws -> ShardSample? {
    guard let first = try pending ?? tar.next() else { return nil }
    pending = nil
    let (key, field) = try split(first.name)
    guard !seen.contains(key) else {
      throw ShardError(
        .nonConsecutiveKey, path: path, entry: first.name,
        "key \(quoted(key)) appears again after other keys; a sample's entries must be consecutive")
    }
    var fields = [ShardSample.Field(name: field, bytes: first.data)]
    while let entry = try tar.next() {
      let (nextKey, nextField) = try split(entry.name)
      guard nextKey == key else {
        pending = entry
        break
      }
      guard !fields.contains(where: { $0.name == nextField }) else {
        throw ShardError(.duplicateKey, path: path, entry: entry.name, "the entry appears twice in sample \(quoted(key))")
      }
      fields.append(ShardSample.Field(name: nextField, bytes: entry.data))
    }
    seen.insert(key)
    return ShardSample(uncheckedKey: key, fields: fields)
  }

  /// Calls `body` with each sample in order.
  public func forEach(_ body: (ShardSample) throws -> Void) throws {
    while let sample = try next() { try body(sample) }
  }

  /// All samples of the shard at `path`.
  public static func readAll(path: String, limits: TarReader.Limits = .default) throws -> [ShardSample] {
    let reader = try ShardReader(path: path, limits: limits)
    var samples: [ShardSample] = []
    try reader.forEach { samples.append($0) }
    return samples
  }

  private func split(_ name: String) throws -> (key: String, field: String) {
    guard let dot = name.firstIndex(of: ".") else {
      throw ShardError(.invalidKey, path: path, entry: name, "the entry name has no '.FIELD' after its key")
    }
    let key = String(name[..<dot])
    let field = String(name[name.index(after: dot)...])
    if let problem = ShardSample.keyProblem(key) {
      throw ShardError(.invalidKey, path: path, entry: name, problem)
    }
    guard !field.isEmpty else {
      throw ShardError(.invalidKey, path: path, entry: name, "the field name after the key is empty")
    }
    return (key, field)
  }
}

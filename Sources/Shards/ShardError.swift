import _Support

/// A failure to write, read, verify or merge shards: what failed, why, and where.
///
/// `description` is one line, `PATH: entry "NAME": REASON` (the parts that
/// apply), fit for a command-line error.
public struct ShardError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of failure.
  public enum Code: String, Sendable {
    /// The operating system refused an open, read, write or rename.
    case io
    /// The file does not exist.
    case notFound
    /// The archive ends inside a header, inside an entry's data, or before
    /// its end-of-archive marker.
    case truncated
    /// A header is not a valid ustar header (checksum, magic, number fields).
    case corrupt
    /// An entry name is absolute, contains `..`, is empty or is not UTF-8.
    case unsafeName
    /// An entry is not a regular file (link, device, directory, FIFO, pax or
    /// GNU extension header).
    case unsupportedEntryType
    /// An entry, or a name, exceeds a limit of the format or of the reader.
    case tooLarge
    /// A sample key or field name breaks the WebDataset naming rules.
    case invalidKey
    /// The same entry (key and field) appears twice.
    case duplicateKey
    /// A key appears again after entries of other keys.
    case nonConsecutiveKey
    /// A shard's size or SHA-256 differs from the expected one.
    case checksumMismatch
    /// A manifest is not valid JSON or a field has the wrong type or value.
    case invalidManifest
    /// Manifests that must agree (parameters, plan, tool) do not.
    case manifestConflict
    /// A shard is listed twice.
    case duplicateShard
    /// Shards that a complete dataset needs are absent.
    case missingShards
    /// A plan or partition value is out of range, or the environment gives
    /// no usable partition.
    case invalidPlan
    /// A sample lacks a field of the dataset layout, or a field is not the
    /// type or shape the layout says (see `SampleLayout`).
    case invalidSample
  }

  /// The kind of failure.
  public let code: Code
  /// The file concerned (shard, manifest), or nil when there is none.
  public let path: String?
  /// The tar entry concerned (its name, or its position when the name is
  /// unreadable), or nil.
  public let entry: String?
  /// Why, in words.
  public let reason: String

  /// Creates an error.
  public init(_ code: Code, path: String?, entry: String? = nil, _ reason: String) {
    self.code = code
    self.path = path
    self.entry = entry
    self.reason = reason
  }

  /// `PATH: entry "NAME": REASON`, leaving out the parts that are nil.
  public var description: String {
    var parts: [String] = []
    if let path { parts.append(path) }
    if let entry { parts.append("entry \(quoted(entry))") }
    parts.append(reason)
    return parts.joined(separator: ": ")
  }
}

extension ShardError {
  /// A file-system failure as a shard error (`.notFound`, else `.io`: the
  /// files Shards opens and writes through `FileError` fail only there).
  init(_ error: FileError) {
    self.init(error.code == .notFound ? .notFound : .io, path: error.path, error.reason)
  }

  /// Text of a manifest that is not JSON, as `.invalidManifest`.
  init(_ error: JSONError) {
    self.init(.invalidManifest, path: error.path, error.message)
  }
}

import _Support

/// Writes one WebDataset shard: the samples' entries in order, as a
/// deterministic ustar archive, under a temporary name that is renamed onto
/// the shard's path only once the archive is complete.
///
/// The SHA-256 is computed from the bytes as they are written; nothing is
/// read back. Keys must be unique within the shard.
///
/// ```swift
/// let info = try ShardWriter.write(to: "out/train-000000.tar", index: 0) { shard in
///   for i in 0..<8 { try shard.append(makeSample(i)) }
/// }
/// ```
public final class ShardWriter {
  /// The shard's final path.
  public let path: String
  /// The shard's index, recorded in its `ShardInfo`.
  public let index: Int
  private var encoder: SampleEncoder<OutputFile>
  private var isOpen = true

  /// How many samples have been appended.
  public var sampleCount: Int { encoder.sampleCount }

  private init(path: String, index: Int, encoder: SampleEncoder<OutputFile>) {
    self.path = path
    self.index = index
    self.encoder = encoder
  }

  /// Appends a sample's entries.
  /// - Throws: `ShardError` `.duplicateKey` when the key was used before in
  ///   this shard, `.invalidKey` when the sample has no fields, or `.io`.
  /// - Complexity: O(size of the sample).
  public func append(_ sample: ShardSample) throws {
    precondition(isOpen, "ShardWriter used outside its write(to:index:) closure")
    try encoder.append(sample)
  }

  /// Writes the shard at `path` atomically from the samples `body` appends.
  ///
  /// - Parameters:
  ///   - path: the shard file; its folder must exist. A file already there
  ///     is replaced only when the new one is complete.
  ///   - index: the shard index, recorded in the result.
  ///   - mtime: the modification time in every tar header (default 0).
  ///   - body: appends the samples; the writer is valid only inside it.
  /// - Returns: the shard's file name, sample count, size and SHA-256.
  /// - Throws: what `body` throws (the temporary file is then removed), or a
  ///   `ShardError`.
  public static func write(
    to path: String, index: Int, mtime: Int = 0, _ body: (ShardWriter) throws -> Void
  ) throws -> ShardInfo {
    try atomically(path) { temporary in
      let file = try OutputFile(creating: temporary)
      let tar = TarWriter(output: file, mtime: mtime, label: path)
      let writer = ShardWriter(path: path, index: index, encoder: SampleEncoder(tar: tar))
      defer { writer.isOpen = false }
      try body(writer)
      try writer.encoder.tar.finish()
      try file.close()
      return ShardInfo(
        index: index, file: fileName(of: path), samples: writer.sampleCount,
        bytes: file.digest.count, sha256: file.digest.hexDigest())
    }
  }

  /// Writes `samples` as the shard at `path`; see `write(to:index:mtime:_:)`.
  public static func write(
    _ samples: some Sequence<ShardSample>, to path: String, index: Int, mtime: Int = 0
  ) throws -> ShardInfo {
    try write(to: path, index: index, mtime: mtime) { shard in
      for sample in samples { try shard.append(sample) }
    }
  }

  /// The `ShardInfo` that writing `samples` would produce, computed without
  /// writing anything: the expected identity of an existing shard.
  /// - Complexity: O(total size), memory O(1) beyond the samples.
  public static func expectedInfo(
    of samples: some Sequence<ShardSample>, file: String, index: Int, mtime: Int = 0
  ) throws -> ShardInfo {
    var encoder = SampleEncoder(tar: TarWriter(output: DigestOutput(), mtime: mtime, label: file))
    for sample in samples { try encoder.append(sample) }
    try encoder.tar.finish()
    let digest = encoder.tar.output
    return ShardInfo(
      index: index, file: file, samples: encoder.sampleCount, bytes: digest.count, sha256: digest.hexDigest())
  }
}

/// Samples to tar entries, keys checked unique: shared by the file writer and
/// the digest-only recomputation so that both see the same bytes.
struct SampleEncoder<Output: TarOutput> {
  var tar: TarWriter<Output>
  private(set) var sampleCount = 0
  private var keys: Set<String> = []

  init(tar: TarWriter<Output>) { self.tar = tar }

  mutating func append(_ sample: ShardSample) throws {
    guard !sample.fields.isEmpty else {
      throw ShardError(.invalidKey, path: tar.label, entry: sample.key, "the sample has no fields")
    }
    guard keys.insert(sample.key).inserted else {
      throw ShardError(.duplicateKey, path: tar.label, entry: sample.key, "the key is already used in this shard")
    }
    for field in sample.fields {
      try tar.append(name: sample.key + "." + field.name, bytes: field.bytes)
    }
    sampleCount += 1
  }
}

/// The last path component of `path`.
func fileName(of path: String) -> String {
  path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
}

/// Runs `body` with a temporary path beside `path` and renames it onto
/// `path` when `body` returns (`AtomicFile`), reporting failures as
/// `ShardError`.
func atomically<T>(_ path: String, _ body: (String) throws -> T) throws -> T {
  do {
    return try AtomicFile.withTemporaryPath(for: path, body)
  } catch let error as FileError {
    throw ShardError(error)
  }
}

/// Writes `bytes` to `path` atomically, reporting failures as `ShardError`.
func writeAtomically(_ bytes: [UInt8], to path: String) throws {
  do {
    try AtomicFile.write(bytes, to: path)
  } catch let error as FileError {
    throw ShardError(error)
  }
}

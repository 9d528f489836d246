/// Writes a POSIX ustar archive of regular files, byte for byte
/// deterministic: the same entries in the same order give the same bytes.
///
/// Every entry gets mode 0644, uid and gid 0, empty user and group names,
/// the writer's fixed `mtime`, typeflag `'0'` and a correct checksum; names
/// longer than 100 bytes use the ustar prefix field (split at a `/`).
/// Data is padded to 512-byte blocks, and `finish()` writes the two zero
/// blocks that end the archive (no padding to a 10 KiB record). Python's
/// `tarfile`, GNU tar and WebDataset read the result.
///
/// Writes go straight to `output`: memory is one entry's header, whatever
/// the archive size.
public struct TarWriter<Output: TarOutput> {
  /// Where the bytes go.
  public private(set) var output: Output
  /// The modification time written into every header, in seconds since 1970.
  public let mtime: Int
  /// The file named in errors (the archive being written), if any.
  public let label: String?
  /// How many bytes have been written.
  public private(set) var byteCount = 0
  private var finished = false

  /// The largest entry a ustar header can describe: 8 GiB − 1 bytes.
  public static var maxEntryBytes: Int { TarHeader.maxOctal11 }

  /// Creates a writer.
  /// - Parameters:
  ///   - output: the destination.
  ///   - mtime: the modification time of every entry (default 0, the epoch),
  ///     in `0..<8^11` seconds.
  ///   - label: the archive's path, for error messages.
  public init(output: Output, mtime: Int = 0, label: String? = nil) {
    precondition((0...TarHeader.maxOctal11).contains(mtime), "tar mtime \(mtime) outside 0...8^11-1")
    self.output = output
    self.mtime = mtime
    self.label = label
  }

  /// Appends a regular file entry.
  ///
  /// - Parameters:
  ///   - name: a relative path: not empty, no `..` component, no NUL, not
  ///     ending in `/`; at most 100 bytes, or up to 256 when a `/` splits it
  ///     into a prefix of ≤ 155 and a name of ≤ 100 bytes.
  ///   - bytes: the content, under 8 GiB.
  /// - Throws: `ShardError` `.unsafeName` or `.tooLarge` naming the entry,
  ///   or what `output` throws.
  /// - Complexity: O(`bytes.count`).
  public mutating func append(name: String, bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try append(name: name, contents: $0) }
  }

  /// Appends a regular file entry whose content is `contents`; see
  /// `append(name:bytes:)`.
  public mutating func append(name: String, contents: UnsafeRawBufferPointer) throws {
    precondition(!finished, "TarWriter.append after finish()")
    if let problem = EntryName.problem(name) {
      throw ShardError(.unsafeName, path: label, entry: name, problem)
    }
    guard contents.count <= TarHeader.maxOctal11 else {
      throw ShardError(
        .tooLarge, path: label, entry: name,
        "\(contents.count) bytes: a ustar entry holds at most \(TarHeader.maxOctal11) bytes (8 GiB - 1)")
    }
    guard let header = TarHeader.encode(name: Array(name.utf8), size: contents.count, mtime: mtime) else {
      throw ShardError(
        .tooLarge, path: label, entry: name,
        "the name is \(name.utf8.count) bytes: ustar allows 100, or 255 split at a '/' into 155 + 100")
    }
    try emit(header)
    if contents.count > 0 { try output.write(contents) }
    byteCount += contents.count
    let padding = (TarHeader.blockSize - contents.count % TarHeader.blockSize) % TarHeader.blockSize
    if padding > 0 { try emit([UInt8](repeating: 0, count: padding)) }
  }

  /// Writes the end-of-archive marker (two zero blocks). Call once, last.
  public mutating func finish() throws {
    precondition(!finished, "TarWriter.finish() called twice")
    finished = true
    try emit([UInt8](repeating: 0, count: 2 * TarHeader.blockSize))
  }

  private mutating func emit(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try output.write($0) }
    byteCount += bytes.count
  }
}

extension TarWriter where Output == MemoryOutput {
  /// The archive of `entries`, in order, as bytes.
  /// - Complexity: O(total size).
  public static func archive(_ entries: [TarEntry], mtime: Int = 0) throws -> [UInt8] {
    var writer = TarWriter(output: MemoryOutput(), mtime: mtime)
    for entry in entries { try writer.append(name: entry.name, bytes: entry.data) }
    try writer.finish()
    return writer.output.bytes
  }
}

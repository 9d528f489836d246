import _Support

/// One regular file of a tar archive.
public struct TarEntry: Sendable, Equatable {
  /// The path inside the archive (prefix and name fields joined by `/`).
  public var name: String
  /// The content.
  public var data: [UInt8]

  /// The content size in bytes.
  public var size: Int { data.count }

  /// Creates an entry.
  public init(name: String, data: [UInt8]) {
    self.name = name
    self.data = data
  }
}

/// Reads the entries of a ustar archive from a file, one at a time.
///
/// Strict by design, so that a shard that reads is a shard that is whole and
/// safe to unpack. It rejects, each with a one-line `ShardError` naming the
/// file and the entry:
/// - a header whose checksum, magic (`ustar\0` `00`, or GNU `ustar  \0`) or
///   number fields are wrong (`.corrupt`);
/// - a name that is empty, absolute, has a `..` component or ends in `/`, or
///   is not UTF-8 (`.unsafeName`);
/// - anything but a regular file: hard and symbolic links, character and
///   block devices, directories, FIFOs, pax and GNU extension headers
///   (`.unsupportedEntryType`);
/// - an entry larger than `Limits.maxEntryBytes` (`.tooLarge`);
/// - an archive that ends inside a header, inside data or padding, or
///   without its two zero blocks (`.truncated`).
///
/// Memory: one entry's data at a time.
public final class TarReader {
  /// Bounds on what the reader accepts.
  public struct Limits: Sendable, Equatable {
    /// The largest entry, in bytes, the reader loads.
    public var maxEntryBytes: Int

    /// Creates limits.
    public init(maxEntryBytes: Int) { self.maxEntryBytes = maxEntryBytes }

    /// 1 GiB per entry.
    public static let `default` = Limits(maxEntryBytes: 1 << 30)
  }

  /// The archive being read.
  public let path: String
  /// The limits in force.
  public let limits: Limits
  private let file: InputFile
  private var offset = 0
  private var entryIndex = 0
  private var previousName: String?
  private var ended = false
  private var failure: ShardError?

  /// Opens the archive at `path`.
  /// - Throws: `ShardError` `.notFound` or `.io`.
  public init(path: String, limits: Limits = .default) throws {
    self.path = path
    self.limits = limits
    self.file = try openShardInput(path)
  }

  /// The next entry, or nil after the end-of-archive marker.
  ///
  /// After an error every later call throws the same error.
  /// - Complexity: O(size of the entry).
  public func next() throws -> TarEntry? {
    if let failure { throw failure }
    if ended { return nil }
    do {
      return try readEntry()
    } catch let error as ShardError {
      failure = error
      throw error
    }
  }

  /// Calls `body` with each entry in order.
  public func forEach(_ body: (TarEntry) throws -> Void) throws {
    while let entry = try next() { try body(entry) }
  }

  private var position: String { "#\(entryIndex) at byte offset \(offset)" }

  private var afterPrevious: String {
    previousName.map { " (after entry \(quoted($0)))" } ?? " (before any entry)"
  }

  private func readBlock() throws -> (block: [UInt8], count: Int) {
    var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
    let n = try block.withUnsafeMutableBytes { try read(file, into: $0) }
    return (block, n)
  }

  private func readEntry() throws -> TarEntry? {
    let (block, n) = try readBlock()
    if n == 0 {
      throw ShardError(
        .truncated, path: path, entry: position,
        "the archive ends without its end-of-archive marker\(afterPrevious)")
    }
    if n < TarHeader.blockSize {
      throw ShardError(
        .truncated, path: path, entry: position,
        "the archive ends inside a header: \(n) of 512 bytes present\(afterPrevious)")
    }
    if block.allSatisfy({ $0 == 0 }) {
      let (second, m) = try readBlock()
      guard m == TarHeader.blockSize else {
        throw ShardError(
          .truncated, path: path, entry: position,
          "the archive ends after one zero block; the end-of-archive marker is two")
      }
      guard second.allSatisfy({ $0 == 0 }) else {
        throw ShardError(.corrupt, path: path, entry: position, "a lone zero block inside the archive")
      }
      ended = true
      return nil
    }
    let name = try headerName(block)
    try checkChecksumAndMagic(block, name: name)
    let entryName = try decodeName(block, shown: name)
    if let kind = TarHeader.nonRegularKind(block[TarHeader.typeflagOffset]) {
      throw ShardError(
        .unsupportedEntryType, path: path, entry: entryName,
        "the entry is \(kind); only regular files are allowed")
    }
    guard let size = TarHeader.parseOctal(block[124..<136]) else {
      throw ShardError(.corrupt, path: path, entry: entryName, "the size field is not an octal number")
    }
    guard size <= limits.maxEntryBytes else {
      throw ShardError(
        .tooLarge, path: path, entry: entryName,
        "the entry is \(size) bytes, over the limit of \(limits.maxEntryBytes) bytes")
    }
    let data = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      let got = try read(file, into: UnsafeMutableRawBufferPointer(buffer))
      initialized = got
    }
    guard data.count == size else {
      throw ShardError(
        .truncated, path: path, entry: entryName,
        "the archive ends inside the entry's data: \(data.count) of \(size) bytes present")
    }
    let padding = (TarHeader.blockSize - size % TarHeader.blockSize) % TarHeader.blockSize
    if padding > 0 {
      var pad = [UInt8](repeating: 0, count: padding)
      let got = try pad.withUnsafeMutableBytes { try read(file, into: $0) }
      guard got == padding else {
        throw ShardError(
          .truncated, path: path, entry: entryName,
          "the archive ends inside the entry's padding: \(got) of \(padding) bytes present")
      }
    }
    offset += TarHeader.blockSize + size + padding
    entryIndex += 1
    previousName = entryName
    return TarEntry(name: entryName, data: data)
  }

  /// The name as best shown in an error before the header is validated: the
  /// decoded name, or the position when it is not UTF-8 text.
  private func headerName(_ block: [UInt8]) throws -> String {
    let raw = joinedName(block)
    if let text = utf8String(raw), !text.isEmpty { return text }
    return position
  }

  private func joinedName(_ block: [UInt8]) -> [UInt8] {
    let name = TarHeader.text(block[0..<100])
    let prefix = TarHeader.text(block[345..<500])
    return prefix.isEmpty ? Array(name) : Array(prefix) + [UInt8(ascii: "/")] + Array(name)
  }

  private func checkChecksumAndMagic(_ block: [UInt8], name: String) throws {
    guard let stored = TarHeader.parseOctal(block[TarHeader.checksumRange]) else {
      throw ShardError(.corrupt, path: path, entry: name, "the header checksum field is not an octal number")
    }
    let sums = TarHeader.checksums(block)
    guard stored == sums.unsigned || stored == sums.signed else {
      throw ShardError(
        .corrupt, path: path, entry: name,
        "header checksum mismatch: stored \(String(stored, radix: 8)), "
          + "computed \(String(sums.unsigned, radix: 8)) (octal)")
    }
    let magic = block[257..<265]
    let posix = Array("ustar\u{0}00".utf8)
    let gnu = Array("ustar  \u{0}".utf8)
    guard magic.elementsEqual(posix) || magic.elementsEqual(gnu) else {
      let shown = quoted(String(decoding: magic, as: UTF8.self))
      throw ShardError(.corrupt, path: path, entry: name, "not a ustar header (magic \(shown))")
    }
  }

  private func decodeName(_ block: [UInt8], shown: String) throws -> String {
    guard let name = utf8String(joinedName(block)) else {
      throw ShardError(.unsafeName, path: path, entry: shown, "the name is not UTF-8")
    }
    if let problem = EntryName.problem(name) {
      throw ShardError(.unsafeName, path: path, entry: name.isEmpty ? position : name, problem)
    }
    return name
  }
}

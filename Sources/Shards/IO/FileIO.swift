#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import _Support

/// A byte destination for `TarWriter`.
public protocol TarOutput {
  /// Appends `bytes`.
  mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A `TarOutput` that collects the bytes in memory.
public struct MemoryOutput: TarOutput, Sendable {
  /// The bytes written so far.
  public private(set) var bytes: [UInt8] = []

  /// An empty output.
  public init() {}

  /// Appends `bytes` to `bytes`.
  public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
    self.bytes.append(contentsOf: bytes)
  }
}

/// A `TarOutput` that keeps only the SHA-256 and the length of what passes
/// through it: the identity of a shard without storing it.
public struct DigestOutput: TarOutput {
  private var hasher = SHA256()
  /// How many bytes were written.
  public private(set) var count = 0

  /// An output that has seen no bytes.
  public init() {}

  /// Hashes and counts `bytes`.
  public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
    hasher.update(bytes)
    count += bytes.count
  }

  /// The SHA-256 of the bytes written, as 64 lowercase hex digits.
  public func hexDigest() -> String { hexString(hasher.finalize()) }
}

/// A new file being written, hashed as the bytes go out (never re-read).
final class OutputFile: TarOutput {
  let path: String
  private var fd: Int32
  private(set) var digest = DigestOutput()

  /// Creates `path`, which must not exist yet (a fresh temporary name).
  init(creating path: String) throws {
    self.path = path
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw ShardError(.io, path: path, "cannot create: \(errnoText())") }
  }

  deinit { if fd >= 0 { posixClose(fd) } }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    if let reason = posixWriteAll(fd, bytes) { throw ShardError(.io, path: path, "write failed: \(reason)") }
    try digest.write(bytes)
  }

  /// Flushes the file to storage and closes it.
  func close() throws {
    guard fd >= 0 else { return }
    let synced = fsync(fd) == 0
    let reason = synced ? "" : errnoText()
    let closed = posixClose(fd) == 0
    fd = -1
    guard synced else { throw ShardError(.io, path: path, "fsync failed: \(reason)") }
    guard closed else { throw ShardError(.io, path: path, "close failed: \(errnoText())") }
  }
}

/// Lowercase hex of `bytes`.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
  let digits = Array("0123456789abcdef".utf8)
  var out: [UInt8] = []
  for byte in bytes {
    out.append(digits[Int(byte >> 4)])
    out.append(digits[Int(byte & 15)])
  }
  return String(decoding: out, as: UTF8.self)
}

/// Opens `path` for reading, reporting failures as `ShardError`.
func openShardInput(_ path: String) throws -> InputFile {
  do {
    return try InputFile(path: path)
  } catch let error as FileError {
    throw ShardError(error)
  }
}

/// `file.read(into:)`, reporting failures as `ShardError`.
func read(_ file: InputFile, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
  do {
    return try file.read(into: buffer)
  } catch let error as FileError {
    throw ShardError(error)
  }
}

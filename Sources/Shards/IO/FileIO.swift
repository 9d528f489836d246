#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import Crypto

// Thin POSIX file access: each call wrapped once, its status turned into a
// `ShardError` naming the file.

@inline(__always)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
  #elseif canImport(Musl)
    Musl.read(fd, buffer, count)
  #else
    Darwin.read(fd, buffer, count)
  #endif
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
  #elseif canImport(Musl)
    Musl.write(fd, buffer, count)
  #else
    Darwin.write(fd, buffer, count)
  #endif
}

@inline(__always)
@discardableResult
private func systemClose(_ fd: Int32) -> Int32 {
  #if canImport(Glibc)
    Glibc.close(fd)
  #elseif canImport(Musl)
    Musl.close(fd)
  #else
    Darwin.close(fd)
  #endif
}

private func errnoText() -> String { String(cString: strerror(errno)) }

/// A file opened for reading, closed when released.
final class InputFile {
  let path: String
  /// The file's size in bytes when it was opened.
  let size: Int
  private let fd: Int32

  /// Opens `path`; throws `.notFound` when it does not exist, `.io` when it
  /// is a folder or cannot be opened.
  init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      if errno == ENOENT { throw ShardError(.notFound, path: path, "no such file") }
      throw ShardError(.io, path: path, "cannot open: \(errnoText())")
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let reason = errnoText()
      systemClose(fd)
      throw ShardError(.io, path: path, "cannot stat: \(reason)")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      systemClose(fd)
      throw ShardError(.io, path: path, "not a regular file")
    }
    self.fd = fd
    self.size = Int(info.st_size)
  }

  deinit { systemClose(fd) }

  /// Fills `buffer` from the current position; returns how many bytes were
  /// read, fewer than `buffer.count` only at the end of the file.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard let base = buffer.baseAddress else { return 0 }
    var done = 0
    while done < buffer.count {
      let n = systemRead(fd, base + done, buffer.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw ShardError(.io, path: path, "read failed: \(errnoText())")
      }
      if n == 0 { break }
      done += n
    }
    return done
  }
}

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
    hasher.update(bufferPointer: bytes)
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

  deinit { if fd >= 0 { systemClose(fd) } }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress else { return }
    var done = 0
    while done < bytes.count {
      let n = systemWrite(fd, base + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw ShardError(.io, path: path, "write failed: \(errnoText())")
      }
      done += n
    }
    try digest.write(bytes)
  }

  /// Flushes the file to storage and closes it.
  func close() throws {
    guard fd >= 0 else { return }
    let synced = fsync(fd) == 0
    let reason = synced ? "" : errnoText()
    let closed = systemClose(fd) == 0
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

/// `bytes` as a String when they are valid UTF-8, else nil.
func utf8String(_ bytes: [UInt8]) -> String? {
  let text = String(decoding: bytes, as: UTF8.self)
  return text.utf8.elementsEqual(bytes) ? text : nil
}

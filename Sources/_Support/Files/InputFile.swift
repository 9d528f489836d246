#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file opened for reading, closed when released.
package final class InputFile {
  /// The file's path, named in errors.
  package let path: String
  /// The file's size in bytes when it was opened.
  package let size: Int
  private let fd: Int32

  /// Opens `path`.
  /// - Throws: `FileError` `.notFound` when it does not exist,
  ///   `.isDirectory` for a folder, `.io` when it cannot be opened or is not
  ///   a regular file.
  package init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      if errno == ENOENT { throw FileError(.notFound, path: path, "no such file") }
      throw FileError(.io, path: path, "cannot open: \(errnoText())")
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let reason = errnoText()
      posixClose(fd)
      throw FileError(.io, path: path, "cannot stat: \(reason)")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      posixClose(fd)
      if (info.st_mode & S_IFMT) == S_IFDIR { throw FileError(.isDirectory, path: path, "is a folder, expected a file") }
      throw FileError(.io, path: path, "not a regular file")
    }
    self.fd = fd
    self.size = Int(info.st_size)
  }

  deinit { posixClose(fd) }

  /// Fills `buffer` from the current position; returns how many bytes were
  /// read, fewer than `buffer.count` only at the end of the file.
  package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    guard let base = buffer.baseAddress else { return 0 }
    var done = 0
    while done < buffer.count {
      let n = posixRead(fd, base + done, buffer.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw FileError(.io, path: path, "read failed: \(errnoText())")
      }
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// The rest of the file from the current position.
  package func readToEnd() throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    let count = try bytes.withUnsafeMutableBytes { try read(into: $0) }
    guard count == size else { return Array(bytes[0..<count]) }
    // The file may have grown since it was opened: read on to its end.
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
      bytes += chunk[0..<n]
      if n < chunk.count { return bytes }
    }
  }
}

/// The whole content of the regular file at `path`.
/// - Throws: `FileError` naming the file when it is missing, a folder or
///   unreadable.
package func readFile(_ path: String) throws -> [UInt8] {
  try InputFile(path: path).readToEnd()
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes that either put a whole file in place or leave nothing behind.
///
/// Data goes to a temporary file in the target's folder (so that the final
/// `rename` stays on one file system and is atomic), which is renamed onto
/// the target only once it is complete. A failure removes the temporary file
/// and throws a `FileError` naming the target.
public enum AtomicFile {
  /// Writes `bytes` to `path` atomically.
  public static func write(_ bytes: some Collection<UInt8>, to path: String) throws {
    try withTemporaryPath(for: path) { tmp in
      let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      guard fd >= 0 else { throw FileError(.io, path: path, "cannot create temporary file: \(errnoText())") }
      defer { posixClose(fd) }
      if let reason = Array(bytes).withUnsafeBytes({ posixWriteAll(fd, $0) }) {
        throw FileError(.io, path: path, "write failed: \(reason)")
      }
    }
  }

  /// The file that `write(to:_:)` is writing: each `write` goes out to the
  /// temporary file at once, so the contents never need to be in memory
  /// together.
  public final class Output {
    /// The target, named in errors.
    public let path: String
    /// Bytes written so far.
    public private(set) var count = 0
    fileprivate var fd: Int32

    fileprivate init(path: String, temporary: String) throws {
      self.path = path
      fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      guard fd >= 0 else { throw FileError(.io, path: path, "cannot create temporary file: \(errnoText())") }
    }

    deinit { if fd >= 0 { posixClose(fd) } }

    /// Appends `bytes` to the file.
    /// - Throws: `FileError` `.io` naming the target.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
      if let reason = posixWriteAll(fd, bytes) { throw FileError(.io, path: path, "write failed: \(reason)") }
      count += bytes.count
    }

    /// Flushes the file to storage and closes it: a file renamed into
    /// place afterwards is whole even after a power failure.
    fileprivate func finish() throws {
      let synced = fsync(fd) == 0
      let reason = synced ? "" : errnoText()
      let closed = posixClose(fd) == 0
      fd = -1
      guard synced else { throw FileError(.io, path: path, "fsync failed: \(reason)") }
      guard closed else { throw FileError(.io, path: path, "close failed: \(errnoText())") }
    }
  }

  /// Writes `path` atomically from `body`, which writes the contents piece
  /// by piece to the `Output` it is given (a large file need not be
  /// assembled in memory first). The temporary file is flushed to storage
  /// before the rename; when `body` or any write throws, it is removed and
  /// `path` is left as it was.
  /// - Returns: the bytes written.
  @discardableResult
  public static func write(to path: String, _ body: (Output) throws -> Void) throws -> Int {
    try withTemporaryPath(for: path) { tmp in
      let output = try Output(path: path, temporary: tmp)
      try body(output)
      try output.finish()
      return output.count
    }
  }

  /// Calls `body` with a fresh temporary path beside `path`; when `body`
  /// returns, renames the temporary file onto `path`; when it throws,
  /// removes the temporary file and rethrows.
  public static func withTemporaryPath<T>(for path: String, _ body: (String) throws -> T) throws -> T {
    let (dir, name) = splitPath(path)
    var info = stat()
    guard stat(dir, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
      throw FileError(.io, path: path, "folder \(dir) does not exist")
    }
    let tmp = dir + "/." + name + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    do {
      let result = try body(tmp)
      guard rename(tmp, path) == 0 else {
        let reason = errnoText()
        unlink(tmp)
        throw FileError(.io, path: path, "cannot rename into place: \(reason)")
      }
      return result
    } catch {
      unlink(tmp)
      throw error
    }
  }

  /// Removes the temporary files that writes into `folder` left behind when
  /// their process was killed: `.NAME.PID.RAND.tmp` for every NAME that
  /// `isTarget` accepts, when process PID no longer runs. Returns the paths
  /// removed.
  @discardableResult
  public static func removeLeftovers(in folder: String, where isTarget: (String) -> Bool) -> [String] {
    var removed: [String] = []
    for entry in directoryEntries(folder) {
      guard entry.hasPrefix("."), entry.hasSuffix(".tmp") else { continue }
      let parts = entry.dropFirst().dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
      guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), UInt32(parts[parts.count - 1]) != nil else { continue }
      let name = parts.dropLast(2).joined(separator: ".")
      guard isTarget(name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
      let path = folder + "/" + entry
      if unlink(path) == 0 { removed.append(path) }
    }
    return removed
  }

  /// The folder and the last component of `path`, as `URL` would split it:
  /// "a/b" → ("a", "b"), "b" → (current folder, "b"), "/b" → ("/", "b");
  /// trailing slashes are ignored.
  static func splitPath(_ path: String) -> (folder: String, name: String) {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else {
      return (currentDirectory(), String(trimmed))
    }
    let folder = trimmed[..<slash]
    return (folder.isEmpty ? "/" : String(folder), String(trimmed[trimmed.index(after: slash)...]))
  }

  /// The process's working folder, or "." when it cannot be read.
  private static func currentDirectory() -> String {
    guard let cwd = getcwd(nil, 0) else { return "." }
    defer { free(cwd) }
    return String(cString: cwd)
  }

  /// The names in `folder` except "." and ".."; none when it cannot be read.
  private static func directoryEntries(_ folder: String) -> [String] {
    guard let dir = opendir(folder) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
}

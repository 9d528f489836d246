#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import Foundation

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

  /// Calls `body` with a fresh temporary path beside `path`; when `body`
  /// returns, renames the temporary file onto `path`; when it throws,
  /// removes the temporary file and rethrows.
  public static func withTemporaryPath<T>(for path: String, _ body: (String) throws -> T) throws -> T {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
      throw FileError(.io, path: path, "folder \(dir) does not exist")
    }
    let tmp = dir + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
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
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
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
}

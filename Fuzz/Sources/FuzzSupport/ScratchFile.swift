#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file per process that each fuzz input is written to, for readers
/// that take a path (libtiff, the tar reader). The name carries the process
/// id so that harnesses running side by side do not share it.
public enum ScratchFile {
  /// The path, under `$TMPDIR` (default `/tmp`), ending in `suffix`.
  public static func path(suffix: String) -> String {
    let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    return "\(dir)/unetkit-fuzz-\(getpid())\(suffix)"
  }

  /// Replaces the content of `path` with `count` bytes at `start`.
  /// Any failure is fatal: a harness that cannot write its input tests nothing.
  public static func write(_ start: UnsafeRawPointer, count: Int, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot open scratch file \(path)")
    defer { close(fd) }
    var done = 0
    while done < count {
      let n = Glibc.write(fd, start + done, count - done)
      precondition(n > 0, "cannot write scratch file \(path)")
      done += n
    }
  }
}

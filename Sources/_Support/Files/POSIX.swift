#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// The POSIX calls that types with their own `read`, `write` or `close`
// methods cannot name unqualified, wrapped once. At file scope the names
// below resolve to the C library's functions on every platform.

/// `read(2)`.
@inline(__always)
package func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
  read(fd, buffer, count)
}

/// `close(2)`.
@inline(__always)
@discardableResult
package func posixClose(_ fd: Int32) -> Int32 {
  close(fd)
}

/// Writes all of `bytes` to `fd`, continuing after short writes and
/// interrupted calls (EINTR). Returns nil, or `strerror` of the failure.
package func posixWriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
  guard let base = bytes.baseAddress else { return nil }
  var done = 0
  while done < bytes.count {
    let n = write(fd, base + done, bytes.count - done)
    if n < 0 {
      if errno == EINTR { continue }
      return errnoText()
    }
    done += n
  }
  return nil
}

/// `strerror(errno)`: the operating system's words for the last failure.
package func errnoText() -> String { String(cString: strerror(errno)) }

import Foundation

/// One 64-byte aligned block of memory that buffers are placed in.
final class DNNLArena {
  let pointer: UnsafeMutableRawPointer
  let bytes: Int

  init(bytes: Int) throws {
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 64, max(bytes, 64)) == 0, let raw else {
      throw TrainingError("out of memory allocating \(bytes) bytes")
    }
    memset(raw, 0, max(bytes, 64))
    pointer = raw
    self.bytes = max(bytes, 64)
  }

  deinit { free(pointer) }
}

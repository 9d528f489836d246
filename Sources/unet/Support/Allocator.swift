#if canImport(Glibc)
  import Glibc
#endif

/// Keeps glibc from returning large freed buffers to the system.
///
/// Every sample allocates a few arrays of megabytes. With glibc's defaults
/// such arrays are mapped fresh and unmapped on release, so each sample
/// pays for zeroed pages and page faults again — half the time of a
/// 512 × 512 warp. Serving them from a heap that is not trimmed makes the
/// steady state allocation-free. Same effect as the environment variables
/// `MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456`.
enum Allocator {
  static func keepLargeBuffers() {
    #if canImport(Glibc)
      // <malloc.h> is not part of Swift's Glibc module: look mallopt up.
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
      _ = mallopt(mmapThreshold, 64 << 20)
      _ = mallopt(trimThreshold, 256 << 20)
    #endif
  }
}

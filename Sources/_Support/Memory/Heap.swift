#if canImport(Glibc)
  import Glibc
#endif

/// The C library's heap.
package enum Heap {
  /// Hands the heap's free pages back to the system (glibc's
  /// `malloc_trim(0)`; nothing on other C libraries).
  ///
  /// `unet` keeps freed buffers below 64 MiB in the heap, and trims its top
  /// only past 256 MiB (`Allocator` in the `unet` module), so that buffers
  /// made again and again cost no page faults. Memory freed once and not
  /// needed again, such as the arrays a training run is started from, stays
  /// resident that way unless it is handed back.
  package static func releaseFreePages() {
    #if canImport(Glibc)
      // <malloc.h> is not part of Swift's Glibc module: look malloc_trim up.
      typealias Trim = @convention(c) (Int) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
      _ = unsafeBitCast(symbol, to: Trim.self)(0)
    #endif
  }
}

import FuzzSupport
import Raster

/// TIFF reading (libtiff through CImageSupport), every page: TIFF is read
/// from files only, so each input is written to a scratch file first.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTIFF(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ScratchFile.write(start, count: count, to: scratch)
  let limits = ReadLimits(maxPixels: 1 << 20, maxPages: 16)
  Verbose.attempt { _ = try ImageFile.readPages(scratch, limits: limits) }
  return 0
}

private let scratch = ScratchFile.path(suffix: ".tif")

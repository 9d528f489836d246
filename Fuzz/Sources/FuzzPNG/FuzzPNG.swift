import FuzzSupport
import Raster

/// PNG decoding from memory (libpng through CImageSupport): every input must
/// decode or throw a `RasterError`; anything else is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
  let limits = ReadLimits(maxPixels: 1 << 20, maxPages: 16)
  Verbose.attempt { _ = try ImageFile.decoded(bytes, as: .png, name: "fuzz.png", limits: limits) }
  return 0
}

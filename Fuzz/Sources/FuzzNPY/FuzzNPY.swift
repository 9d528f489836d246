import FuzzSupport
import Raster

/// NPY decoding from memory, as an image (channels last and first) and as
/// a volume: every input must decode or throw a `RasterError`; anything
/// else is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
  let limits = ReadLimits(maxPixels: 1 << 20, maxPages: 16)
  Verbose.attempt { _ = try ImageFile.decoded(bytes, as: .npy, name: "fuzz.npy", limits: limits) }
  Verbose.attempt { _ = try ImageFile.decoded(bytes, as: .npy, name: "fuzz.npy", limits: limits, channelsFirst: true) }
  Verbose.attempt { _ = try ImageFile.decodedVolume(bytes, as: .npy, name: "fuzz.npy", limits: limits) }
  return 0
}

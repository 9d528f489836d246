import FuzzSupport
import Shards

/// The shard reader (tar headers, names, sizes, key grouping) over a scratch
/// file holding the input: every input must read or throw a `ShardError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  ScratchFile.write(start, count: count, to: scratch)
  Verbose.attempt { _ = try ShardReader.readAll(path: scratch, limits: TarReader.Limits(maxEntryBytes: 1 << 20)) }
  return 0
}

private let scratch = ScratchFile.path(suffix: ".tar")

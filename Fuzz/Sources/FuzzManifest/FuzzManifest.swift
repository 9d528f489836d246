import FuzzSupport
import Shards

/// The manifest parser and validator (JSON parsing, then every field's
/// checks). A manifest that decodes must also survive re-encoding: decoding
/// `encoded()` gives the same value, or the harness traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
  Verbose.attempt {
    let manifest = try Manifest.decode(bytes, path: "manifest.json")
    let again = try? Manifest.decode(manifest.encoded(), path: "manifest.json")
    precondition(again == manifest, "a decoded manifest does not survive encoded() and decode")
  }
  return 0
}

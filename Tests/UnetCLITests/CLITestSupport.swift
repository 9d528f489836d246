import Foundation
import Testing
import UNet
import _TestSupport

/// Runs `unet ARGS` and collects its exit status and output (both pipes
/// read at once: `run` of _TestSupport).
func unet(_ arguments: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
  try run(unetExecutable, arguments, cwd: cwd, environment: environment)
}

/// Expects `r` to be a refusal: a non-zero exit, one line `unet: error: …`
/// on standard error containing each of `words`, and nothing in `out`.
func expectRefused(
  _ r: RunResult, _ out: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(r.status != 0, sourceLocation: sourceLocation)
  // One line, usage errors included.
  let lines = r.stderr.split(separator: "\n")
  #expect(lines.count == 1 && lines[0].hasPrefix("unet: error: "), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
  for word in words { #expect(r.stderr.contains(word), "stderr: \(r.stderr)", sourceLocation: sourceLocation) }
  let left = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
  #expect(left.isEmpty, "left: \(left)", sourceLocation: sourceLocation)
}

func write(_ bytes: [UInt8], to path: String) {
  FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func read(_ path: String) -> [UInt8] {
  [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

/// CRC-32 as PNG uses it (ISO 3309), bitwise: slow and obviously right.
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
  var c: UInt32 = 0xFFFF_FFFF
  for b in bytes {
    c ^= UInt32(b)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
  }
  return c ^ 0xFFFF_FFFF
}

func bigEndian32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }

/// A PNG chunk with a correct CRC.
func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
  let body = Array(type.utf8) + data
  return bigEndian32(UInt32(data.count)) + body + bigEndian32(crc32(body))
}

/// A minimal little-endian, single-strip TIFF with the given tags (SHORT or LONG values).
func handmadeTIFF(width: UInt32, height: UInt32, bitsPerSample: UInt16, sampleFormat: UInt16, payload: [UInt8]) -> [UInt8] {
  var tags: [(UInt16, UInt16, UInt32)] = [  // tag, type (3 SHORT, 4 LONG), value
    (256, 4, width), (257, 4, height), (258, 3, UInt32(bitsPerSample)), (259, 3, 1), (262, 3, 1),
    (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, UInt32(payload.count)), (339, 3, UInt32(sampleFormat)),
  ]
  let ifdOffset = 8
  let ifdSize = 2 + tags.count * 12 + 4
  let dataOffset = UInt32(ifdOffset + ifdSize)
  tags[5].2 = dataOffset
  func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
  func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)] }
  var out: [UInt8] = [0x49, 0x49] + le16(42) + le32(UInt32(ifdOffset))
  out += le16(UInt16(tags.count))
  for (tag, type, value) in tags {
    out += le16(tag) + le16(type) + le32(1) + (type == 3 ? le16(UInt16(value)) + [0, 0] : le32(value))
  }
  out += le32(0)
  return out + payload
}

/// Whether two checkpoint files hold the same state of a run: every tensor
/// bit for bit and every metadata entry but `elapsed` (the training
/// seconds, which differ from run to run).
func sameCheckpoint(_ a: String, _ b: String) -> Bool {
  guard let x = try? SafeTensors.read(from: a), let y = try? SafeTensors.read(from: b) else { return false }
  var (mx, my) = (x.metadata, y.metadata)
  guard mx.removeValue(forKey: "elapsed") != nil, my.removeValue(forKey: "elapsed") != nil, mx == my else { return false }
  return x.tensors.count == y.tensors.count
    && zip(x.tensors, y.tensors).allSatisfy { s, t in
      s.name == t.name && s.shape == t.shape && s.values.map(\.bitPattern) == t.values.map(\.bitPattern)
        && s.dtype == t.dtype && s.integers == t.integers
    }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Foundation
import Testing

@testable import Raster

// Helpers of PNGTests and TIFFTests: seeded images, hand-built PNG and TIFF
// bytes, and a capture of standard error (the shared datasets are
// _TestSupport's `datasetPath`).

// MARK: - Random images

/// A seeded random image of any sample type. Float samples are random bit
/// patterns (infinities, subnormals and -0 included, NaN excluded), so a
/// round trip that keeps them is bit-exact.
func randomImage(_ type: SampleType, width: Int, height: Int, channels: Int, seed: UInt64) -> AnyImage {
  var rng = SplitMix64(seed: seed)
  func make<S: PixelSample>(_ sample: (UInt64) -> S) -> Image<S> {
    Image(width: width, height: height, channels: channels,
          samples: (0..<width * height * channels).map { _ in sample(rng.next()) })
  }
  switch type {
  case .uint8: return .uint8(make { UInt8(truncatingIfNeeded: $0) })
  case .uint16: return .uint16(make { UInt16(truncatingIfNeeded: $0) })
  case .uint32: return .uint32(make { UInt32(truncatingIfNeeded: $0) })
  case .int32: return .int32(make { Int32(truncatingIfNeeded: $0) })
  case .float32:
    return .float32(make { bits in
      let value = Float(bitPattern: UInt32(truncatingIfNeeded: bits))
      return value.isNaN ? Float(bitPattern: UInt32(truncatingIfNeeded: bits >> 40)) : value
    })
  }
}

/// True if both images have the same shape, type and sample bits (floats
/// compared by bit pattern, so -0 and 0 differ).
func bitIdentical(_ a: AnyImage, _ b: AnyImage) -> Bool {
  switch (a, b) {
  case (.float32(let x), .float32(let y)):
    x.width == y.width && x.height == y.height && x.channels == y.channels
      && x.samples.map(\.bitPattern) == y.samples.map(\.bitPattern)
  default: a == b
  }
}

// MARK: - Hand-built files

/// Writes `bytes` to `dir/name` and returns the path.
func writeFile(_ bytes: [UInt8], _ dir: String, _ name: String) -> String {
  let path = dir + "/" + name
  _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
  return path
}

/// Reads a file's bytes.
func fileBytes(_ path: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Reads `path`, expecting a ``RasterError`` of `code` whose message names
/// the file and contains each of `words`.
@discardableResult
func expectReadError(
  _ path: String, _ code: RasterError.Code, mentioning words: [String] = [], limits: ReadLimits = .default,
  allPages: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
) throws -> RasterError {
  let error = try #require(throws: RasterError.self, sourceLocation: sourceLocation) {
    _ = allPages ? try ImageFile.readPages(path, limits: limits) : [try ImageFile.read(path, limits: limits)]
  }
  #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
  #expect(error.path == path, sourceLocation: sourceLocation)
  #expect(error.description.hasPrefix(path + ": "), sourceLocation: sourceLocation)
  #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
  for word in words {
    #expect(error.reason.contains(word), "\(error) should mention '\(word)'", sourceLocation: sourceLocation)
  }
  return error
}

/// PNG files built chunk by chunk, with stored (uncompressed) deflate
/// blocks, for inputs the library never writes (palettes, low bit depths)
/// and headers it would refuse to write.
enum HandPNG {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// A whole file: IHDR, the `extra` chunks, one IDAT of `rows` (each
  /// already prefixed with its filter byte), IEND.
  static func file(
    width: UInt32, height: UInt32, bitDepth: UInt8, colorType: UInt8, interlaced: Bool = false,
    extra: [(String, [UInt8])] = [], rows: [UInt8]
  ) -> [UInt8] {
    var out = signature
    out += chunk("IHDR", be32(width) + be32(height) + [bitDepth, colorType, 0, 0, interlaced ? 1 : 0])
    for (type, data) in extra { out += chunk(type, data) }
    out += chunk("IDAT", zlibStored(rows))
    out += chunk("IEND", [])
    return out
  }

  /// The filtered rows (filter 0) of an 8-bit image in Adam7 order: the
  /// seven passes' sub-images one after the other, empty passes left out.
  static func adam7Rows(_ image: Image<UInt8>) -> [UInt8] {
    let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    var out: [UInt8] = []
    for (x0, y0, dx, dy) in passes where x0 < image.width && y0 < image.height {
      for y in stride(from: y0, to: image.height, by: dy) {
        out.append(0)
        for x in stride(from: x0, to: image.width, by: dx) {
          for c in 0..<image.channels { out.append(image[x, y, c]) }
        }
      }
    }
    return out
  }

  /// Length, type, data, CRC-32 of type and data.
  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return be32(UInt32(data.count)) + body + be32(crc32(body))
  }

  /// A zlib stream of stored deflate blocks.
  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let n = min(65535, data.count - offset)
      let last: UInt8 = offset + n == data.count ? 1 : 0
      out += [last, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
      out += data[offset..<offset + n]
      offset += n
    } while offset < data.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data {
      a = (a + UInt32(byte)) % 65521
      b = (b + a) % 65521
    }
    return out + be32(b << 16 | a)
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
}

/// Classic TIFF files built by hand, in either byte order, for layouts the
/// library never writes (tiles, separate planes, other sample formats) and
/// for broken files.
struct HandTIFF {
  /// A field's values: TIFF types SHORT (3) or LONG (4).
  enum Values {
    case short([UInt16])
    case long([UInt32])
  }

  let littleEndian: Bool
  private(set) var bytes: [UInt8]
  /// Where the offset of the next directory is to be written.
  private var link = 4

  init(littleEndian: Bool = true) {
    self.littleEndian = littleEndian
    bytes = littleEndian ? [0x49, 0x49, 42, 0, 0, 0, 0, 0] : [0x4D, 0x4D, 0, 42, 0, 0, 0, 0]
  }

  /// Appends `data` at an even offset and returns the offset.
  mutating func append(_ data: [UInt8]) -> UInt32 {
    if bytes.count % 2 == 1 { bytes.append(0) }
    let offset = UInt32(bytes.count)
    bytes += data
    return offset
  }

  /// Appends a directory (page) with `fields`, chained after the previous one.
  mutating func appendDirectory(_ fields: [UInt16: Values]) {
    if bytes.count % 2 == 1 { bytes.append(0) }
    let start = bytes.count
    put32(UInt32(start), at: link)
    let sorted = fields.sorted { $0.key < $1.key }
    let tailStart = start + 2 + 12 * sorted.count + 4  // values that do not fit in 4 bytes
    var directory = u16(UInt16(sorted.count))
    var tail: [UInt8] = []
    for (tag, values) in sorted {
      let (type, count, data): (UInt16, Int, [UInt8]) =
        switch values {
        case .short(let v): (3, v.count, v.flatMap(u16))
        case .long(let v): (4, v.count, v.flatMap(u32))
        }
      directory += u16(tag) + u16(type) + u32(UInt32(count))
      if data.count <= 4 {
        directory += data + [UInt8](repeating: 0, count: 4 - data.count)
      } else {
        directory += u32(UInt32(tailStart + tail.count))
        tail += data
      }
    }
    directory += [0, 0, 0, 0]
    bytes += directory + tail
    link = start + 2 + 12 * sorted.count
  }

  /// Samples in this file's byte order.
  func samples<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v -> [UInt8] in
      let word = littleEndian ? v.littleEndian : v.bigEndian
      return withUnsafeBytes(of: word) { Array($0) }
    }
  }

  private func u16(_ v: UInt16) -> [UInt8] { samples([v]) }
  private func u32(_ v: UInt32) -> [UInt8] { samples([v]) }

  private mutating func put32(_ v: UInt32, at offset: Int) {
    bytes.replaceSubrange(offset..<offset + 4, with: u32(v))
  }
}

/// The fields of every directory of a little-endian classic TIFF file,
/// as numbers (types BYTE, SHORT, LONG; others are left out): a minimal,
/// independent reader to check what the writer puts in a file.
func tiffFields(_ bytes: [UInt8]) throws -> [[UInt16: [UInt32]]] {
  func u16(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 }
  func u32(_ at: Int) -> UInt32 { u16(at) | u16(at + 2) << 16 }
  try #require(bytes.count >= 8 && bytes[0..<4].elementsEqual([0x49, 0x49, 42, 0]), "not a little-endian classic TIFF")
  var directories: [[UInt16: [UInt32]]] = []
  var offset = Int(u32(4))
  while offset != 0 && directories.count < 1000 {
    try #require(offset + 2 <= bytes.count)
    var fields: [UInt16: [UInt32]] = [:]
    let count = Int(u16(offset))
    for i in 0..<count {
      let entry = offset + 2 + 12 * i
      let (tag, type, n) = (UInt16(u16(entry)), u16(entry + 2), Int(u32(entry + 4)))
      let size = [1: 1, 3: 2, 4: 4][Int(type)]
      guard let size else { continue }
      let base = n * size <= 4 ? entry + 8 : Int(u32(entry + 8))
      fields[tag] = (0..<n).map { k in
        switch size {
        case 1: UInt32(bytes[base + k])
        case 2: u16(base + 2 * k)
        default: u32(base + 4 * k)
        }
      }
    }
    directories.append(fields)
    offset = Int(u32(offset + 2 + 12 * count))
  }
  return directories
}

/// TIFF tag numbers used by the tests (TIFF 6.0).
enum Tag {
  static let newSubfileType: UInt16 = 254, imageWidth: UInt16 = 256, imageLength: UInt16 = 257
  static let bitsPerSample: UInt16 = 258, compression: UInt16 = 259, photometric: UInt16 = 262
  static let stripOffsets: UInt16 = 273, samplesPerPixel: UInt16 = 277, rowsPerStrip: UInt16 = 278
  static let stripByteCounts: UInt16 = 279, planarConfig: UInt16 = 284
  static let tileWidth: UInt16 = 322, tileLength: UInt16 = 323, tileOffsets: UInt16 = 324
  static let tileByteCounts: UInt16 = 325, sampleFormat: UInt16 = 339
  static let pageNumber: UInt16 = 297, predictor: UInt16 = 317, extraSamples: UInt16 = 338
}

// MARK: - Standard error

/// Runs `body` with file descriptor 2 redirected to a temporary file and
/// returns what was written to it.
///
/// Anything in the process that writes to fd 2 meanwhile is captured too,
/// so call this only where nothing else runs (see `TIFFTests`'s check).
func capturingStandardError(_ body: () throws -> Void) throws -> String {
  let path = NSTemporaryDirectory() + "/unetkit-stderr-" + UUID().uuidString
  let file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
  try #require(file >= 0, "cannot create \(path)")
  defer {
    close(file)
    unlink(path)
  }
  fflush(nil)
  let saved = dup(2)
  try #require(saved >= 0)
  dup2(file, 2)
  do {
    try body()
  } catch {
    fflush(nil)
    dup2(saved, 2)
    close(saved)
    throw error
  }
  fflush(nil)
  dup2(saved, 2)
  close(saved)
  return String(decoding: try fileBytes(path), as: UTF8.self)
}

/// NumPy's `.npy` format, versions 1.0, 2.0 and 3.0: little-endian, C order,
/// dtypes `u1 u2 u4 i4 f4`. Images have shape `(H, W)`, `(H, W, C)` or
/// (the caller says so) `(C, H, W)`, with C in 1...4; volumes `(D, H, W)`.
/// A rank-3 array is read as the caller asks: its first axis is rows,
/// channels or depth.
///
/// Reference: numpy.lib.format (NEP 1). Hand-written: no maintained C library
/// reads NPY.
enum NPYCodec {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

  /// What the header says: the element type, the shape, and where the data starts.
  struct Header {
    var type: SampleType
    var shape: [Int]
    var dataStart: Int
  }

  /// Parses and checks the preamble and header (magic, version, dtype,
  /// byte order, C order).
  static func header(_ bytes: [UInt8], path: String) throws -> Header {
    guard bytes.count >= 10 else {
      if bytes.count >= 6 && Array(bytes[0..<6]) == magic || magic.starts(with: bytes) {
        throw RasterError(.truncated, path: path, "NPY file truncated in its preamble")
      }
      throw RasterError(.corrupt, path: path, "not an NPY file (bad magic)")
    }
    guard Array(bytes[0..<6]) == magic else {
      throw RasterError(.corrupt, path: path, "not an NPY file (bad magic)")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw RasterError(.truncated, path: path, "NPY file truncated in its preamble") }
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    default:
      throw RasterError(.unsupported, path: path, "NPY format version \(major).\(bytes[7]) is not supported (1.0, 2.0, 3.0 are)")
    }
    guard headerStart + headerLength <= bytes.count else {
      throw RasterError(.truncated, path: path, "NPY header runs past the end of the file")
    }
    guard let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8)
    else { throw RasterError(.corrupt, path: path, "NPY header is not text") }
    let (descr, fortran, shape) = try parseHeader(header, path: path)

    guard !fortran else {
      throw RasterError(.unsupported, path: path, "NPY array is in Fortran order; save it with numpy.ascontiguousarray first")
    }
    let (type, bigEndian) = try parseDescr(descr, path: path)
    if bigEndian {
      throw RasterError(.unsupported, path: path, "NPY array is big-endian ('\(descr)'); convert it with .astype('<\(descr.dropFirst())')")
    }
    return Header(type: type, shape: shape, dataStart: headerStart + headerLength)
  }

  /// `(a, b, c)` as numpy prints a shape.
  static func shapeText(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
  }

  /// Decodes a 2-D image: shape `(H, W)`, or a rank-3 array as `(H, W, C)`
  /// or, with `channelsFirst`, as `(C, H, W)` (PyTorch's layout), C in 1...4.
  static func decode(_ bytes: [UInt8], path: String, limits: ReadLimits, channelsFirst: Bool = false) throws -> AnyImage {
    let h = try header(bytes, path: path)
    let shape = h.shape
    let (height, width, channels): (Int, Int, Int)
    switch shape.count {
    case 2: (height, width, channels) = (shape[0], shape[1], 1)
    case 3 where channelsFirst && (1...4).contains(shape[0]): (height, width, channels) = (shape[1], shape[2], shape[0])
    case 3 where !channelsFirst && (1...4).contains(shape[2]): (height, width, channels) = (shape[0], shape[1], shape[2])
    default:
      let expected = channelsFirst ? "(H, W) or (C, H, W)" : "(H, W) or (H, W, C)"
      let reason = "NPY shape \(shapeText(shape)) is not an image; expected \(expected) with C in 1...4"
      // A rank-3 array that is no image is a stack of slices, (D, H, W).
      throw RasterError(shape.count == 3 ? .multiplePages : .unsupported, path: path, shape.count == 3 ? reason + ", or a (D, H, W) volume" : reason)
    }
    try limits.check(width: width, height: height, path: path)
    return try payload(bytes, h, width: width, height: height, channels: channels, planar: channelsFirst, path: path)
  }

  /// Decodes a volume: shape `(D, H, W)`, the voxel count checked against
  /// the limits.
  static func decodeVolume(_ bytes: [UInt8], path: String, limits: ReadLimits) throws -> AnyVolume {
    let h = try header(bytes, path: path)
    guard h.shape.count == 3 else {
      let why = h.shape.count == 2 ? "a single (H, W) image" : "not a volume"
      throw RasterError(.unsupported, path: path, "NPY shape \(shapeText(h.shape)) is \(why); expected (D, H, W)")
    }
    let (depth, height, width) = (h.shape[0], h.shape[1], h.shape[2])
    try limits.check(width: width, height: height, depth: depth, path: path)
    guard depth > 0 else { throw RasterError(.unsupported, path: path, "NPY volume has no slices (D = 0)") }
    let flat = try payload(bytes, h, width: width, height: height * depth, channels: 1, planar: false, path: path)
    return AnyVolume(flat: flat, depth: depth)
  }

  /// The elements after the header as an image of the header's type,
  /// channels interleaved (`planar`: stored plane after plane).
  private static func payload(
    _ bytes: [UInt8], _ h: Header, width: Int, height: Int, channels: Int, planar: Bool, path: String
  ) throws -> AnyImage {
    let count = width * height * channels
    let needed = count * h.type.byteCount
    guard bytes.count - h.dataStart >= needed else {
      throw RasterError(.truncated, path: path, "NPY data truncated: \(bytes.count - h.dataStart) bytes for \(needed)")
    }
    let payload = bytes[h.dataStart..<h.dataStart + needed]
    func load<S: PixelSample>(_: S.Type) -> Image<S> {
      var samples = [S](repeating: .zero, count: count)
      samples.withUnsafeMutableBytes { dst in
        payload.withUnsafeBytes { src in dst.copyMemory(from: src) }
      }
      return planar
        ? Image(width: width, height: height, channels: channels, planarSamples: samples)
        : Image(width: width, height: height, channels: channels, samples: samples)
    }
    switch h.type {
    case .uint8: return .uint8(load(UInt8.self))
    case .uint16: return .uint16(load(UInt16.self))
    case .uint32: return .uint32(load(UInt32.self))
    case .int32: return .int32(load(Int32.self))
    case .float32: return .float32(load(Float.self))
    }
  }

  /// The NPY bytes of `image`: shape `(H, W)` for one channel, `(H, W, C)`
  /// for several, or `(C, H, W)` with `channelsFirst` (PyTorch's layout).
  static func encode(_ image: AnyImage, channelsFirst: Bool = false) throws -> [UInt8] {
    let (h, w, c) = (image.height, image.width, image.channels)
    if c == 1 { return encode(image, shape: [h, w]) }
    guard channelsFirst else { return encode(image, shape: [h, w, c]) }
    func planar<S: PixelSample>(_ i: Image<S>) -> AnyImage {
      AnyImage(Image(width: w, height: h * c, samples: i.planarSamples))
    }
    let stacked: AnyImage
    switch image {
    case .uint8(let i): stacked = planar(i)
    case .uint16(let i): stacked = planar(i)
    case .uint32(let i): stacked = planar(i)
    case .int32(let i): stacked = planar(i)
    case .float32(let i): stacked = planar(i)
    }
    return encode(stacked, shape: [c, h, w])
  }

  /// The NPY bytes of a volume: shape `(D, H, W)`.
  static func encode(_ volume: AnyVolume) -> [UInt8] {
    encode(volume.flat, shape: [volume.depth, volume.height, volume.width])
  }

  /// The header for `shape` and the samples of `image` in their stored order.
  private static func encode(_ image: AnyImage, shape: [Int]) -> [UInt8] {
    let descr: String
    switch image.sampleType {
    case .uint8: descr = "|u1"
    case .uint16: descr = "<u2"
    case .uint32: descr = "<u4"
    case .int32: descr = "<i4"
    case .float32: descr = "<f4"
    }
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText(shape)), }"
    // Pad with spaces so that preamble + header + "\n" is a multiple of 64.
    let small = 10 + header.utf8.count + 1 <= 65535
    let preamble = small ? 10 : 12
    let total = preamble + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
    var out = magic + [small ? 1 : 2, 0]
    let n = header.utf8.count
    out += small ? [UInt8(n & 0xff), UInt8(n >> 8)] : [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)]
    out += Array(header.utf8)
    func append<S: PixelSample>(_ i: Image<S>) { i.samples.withUnsafeBytes { out += $0 } }
    switch image {
    case .uint8(let i): append(i)
    case .uint16(let i): append(i)
    case .uint32(let i): append(i)
    case .int32(let i): append(i)
    case .float32(let i): append(i)
    }
    return out
  }

  /// Parses the Python dict literal of the header: `descr`, `fortran_order`, `shape`.
  static func parseHeader(_ header: String, path: String) throws -> (String, Bool, [Int]) {
    func bad(_ why: String) -> RasterError { RasterError(.corrupt, path: path, "NPY header \(why)") }
    func value(of key: String) throws -> Substring {
      guard let k = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { throw bad("has no '\(key)'") }
      var rest = header[k.upperBound...].drop { $0 == " " }
      guard rest.first == ":" else { throw bad("is malformed near '\(key)'") }
      rest = rest.dropFirst().drop { $0 == " " }
      return rest
    }
    let d = try value(of: "descr")
    guard let q = d.first, q == "'" || q == "\"", let end = d.dropFirst().firstIndex(of: q) else { throw bad("has a malformed 'descr'") }
    let descr = String(d[d.index(after: d.startIndex)..<end])
    let f = try value(of: "fortran_order")
    let fortran: Bool
    if f.hasPrefix("True") { fortran = true } else if f.hasPrefix("False") { fortran = false } else { throw bad("has a malformed 'fortran_order'") }
    let s = try value(of: "shape")
    guard s.first == "(", let close = s.firstIndex(of: ")") else { throw bad("has a malformed 'shape'") }
    var shape: [Int] = []
    for part in s[s.index(after: s.startIndex)..<close].split(separator: ",") {
      let t = part.trimmingCharacters(in: .whitespaces)
      if t.isEmpty { continue }
      guard let v = Int(t), v >= 0 else { throw bad("has a malformed 'shape'") }
      shape.append(v)
    }
    return (descr, fortran, shape)
  }

  static func parseDescr(_ descr: String, path: String) throws -> (SampleType, bigEndian: Bool) {
    guard descr.count >= 2, let order = descr.first else {
      throw RasterError(.unsupported, path: path, "NPY dtype '\(descr)' is not supported")
    }
    let kind = descr.dropFirst()
    let type: SampleType
    switch kind {
    case "u1": type = .uint8
    case "u2": type = .uint16
    case "u4": type = .uint32
    case "i4": type = .int32
    case "f4": type = .float32
    default:
      throw RasterError(.unsupported, path: path, "NPY dtype '\(descr)' is not supported (uint8, uint16, uint32, int32, float32 are)")
    }
    switch order {
    case "<", "|": return (type, false)
    case "=": return (type, false)  // native: this library runs on little-endian hosts
    case ">": return (type, type.byteCount > 1)
    default: throw RasterError(.unsupported, path: path, "NPY dtype '\(descr)' is not supported")
    }
  }
}

import Foundation

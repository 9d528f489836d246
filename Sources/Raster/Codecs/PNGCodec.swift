import CImageSupport

/// PNG through libpng, by way of the `CImageSupport` C layer (which keeps
/// libpng's `longjmp` error handling out of Swift frames and prints nothing).
///
/// - Reads 8- and 16-bit gray, gray+alpha, RGB and RGBA. Palette images
///   expand to RGB (RGBA with a tRNS chunk), gray below 8 bits to 8 bits, a
///   tRNS chunk to an alpha channel; interlaced files are deinterlaced. The
///   result is `.uint8` or `.uint16` with 1–4 channels.
/// - Writes `.uint8` and `.uint16` images of 1–4 channels (gray, gray+alpha,
///   RGB, RGBA); other sample types are refused with `.unsupported`.
///
/// Errors name the file: a short file is `.truncated`, a bad signature or
/// checksum `.corrupt`, a header over ``ReadLimits/maxPixels`` `.tooLarge`
/// (before any pixel memory is allocated).
///
/// Reference: PNG Specification, 2nd ed. (W3C / ISO/IEC 15948:2003).
enum PNGCodec {
  /// Decodes a whole PNG file held in memory.
  static func decode(_ bytes: [UInt8], path: String, limits: ReadLimits) throws -> AnyImage {
    try bytes.withUnsafeBufferPointer { data in
      var reader: OpaquePointer?
      var header = cis_png_header()
      do {
        try call(path) {
          cis_png_reader_open(
            data.baseAddress, data.count, UInt64(max(limits.maxPixels, 0)), &reader, &header, $0, $1)
        }
      } catch let error as RasterError where error.code == .tooLarge && header.width > 0 && header.height > 0 {
        // Report the limit the same way every format does.
        try limits.check(width: Int(header.width), height: Int(header.height), path: path)
        throw error
      }
      defer { cis_png_reader_close(reader) }
      let (width, height, channels) = (Int(header.width), Int(header.height), Int(header.channels))
      try limits.check(width: width, height: height, path: path)

      func pixels<S: PixelSample>(_: S.Type) throws -> Image<S> {
        var samples = [S](repeating: .zero, count: width * height * channels)
        try samples.withUnsafeMutableBytes { raw in
          try call(path) { cis_png_reader_read(reader, raw.baseAddress, raw.count, $0, $1) }
        }
        return Image(width: width, height: height, channels: channels, samples: samples)
      }
      return header.bit_depth == 16 ? .uint16(try pixels(UInt16.self)) : .uint8(try pixels(UInt8.self))
    }
  }

  /// Encodes a `.uint8` or `.uint16` image of 1–4 channels as a PNG file.
  static func encode(_ image: AnyImage, path: String) throws -> [UInt8] {
    switch image {
    case .uint8(let i): return try encode(i, bitDepth: 8, path: path)
    case .uint16(let i): return try encode(i, bitDepth: 16, path: path)
    case .uint32, .int32, .float32:
      throw RasterError(
        .unsupported, path: path,
        "PNG holds 8- and 16-bit unsigned samples, not \(image.sampleType.rawValue); write .tif or .npy instead")
    }
  }

  private static func encode<S: PixelSample>(_ image: Image<S>, bitDepth: UInt32, path: String) throws -> [UInt8] {
    guard image.width > 0, image.height > 0 else {
      throw RasterError(.unsupported, path: path, "PNG cannot hold an empty image (\(image.width) x \(image.height))")
    }
    guard image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
      throw RasterError(.unsupported, path: path, "PNG cannot hold \(image.width) x \(image.height) pixels")
    }
    var output: UnsafeMutablePointer<UInt8>?
    var size = 0
    defer { cis_free(output) }
    try image.samples.withUnsafeBytes { raw in
      try call(path) {
        cis_png_encode(
          raw.baseAddress, UInt32(image.width), UInt32(image.height), UInt32(image.channels), bitDepth,
          &output, &size, $0, $1)
      }
    }
    guard let output else { return [] }
    return Array(UnsafeBufferPointer(start: output, count: size))
  }

  private static func call(_ path: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> CISStatus) throws {
    try cisCall(path, context: "PNG", body)
  }
}

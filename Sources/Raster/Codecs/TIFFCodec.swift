import CImageSupport

/// TIFF through libtiff 4.5, by way of the `CImageSupport` C layer (per-file
/// error handlers, so libtiff prints nothing; its messages end up in the
/// thrown ``RasterError``).
///
/// - Reads 8-, 16- and 32-bit unsigned (`.uint8`, `.uint16`, `.uint32`),
///   32-bit signed (`.int32`) and 32-bit float (`.float32`) samples, 1–4 per
///   pixel; one page or a stack; strips or tiles, interleaved or separate
///   planes; any compression the system's libtiff decodes (none, LZW,
///   Deflate, PackBits and the others it is built with). Samples are returned as stored: a palette page gives
///   its indices, a MinIsWhite page its raw values. Other sample formats
///   (1-bit, signed 8/16-bit, 16/64-bit float, complex) and YCbCr or Lab
///   pages are refused with `.unsupported`, naming the format.
/// - Writes all five sample types, 1–4 channels, one page or a stack (pages
///   may differ in size), uncompressed, LZW or Deflate, without predictor:
///   the files open in Fiji (float pages as 32-bit, stacks as stacks).
///
/// Every page's size is checked against ``ReadLimits`` before its pixel
/// memory is allocated, and a stack against ``ReadLimits/maxPages``.
///
/// Reference: TIFF Revision 6.0 (Adobe, 1992).
enum TIFFCodec {
  // MARK: Reading

  /// Which pages a read returns.
  enum Pages {
    /// The first page, whatever follows.
    case first
    /// Every page.
    case all
    /// The only page: a file of several pages is refused (`.multiplePages`).
    case single
  }

  /// Reads the pages of `path` that `pages` asks for.
  static func read(path: String, limits: ReadLimits, pages selection: Pages) throws -> [AnyImage] {
    var handle: OpaquePointer?
    try call(path) { cis_tiff_open_read(path, maxAllocation(limits), &handle, $0, $1) }
    defer { cis_tiff_close(handle) }
    if selection == .single {
      let count = try pageCount(handle, limits: limits, path: path)
      if count > 1 {
        var info = cis_tiff_page_info()
        try call(path) { cis_tiff_page(handle, &info, $0, $1) }
        throw RasterError(
          .multiplePages, path: path,
          "TIFF has \(count) pages of \(info.width) x \(info.height), a stack rather than one image")
      }
    }
    var pages: [AnyImage] = []
    while true {
      pages.append(try readPage(handle, number: pages.count + 1, path: path, limits: limits))
      if selection != .all { break }
      guard try nextPage(handle, path: path, after: pages.count) else { break }
      guard pages.count < limits.maxPages else {
        throw RasterError(.tooLarge, path: path, "TIFF has more than \(limits.maxPages) pages, the limit")
      }
    }
    return pages
  }

  /// Reads every page of `path` as the slices of one volume, z = 0 first:
  /// pages of one size, one channel and one sample type, at least two.
  /// The spacing comes from ImageJ's metadata where present (`spacing=`
  /// for z, XResolution and YResolution for x and y, `unit=`), else the
  /// unit spacing. The voxel count is checked against the limits before
  /// any pixel is read.
  static func readVolume(path: String, limits: ReadLimits, spacing given: VoxelSpacing? = nil) throws -> AnyVolume {
    var handle: OpaquePointer?
    try call(path) { cis_tiff_open_read(path, maxAllocation(limits), &handle, $0, $1) }
    defer { cis_tiff_close(handle) }
    let depth = try pageCount(handle, limits: limits, path: path)
    var info = cis_tiff_page_info()
    try call(path) { cis_tiff_page(handle, &info, $0, $1) }
    guard depth >= 2 else {
      throw RasterError(
        .unsupported, path: path,
        "TIFF has a single page of \(info.width) x \(info.height), not a stack; a volume needs two pages or more")
    }
    let (width, height) = (Int(info.width), Int(info.height))
    try limits.check(width: width, height: height, depth: depth, path: path)
    let spacing = try volumeSpacing(handle, info: info, given: given, path: path)
    var slices: [AnyImage] = []
    slices.reserveCapacity(depth)
    while true {
      let number = slices.count + 1
      if number > 1 {
        try call(path, page: number) { cis_tiff_page(handle, &info, $0, $1) }
        guard Int(info.width) == width, Int(info.height) == height else {
          throw RasterError(
            .unsupported, path: path,
            "TIFF page \(number) is \(info.width) x \(info.height) but page 1 is \(width) x \(height); a volume's pages must be one size")
        }
      }
      let page = try readPage(handle, number: number, path: path, limits: limits)
      guard page.channels == 1 else {
        throw RasterError(
          .unsupported, path: path, "TIFF page \(number) has \(page.channels) channels; a volume has one sample per voxel")
      }
      if let first = slices.first, page.sampleType != first.sampleType {
        throw RasterError(
          .unsupported, path: path,
          "TIFF page \(number) holds \(page.sampleType.rawValue) but page 1 \(first.sampleType.rawValue); a volume has one sample type")
      }
      slices.append(page)
      guard slices.count < depth, try nextPage(handle, path: path, after: slices.count) else { break }
    }
    return try AnyVolume(slices: slices, spacing: spacing, path: path)
  }

  /// Moves to the page after page `number`; false after the last.
  private static func nextPage(_ handle: OpaquePointer?, path: String, after number: Int) throws -> Bool {
    var status = CISStatus.success
    try call(path, page: number + 1) {
      status = cis_tiff_next_page(handle, $0, $1)
      return status
    }
    return status != .endOfPages
  }

  /// The file's page count, refused above ``ReadLimits/maxPages``.
  private static func pageCount(_ handle: OpaquePointer?, limits: ReadLimits, path: String) throws -> Int {
    var count: UInt32 = 0
    let limit = UInt32(clamping: limits.maxPages)
    try call(path) { cis_tiff_page_count(handle, limit, &count, $0, $1) }
    guard count <= limit else {
      throw RasterError(.tooLarge, path: path, "TIFF has more than \(limits.maxPages) pages, the limit")
    }
    return Int(count)
  }

  /// The voxel spacing ImageJ's metadata gives a stack (or `given`, which
  /// replaces it); a hyperstack of several channels or time points is refused.
  private static func volumeSpacing(
    _ handle: OpaquePointer?, info: cis_tiff_page_info, given: VoxelSpacing?, path: String
  ) throws -> VoxelSpacing {
    var text = [CChar](repeating: 0, count: 4096)
    var length = 0
    try call(path) { cis_tiff_description(handle, &text, text.count, &length, $0, $1) }
    let description = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let imagej = ImageJMetadata(description: description) else { return given ?? .unit }
    for (name, value) in [("channels", imagej.channels), ("frames", imagej.frames)] {
      if let value, value > 1, (imagej.slices ?? 1) > 1 || name == "channels" {
        throw RasterError(
          .unsupported, path: path,
          "ImageJ hyperstack of \(value) \(name); a volume has one channel and one time point (save the z-stack alone)")
      }
    }
    if let given { return given }
    func size(_ resolution: Double, _ axis: String) throws -> Double {
      guard resolution > 0 else { return 1 }
      let v = 1 / resolution
      guard v.isFinite else {
        throw RasterError(.unsupported, path: path, "ImageJ \(axis) resolution \(resolution) gives no pixel size; give --spacing")
      }
      return v
    }
    let z = imagej.spacing ?? 1
    guard z.isFinite, z > 0 else {
      throw RasterError(.unsupported, path: path, "ImageJ spacing=\(z) is not positive; give --spacing Z,Y,X")
    }
    let unit = imagej.unit.flatMap { ["pixel", "pixels", ""].contains($0) ? nil : $0 } ?? "voxel"
    return VoxelSpacing(
      z: z, y: try size(info.y_resolution, "y"), x: try size(info.x_resolution, "x"), unit: unit)
  }

  /// Reads the current page of an open file.
  private static func readPage(
    _ handle: OpaquePointer?, number: Int, path: String, limits: ReadLimits
  ) throws -> AnyImage {
    var info = cis_tiff_page_info()
    try call(path, page: number) { cis_tiff_page(handle, &info, $0, $1) }
    let context = number > 1 ? "TIFF page \(number)" : "TIFF"
    func refuse(_ why: String) -> RasterError { RasterError(.unsupported, path: path, "\(context): \(why)") }

    guard let type = sampleType(bits: info.bits_per_sample, format: info.sample_format) else {
      throw refuse(
        "\(sampleName(bits: info.bits_per_sample, format: info.sample_format)) samples are not supported "
          + "(8/16/32-bit unsigned, 32-bit signed and 32-bit float are)")
    }
    guard (1...4).contains(info.samples_per_pixel) else {
      throw refuse("\(info.samples_per_pixel) samples per pixel are not supported (1 to 4 are)")
    }
    if let name = unsupportedPhotometric[info.photometric] {
      throw refuse("\(name) color is not supported (gray, RGB and palette indices are)")
    }
    guard info.width > 0, info.height > 0 else {
      throw RasterError(.corrupt, path: path, "\(context): the page is \(info.width) x \(info.height) pixels")
    }
    let (width, height, channels) = (Int(info.width), Int(info.height), Int(info.samples_per_pixel))
    try limits.check(width: width, height: height, path: path)

    func pixels<S: PixelSample>(_: S.Type) throws -> Image<S> {
      var samples = [S](repeating: .zero, count: width * height * channels)
      try samples.withUnsafeMutableBytes { raw in
        try call(path, page: number) { cis_tiff_read_page(handle, raw.baseAddress, raw.count, $0, $1) }
      }
      return Image(width: width, height: height, channels: channels, samples: samples)
    }
    switch type {
    case .uint8: return .uint8(try pixels(UInt8.self))
    case .uint16: return .uint16(try pixels(UInt16.self))
    case .uint32: return .uint32(try pixels(UInt32.self))
    case .int32: return .int32(try pixels(Int32.self))
    case .float32: return .float32(try pixels(Float.self))
    }
  }

  /// The sample type for TIFF's BitsPerSample and SampleFormat, if supported.
  static func sampleType(bits: UInt32, format: UInt32) -> SampleType? {
    switch (Int(format), bits) {
    case (CISTIFFSampleUInt, 8), (CISTIFFSampleVoid, 8): .uint8
    case (CISTIFFSampleUInt, 16), (CISTIFFSampleVoid, 16): .uint16
    case (CISTIFFSampleUInt, 32), (CISTIFFSampleVoid, 32): .uint32
    case (CISTIFFSampleInt, 32): .int32
    case (CISTIFFSampleFloat, 32): .float32
    default: nil
    }
  }

  /// Words for a BitsPerSample / SampleFormat pair: "64-bit float".
  static func sampleName(bits: UInt32, format: UInt32) -> String {
    switch Int(format) {
    case CISTIFFSampleUInt, CISTIFFSampleVoid: bits == 1 ? "1-bit (bilevel)" : "\(bits)-bit unsigned integer"
    case CISTIFFSampleInt: "\(bits)-bit signed integer"
    case CISTIFFSampleFloat: "\(bits)-bit float"
    case CISTIFFSampleComplexInt: "\(bits)-bit complex integer"
    case CISTIFFSampleComplexFloat: "\(bits)-bit complex float"
    default: "\(bits)-bit sample format \(format)"
    }
  }

  /// Photometric interpretations whose samples are not plain gray, RGB or
  /// indices (TIFF 6.0 and its supplements).
  static let unsupportedPhotometric: [UInt32: String] = [
    UInt32(CISTIFFPhotometricYCbCr): "YCbCr", 8: "CIE L*a*b*", 9: "ICC L*a*b*", 10: "ITU L*a*b*",
    32803: "CFA (raw sensor)", 32844: "LogL", 32845: "LogLuv", 34892: "linear raw",
  ]

  /// The largest single allocation libtiff may make for a file: room for
  /// one maximal page of 4 samples of 4 bytes.
  static func maxAllocation(_ limits: ReadLimits) -> UInt64 {
    let (bytes, overflow) = UInt64(max(limits.maxPixels, 1 << 20)).multipliedReportingOverflow(by: 16)
    return overflow ? UInt64(Int64.max) : bytes
  }

  // MARK: Writing

  /// Writes `pages` as one TIFF file at `tmpPath`; errors name `path`.
  /// With `spacing`, the pages are a z-stack and the first carries ImageJ's
  /// metadata for it (slices, `spacing=`, `unit=`, X/YResolution), so that
  /// Fiji opens it calibrated and ``readVolume(path:limits:)`` reads the
  /// spacing back.
  static func write(
    _ pages: [AnyImage], to tmpPath: String, path: String, compression: TIFFCompression, spacing: VoxelSpacing? = nil
  ) throws {
    var totalBytes = 0
    for (index, page) in pages.enumerated() {
      let which = pages.count > 1 ? "page \(index + 1) is " : ""
      guard page.width > 0, page.height > 0 else {
        throw RasterError(.unsupported, path: path, "TIFF cannot hold an empty image (\(which)\(page.width) x \(page.height))")
      }
      guard page.width <= Int(UInt32.max), page.height <= Int(UInt32.max) else {
        throw RasterError(.unsupported, path: path, "TIFF cannot hold \(page.width) x \(page.height) pixels")
      }
      totalBytes += page.width * page.height * page.channels * page.sampleType.byteCount
    }
    // Classic TIFF addresses 4 GiB; leave room for directories and strip tables.
    let big = totalBytes > 0xF000_0000
    var handle: OpaquePointer?
    try call(path, replacing: tmpPath) { cis_tiff_open_write(tmpPath, big ? 1 : 0, &handle, $0, $1) }
    do {
      let description = spacing.map {
        ImageJMetadata(
          images: pages.count, slices: pages.count, unit: $0.unit == "voxel" ? nil : $0.unit, spacing: $0.z
        ).description
      }
      for (index, page) in pages.enumerated() {
        try writePage(
          page, index: index, count: pages.count, handle, path: path, tmpPath: tmpPath, compression: compression,
          description: index == 0 ? description : nil, resolution: index == 0 ? spacing.map { (1 / $0.x, 1 / $0.y) } : nil)
      }
    } catch {
      cis_tiff_close(handle)
      throw error
    }
    try call(path, replacing: tmpPath) { cis_tiff_finish_write(handle, $0, $1) }
  }

  private static func writePage(
    _ page: AnyImage, index: Int, count: Int, _ handle: OpaquePointer?,
    path: String, tmpPath: String, compression: TIFFCompression, description: String?, resolution: (x: Double, y: Double)?
  ) throws {
    var spec = cis_tiff_page_spec()
    spec.width = UInt32(page.width)
    spec.height = UInt32(page.height)
    spec.samples_per_pixel = UInt32(page.channels)
    spec.bits_per_sample = UInt32(page.sampleType.byteCount * 8)
    let format: Int =
      switch page.sampleType {
      case .uint8, .uint16, .uint32: CISTIFFSampleUInt
      case .int32: CISTIFFSampleInt
      case .float32: CISTIFFSampleFloat
      }
    spec.sample_format = UInt32(format)
    spec.compression =
      switch compression {
      case .none: .none
      case .lzw: .LZW
      case .deflate: .deflate
      }
    spec.page_index = UInt32(index)
    spec.page_count = UInt32(clamping: count)

    if let resolution {
      spec.x_resolution = resolution.x
      spec.y_resolution = resolution.y
    }
    func write<S: PixelSample>(_ image: Image<S>) throws {
      try image.samples.withUnsafeBytes { raw in
        try (description ?? "").withCString { text in
          spec.description = description == nil ? nil : text
          try call(path, replacing: tmpPath) { cis_tiff_write_page(handle, &spec, raw.baseAddress, raw.count, $0, $1) }
        }
      }
    }
    switch page {
    case .uint8(let i): try write(i)
    case .uint16(let i): try write(i)
    case .uint32(let i): try write(i)
    case .int32(let i): try write(i)
    case .float32(let i): try write(i)
    }
  }

  // MARK: C calls

  /// Runs one `CImageSupport` call with a message buffer; turns a failure
  /// status (anything but `.success` and `.endOfPages`) into a
  /// ``RasterError`` naming `path`, with libtiff's words for the cause.
  ///
  /// - Parameters:
  ///   - page: the 1-based page concerned, named in the message from page 2 on.
  ///   - replacing: a temporary path that libtiff's messages may contain,
  ///     replaced by `path`.
  private static func call(
    _ path: String, page: Int = 1, replacing temporary: String? = nil,
    _ body: (UnsafeMutablePointer<CChar>, Int) -> CISStatus
  ) throws {
    try cisCall(path, context: page > 1 ? "TIFF page \(page)" : "TIFF", rewrite: { message in
      var message = message
      if let temporary { message = message.replacing(temporary, with: path) }
      return message.replacing("\(path): ", with: "")  // the error names the file already
    }, body)
  }
}

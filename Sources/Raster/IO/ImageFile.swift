import Foundation

/// Reading and writing images by path; the format follows the extension.
///
/// Reads check the path first (missing, a folder, empty) and the header
/// against ``ReadLimits`` before allocating pixel memory. Writes are atomic
/// (see ``AtomicFile``): a failed write leaves no file.
public enum ImageFile {
  /// Reads the first (for PNG and NPY, the only) page of `path`. To refuse
  /// a stack instead of dropping its other pages, use ``readImage(_:limits:)``.
  public static func read(_ path: String, limits: ReadLimits = .default) throws -> AnyImage {
    try readPages(path, limits: limits, selection: .first)[0]
  }

  /// Reads a file that holds one 2-D image. A TIFF of several pages is
  /// refused with ``RasterError/Code-swift.enum/multiplePages`` (read it
  /// with ``readVolume(_:limits:spacing:)`` or ``readPages(_:limits:)``), as is
  /// a `(D, H, W)` NPY array (``RasterError/Code-swift.enum/unsupported``).
  public static func readImage(_ path: String, limits: ReadLimits = .default) throws -> AnyImage {
    try readPages(path, limits: limits, selection: .single)[0]
  }

  /// Reads every page of `path`: a TIFF stack gives one image per page,
  /// PNG and NPY give one.
  public static func readPages(_ path: String, limits: ReadLimits = .default) throws -> [AnyImage] {
    try readPages(path, limits: limits, selection: .all)
  }

  static func readPages(_ path: String, limits: ReadLimits, selection: TIFFCodec.Pages) throws -> [AnyImage] {
    let format = try ImageFormat(path: path)
    try checkReadable(path)
    switch format {
    case .png: return [try PNGCodec.decode(try readBytes(path), path: path, limits: limits)]
    case .npy: return [try NPYCodec.decode(try readBytes(path), path: path, limits: limits)]
    case .tiff: return try TIFFCodec.read(path: path, limits: limits, pages: selection)
    }
  }

  /// Reads a volume: a TIFF z-stack (every page a slice, z = 0 first, at
  /// least two pages of one size, one channel and one sample type) or an
  /// NPY array `(D, H, W)` with D ≥ 2. `limits` count voxels.
  ///
  /// The spacing is `spacing` when given, else a TIFF's ImageJ metadata
  /// (`spacing=`, X/YResolution, `unit=`), else the unit spacing in `voxel`.
  ///
  /// - Throws: ``RasterError`` naming the file: a single page or a 2-D
  ///   array, pages that differ, more voxels than the limit, a hyperstack
  ///   of several channels or time points, metadata with a non-positive
  ///   spacing, or what reading throws. PNG holds no volume.
  public static func readVolume(_ path: String, limits: ReadLimits = .default, spacing: VoxelSpacing? = nil) throws
    -> AnyVolume
  {
    let format = try ImageFormat(path: path)
    try checkReadable(path)
    var volume: AnyVolume
    switch format {
    case .png: throw RasterError(.unsupported, path: path, "a PNG holds one 2-D image, not a volume; use a TIFF stack or an NPY (D, H, W)")
    case .tiff: volume = try TIFFCodec.readVolume(path: path, limits: limits, spacing: spacing)
    case .npy:
      volume = try NPYCodec.decodeVolume(try readBytes(path), path: path, limits: limits)
      guard volume.depth >= 2 else {
        throw RasterError(.unsupported, path: path, "NPY volume has a single slice (D = 1); a volume needs two or more")
      }
    }
    if let spacing { volume.spacing = spacing }
    return volume
  }

  /// Writes a volume: a TIFF z-stack with ImageJ's metadata for the spacing
  /// (opens calibrated in Fiji), or an NPY array `(D, H, W)` (no spacing).
  public static func writeVolume(_ volume: AnyVolume, to path: String, options: WriteOptions = .init()) throws {
    let format = try ImageFormat(path: path)
    guard volume.depth >= 1 else { throw RasterError(.unsupported, path: path, "no slices to write") }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
      throw RasterError(.isDirectory, path: path, "is a directory")
    }
    switch format {
    case .png: throw RasterError(.unsupported, path: path, "PNG holds one 2-D image; write a volume as .tif or .npy")
    case .npy: try AtomicFile.write(NPYCodec.encode(volume), to: path)
    case .tiff:
      let slices = (0..<volume.depth).map(volume.slice)
      try AtomicFile.withTemporaryPath(for: path) { tmp in
        try TIFFCodec.write(slices, to: tmp, path: path, compression: options.compression, spacing: volume.spacing)
      }
    }
  }

  /// Writes a typed volume.
  public static func writeVolume<S: PixelSample>(_ volume: Volume<S>, to path: String, options: WriteOptions = .init())
    throws
  {
    try writeVolume(AnyVolume(volume), to: path, options: options)
  }

  /// Writes one image to `path` in the format its extension names.
  public static func write(_ image: AnyImage, to path: String, options: WriteOptions = .init()) throws {
    try writePages([image], to: path, options: options)
  }

  /// Writes a typed image to `path`.
  public static func write<S: PixelSample>(_ image: Image<S>, to path: String, options: WriteOptions = .init()) throws {
    try write(AnyImage(image), to: path, options: options)
  }

  /// Writes a stack: several pages for TIFF; PNG and NPY take exactly one.
  public static func writePages(_ pages: [AnyImage], to path: String, options: WriteOptions = .init()) throws {
    let format = try ImageFormat(path: path)
    guard !pages.isEmpty else { throw RasterError(.unsupported, path: path, "no pages to write") }
    if format != .tiff && pages.count != 1 {
      throw RasterError(.unsupported, path: path, "\(format.rawValue.uppercased()) holds one page, got \(pages.count); use .tif for stacks")
    }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
      throw RasterError(.isDirectory, path: path, "is a directory")
    }
    switch format {
    case .png: try AtomicFile.write(try PNGCodec.encode(pages[0], path: path), to: path)
    case .npy: try AtomicFile.write(try NPYCodec.encode(pages[0]), to: path)
    case .tiff:
      try AtomicFile.withTemporaryPath(for: path) { tmp in
        try TIFFCodec.write(pages, to: tmp, path: path, compression: options.compression)
      }
    }
  }

  /// The bytes of `image` as a PNG or NPY file would hold them, for
  /// containers such as tar shards. `name` is used in errors only. With
  /// `channelsFirst`, an NPY of several channels has shape `(C, H, W)`
  /// instead of `(H, W, C)`.
  ///
  /// - Throws: ``RasterError`` `.unsupported` for TIFF (written through files
  ///   only) or a sample type the format cannot hold.
  public static func encoded(
    _ image: AnyImage, as format: ImageFormat, name: String = "<memory>", channelsFirst: Bool = false
  ) throws -> [UInt8] {
    switch format {
    case .png: return try PNGCodec.encode(image, path: name)
    case .npy: return try NPYCodec.encode(image, channelsFirst: channelsFirst)
    case .tiff: throw RasterError(.unsupported, path: name, "TIFF is written to files only; use PNG or NPY in memory")
    }
  }

  /// Decodes PNG or NPY bytes held in memory (the inverse of
  /// ``encoded(_:as:name:channelsFirst:)``). A rank-3 NPY array is read as
  /// `(H, W, C)`, or with `channelsFirst` as `(C, H, W)`; a `(D, H, W)`
  /// volume is read by ``decodedVolume(_:as:name:limits:)``.
  public static func decoded(
    _ bytes: [UInt8], as format: ImageFormat, name: String = "<memory>", limits: ReadLimits = .default,
    channelsFirst: Bool = false
  ) throws -> AnyImage {
    switch format {
    case .png: return try PNGCodec.decode(bytes, path: name, limits: limits)
    case .npy: return try NPYCodec.decode(bytes, path: name, limits: limits, channelsFirst: channelsFirst)
    case .tiff: throw RasterError(.unsupported, path: name, "TIFF is read from files only")
    }
  }

  /// The NPY bytes of a volume, shape `(D, H, W)`, for containers such as
  /// tar shards.
  ///
  /// - Throws: ``RasterError`` `.unsupported` for any format but NPY (PNG
  ///   is 2-D; TIFF is written through files only).
  public static func encoded(_ volume: AnyVolume, as format: ImageFormat, name: String = "<memory>") throws -> [UInt8] {
    guard format == .npy else {
      throw RasterError(.unsupported, path: name, "a volume is held in memory as NPY only, not \(format.rawValue.uppercased())")
    }
    return NPYCodec.encode(volume)
  }

  /// Decodes the NPY bytes of a volume, shape `(D, H, W)` (the inverse of
  /// ``encoded(_:as:name:)-volume``); the voxel count is checked against
  /// `limits`. The spacing is the unit spacing (NPY stores none).
  public static func decodedVolume(
    _ bytes: [UInt8], as format: ImageFormat, name: String = "<memory>", limits: ReadLimits = .default
  ) throws -> AnyVolume {
    guard format == .npy else {
      throw RasterError(.unsupported, path: name, "a volume is read from memory as NPY only, not \(format.rawValue.uppercased())")
    }
    return try NPYCodec.decodeVolume(bytes, path: name, limits: limits)
  }

  /// Throws a ``RasterError`` unless `path` is an existing, non-empty regular file.
  public static func checkReadable(_ path: String) throws {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
      throw RasterError(.notFound, path: path, "no such file")
    }
    if isDir.boolValue { throw RasterError(.isDirectory, path: path, "is a directory, expected a file") }
    guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
      throw RasterError(.io, path: path, "cannot read file attributes")
    }
    if (attrs[.size] as? NSNumber)?.intValue == 0 {
      throw RasterError(.empty, path: path, "file is empty (0 bytes)")
    }
  }

  static func readBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw RasterError(.io, path: path, "cannot read file")
    }
    return [UInt8](data)
  }
}

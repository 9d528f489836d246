/// The file formats this library reads and writes, chosen by extension.
public enum ImageFormat: String, Sendable, CaseIterable {
  case png, tiff, npy

  /// The format named by `path`'s extension (`.png`, `.tif`/`.tiff`, `.npy`,
  /// any case).
  ///
  /// - Throws: ``RasterError`` `.unknownFormat` for any other extension.
  public init(path: String) throws {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    let ext = name.split(separator: ".").count > 1 ? String(name.split(separator: ".").last!).lowercased() : ""
    switch ext {
    case "png": self = .png
    case "tif", "tiff": self = .tiff
    case "npy": self = .npy
    case "":
      throw RasterError(.unknownFormat, path: path, "no file extension; expected .png, .tif, .tiff or .npy")
    default:
      throw RasterError(.unknownFormat, path: path, "unknown image format '.\(ext)'; expected .png, .tif, .tiff or .npy")
    }
  }
}

/// Limits checked against a file's header before any pixel memory is allocated.
public struct ReadLimits: Sendable, Equatable {
  /// The most pixels (width × height, per page) a file may claim; for a
  /// file read as a volume, the most voxels (width × height × depth).
  public var maxPixels: Int
  /// The most pages a TIFF stack may hold.
  public var maxPages: Int

  public init(maxPixels: Int = 1 << 28, maxPages: Int = 100_000) {
    self.maxPixels = maxPixels
    self.maxPages = maxPages
  }

  /// 2^28 pixels (16384 × 16384) per page, 100 000 pages.
  public static let `default` = ReadLimits()

  /// Throws `.tooLarge` when `width × height`, or either side alone (an
  /// empty image can claim any length for the other), exceeds ``maxPixels``.
  public func check(width: Int, height: Int, path: String) throws {
    let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
    if overflow || pixels > maxPixels || max(width, height) > maxPixels {
      throw RasterError(
        .tooLarge, path: path,
        "header claims \(width) x \(height) pixels, more than the limit of \(maxPixels)")
    }
  }

  /// Throws `.tooLarge` when the voxels `width × height × depth`, or any
  /// side alone (an empty volume can claim any length for the others, whose
  /// products would then overflow), exceed ``maxPixels``.
  public func check(width: Int, height: Int, depth: Int, path: String) throws {
    let (slice, o1) = width.multipliedReportingOverflow(by: height)
    let (voxels, o2) = slice.multipliedReportingOverflow(by: depth)
    if o1 || o2 || voxels > maxPixels || max(width, height, depth) > maxPixels {
      throw RasterError(
        .tooLarge, path: path,
        "header claims \(width) x \(height) x \(depth) voxels, more than the limit of \(maxPixels) (counted in voxels for a volume)")
    }
  }
}

/// Compression of written TIFF files. All three open in Fiji.
public enum TIFFCompression: String, Sendable, CaseIterable {
  case none, lzw, deflate
}

/// How files are written.
public struct WriteOptions: Sendable, Equatable {
  /// TIFF compression (ignored by other formats).
  public var compression: TIFFCompression

  public init(compression: TIFFCompression = .none) {
    self.compression = compression
  }
}

/// A failure to read or write a file: what failed, why, and where.
///
/// `description` is one line, `PATH: REASON`, fit for a command-line error.
/// Image files report it as `RasterError` (Raster's name for this type);
/// the checkpoints, weights files and metrics logs of `UNet` as it is;
/// `Shards` turns it into a `ShardError`, which also names the tar entry.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of failure.
  public enum Code: String, Sendable {
    /// The file does not exist.
    case notFound
    /// A folder was given where a file is expected.
    case isDirectory
    /// The file is empty.
    case empty
    /// The file ends before its data does.
    case truncated
    /// The bytes are not a valid file of the format (bad magic, checksum,
    /// structure, values out of range).
    case corrupt
    /// A valid file whose content this library does not read or write
    /// (another kind of content, an unsupported version).
    case unsupported
    /// The header claims more than the configured limit (of pixels).
    case tooLarge
    /// The extension names no known format.
    case unknownFormat
    /// The operating system refused an open, read, write or rename.
    case io
    /// A file of several pages (an image stack) where one image is
    /// expected; it is read as a volume or page by page instead.
    case multiplePages
  }

  /// The kind of failure.
  public let code: Code
  /// The file concerned.
  public let path: String
  /// Why, in words.
  public let reason: String

  /// Creates an error.
  public init(_ code: Code, path: String, _ reason: String) {
    self.code = code
    self.path = path
    self.reason = reason
  }

  /// `PATH: REASON`.
  public var description: String { "\(path): \(reason)" }
}

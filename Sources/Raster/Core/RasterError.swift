/// A failure to read or write an image file: what failed, why, and where.
///
/// `description` is one line, `PATH: REASON`, fit for a command-line error.
public struct RasterError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of failure.
  public enum Code: String, Sendable {
    /// The file does not exist.
    case notFound
    /// A directory was given where a file is expected.
    case isDirectory
    /// The file is empty.
    case empty
    /// The file ends before its data does.
    case truncated
    /// The bytes are not a valid file of the format (bad magic, checksum, structure).
    case corrupt
    /// A valid file whose content this library does not read or write.
    case unsupported
    /// The header claims more pixels than the configured limit.
    case tooLarge
    /// The extension names no known format.
    case unknownFormat
    /// The operating system refused a read, write or rename.
    case io
    /// A file of several pages (a stack) where one image is expected; it
    /// is read as a volume or page by page instead.
    case multiplePages
  }

  public let code: Code
  /// The file concerned.
  public let path: String
  /// Why, in words.
  public let reason: String

  public init(_ code: Code, path: String, _ reason: String) {
    self.code = code
    self.path = path
    self.reason = reason
  }

  public var description: String { "\(path): \(reason)" }
}

/// A failure to read or write a file: what failed, why, and where.
///
/// `description` is one line, `PATH: REASON`, fit for a command-line error.
/// Modules with their own error type (`RasterError`, `ShardError`) turn it
/// into theirs at their boundary; the checkpoint, weights and metrics files
/// of `UNet` report it as it is.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of failure.
  public enum Code: String, Sendable {
    /// The file does not exist.
    case notFound
    /// A folder was given where a file is expected.
    case isDirectory
    /// The operating system refused an open, read, write or rename.
    case io
    /// The bytes are not a valid file of the format (truncated, bad
    /// structure, values out of range).
    case corrupt
    /// A valid file of the format that the reader does not accept (another
    /// kind of content, an unsupported version).
    case unsupported
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

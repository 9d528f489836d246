/// Text that is not valid JSON: where (file, line, column) and why.
///
/// `description` is one line, `PATH: line L, column C: REASON` (without
/// `PATH: ` when there is no file), fit for a command-line error.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file named in the message, or nil.
  public let path: String?
  /// The line of the failure, from 1.
  public let line: Int
  /// The column of the failure, from 1, counted in Unicode scalars.
  public let column: Int
  /// Why, in words.
  public let reason: String

  /// Creates an error.
  public init(path: String?, line: Int, column: Int, _ reason: String) {
    self.path = path
    self.line = line
    self.column = column
    self.reason = reason
  }

  /// `line L, column C: REASON`: the message without the file.
  public var message: String { "line \(line), column \(column): \(reason)" }

  /// `PATH: line L, column C: REASON`.
  public var description: String { path.map { "\($0): \(message)" } ?? message }
}

/// An invalid augmentation setting: which one, its value, and what it must be.
///
/// `description` is one line, fit for a command-line error, e.g.
/// `invalid sigmaPixels -1.0: must be finite and >= 0`.
public struct AugmentConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The setting's name, as in ``AugmentConfig``.
  public let parameter: String
  /// The rejected value, as text.
  public let value: String
  /// What the value must be, in words.
  public let requirement: String

  public init(parameter: String, value: String, requirement: String) {
    self.parameter = parameter
    self.value = value
    self.requirement = requirement
  }

  public var description: String { "invalid \(parameter) \(value): must be \(requirement)" }
}

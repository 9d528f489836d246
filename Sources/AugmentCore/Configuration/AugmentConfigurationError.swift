/// An invalid augmentation setting: which one, its value, and what it must be.
///
/// `description` is one line, fit for a command-line error, e.g.
/// `invalid sigmaPixels -1.0: must be finite and >= 0`.
public struct AugmentConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The setting's name, as in ``AugmentConfiguration``.
  public let setting: String
  /// The rejected value, as text.
  public let value: String
  /// What the value must be, in words.
  public let requirement: String

  public init(setting: String, value: String, requirement: String) {
    self.setting = setting
    self.value = value
    self.requirement = requirement
  }

  public var description: String { "invalid \(setting) \(value): must be \(requirement)" }
}

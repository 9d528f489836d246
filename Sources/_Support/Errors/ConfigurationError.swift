/// An invalid setting of a component: which one, its value, and what it
/// must be. One type for every module's settings (weight maps,
/// augmentation, training), so that a front end maps each `setting` to its
/// own name for it once (the `unet` tool: to the option that sets it).
///
/// `description` is one line, e.g.
/// `invalid sigmaPixels -1.0: must be finite and >= 0`.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The setting's name, as the component's Swift API spells it
  /// (`sigmaPixels`, `learningRate`).
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

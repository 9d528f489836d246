import ArgumentParser
import UNet

/// The option that sets each setting of the library's configuration types,
/// for one command: the one map from a `ConfigurationError`'s or a
/// `SettingConflict`'s setting (`sigmaPixels`) to what the user typed
/// (`--elastic-sigma`). A setting the map does not name is its name in
/// kebab case (`baseChannels`: `--base-channels`).
struct OptionNames: Sendable {
  var names: [String: String]

  init(_ names: [String: String] = [:]) { self.names = names }

  /// The option that sets `setting`.
  subscript(setting: String) -> String {
    if let name = names[setting] { return name }
    return "--" + setting.reduce(into: "") { $0 += $1.isUppercase ? "-" + $1.lowercased() : String($1) }
  }

  /// `unet train`'s and `unet bench`'s (`TrainingOverrides`, `TrainingConfiguration`).
  static let training = OptionNames(["learningRate": "--lr", "epsilon": "--eps", "warmupSteps": "--warmup"])

  /// `unet augment`'s (`AugmentConfiguration`).
  static let augment = OptionNames([
    "gridSize": "--grid", "sigmaPixels": "--elastic-sigma", "rotateDegrees": "--rotate", "shiftPixels": "--shift",
    "noiseSigma": "--noise", "percentiles": "--normalize", "sigmaZ": "--elastic-sigma-z",
  ])

  /// The weight-map options' (`WeightMapConfiguration`), with σ set by `sigmaOption`.
  static func weightMap(sigmaOption: String) -> OptionNames { OptionNames(["sigmaPixels": sigmaOption]) }

  /// `error` as a usage error naming the option: `--elastic-sigma -1.0: must be finite and >= 0`.
  func usage(_ error: ConfigurationError) -> ValidationError {
    ValidationError("\(self[error.setting]) \(error.value): must be \(error.requirement)")
  }

  /// `conflict` naming the option: `--lr 0.5 differs from the run being resumed (0.0003)`,
  /// `--recipe paper (lr) 0.001 differs from …`.
  func message(_ conflict: SettingConflict) -> String {
    let option = self[conflict.setting]
    let chosen = conflict.recipe.map { "--recipe \($0) (\(option.dropFirst(2)))" } ?? option
    return "\(chosen) \(conflict.given) differs from \(conflict.against) (\(conflict.stored))"
  }

  /// Runs `body`; a `ConfigurationError` becomes a usage error naming the option.
  func checking<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as ConfigurationError {
      throw usage(error)
    }
  }
}

import Foundation
import Raster
import Shards

extension Trainer {
  /// The run in `directory`: with `resume`, continued from its last
  /// checkpoint, whose configuration the choices must agree with;
  /// otherwise a new run on `shards` with the choices applied to the
  /// recipe, starting from the trained model at `initial` if one is given.
  /// `warning` is told when that model was trained on images normalised
  /// otherwise than the dataset's.
  /// - Throws: `SettingConflict` for a choice the run or the model
  ///   contradicts, `ConfigurationError` for a value out of range,
  ///   `FileError` and `TrainingError` for a missing run to resume, a
  ///   folder that holds a run already, or unreadable files.
  public static func open(
    directory: String, shards: String, overrides: TrainingOverrides, resume: Bool, initial: String?,
    backend: any Backend, checkpointEvery: Int, keepCheckpoints: Int, validateEvery: Int,
    warning: (String) -> Void = { _ in }
  ) throws -> Trainer {
    let last = directory + "/" + Checkpoint.lastName
    if resume {
      guard FileManager.default.fileExists(atPath: last) else {
        throw FileError(.notFound, path: directory, "no \(Checkpoint.lastName) to resume from; drop --resume to start a run")
      }
      let checkpoint = try Checkpoint.read(from: last)
      try overrides.checkResumed(checkpoint.configuration, shards: shards)
      return try Trainer(
        resuming: checkpoint, steps: overrides.steps, directory: directory, backend: backend,
        checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints, validateEvery: validateEvery)
    }
    guard !FileManager.default.fileExists(atPath: last) else {
      throw TrainingError(
        "\(directory): already holds a training run (\(Checkpoint.lastName)); pass --resume to continue it or choose another --out")
    }
    let model = try initial.map { try TrainedModel.read(from: $0) }
    let manifestPath = shards + "/" + Manifest.fileName
    let description = try Manifest.read(from: manifestPath).datasetDescription(path: manifestPath)
    let normalization = description.normalization
    let spacing = description.layout == .volume ? description.spacing ?? .unit : nil
    let configuration = try overrides.newRun(
      shards: shards, normalization: normalization, spacing: spacing,
      model: model.map { ($0.architecture, $0.tile, $0.spacing, initial!) })
    if let model, let trained = model.normalization, trained != (normalization ?? .standard) {
      warning(
        "\(initial!) was trained on images normalised as \(trained.jsonText), the dataset's are "
          + (normalization ?? .standard).jsonText)
    }
    return try Trainer(
      configuration: configuration, initialParameters: model?.parameters, initialStatistics: model?.statistics,
      directory: directory, backend: backend, checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints,
      validateEvery: validateEvery)
  }
}

extension Normalization {
  /// Compact JSON with sorted keys, as UNetKit's files hold it.
  fileprivate var jsonText: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "\(self)"
  }
}

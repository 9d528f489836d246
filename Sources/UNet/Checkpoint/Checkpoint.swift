import Foundation

/// A training run's state at one step: the configuration, the weights, the
/// optimiser's momentum and the position of the tile stream.
///
/// Stored as a safetensors file (so any safetensors reader opens it):
/// parameters under their PyTorch names, momentum under `momentum.NAME`, and
/// the rest as strings in the metadata (`format`, `version`, `step`,
/// `configuration`, `stream`, and, where known, `elapsed` and `threshold`).
/// Written to a temporary file and renamed.
public struct Checkpoint: Sendable {
  public static let format = "unetkit-checkpoint"
  public static let version = 1
  /// The newest checkpoint of a training folder.
  public static let lastName = "last.ckpt"

  public var configuration: TrainingConfiguration
  /// Steps completed.
  public var step: Int
  /// In `configuration.architecture.parameterSpecs` order and shapes.
  public var parameters: [[Float]]
  /// Same order and shapes; nil in a checkpoint that cannot resume training.
  public var momentum: [[Float]]?
  /// The tile stream's state after `step` steps (JSON).
  public var stream: String?
  /// Training seconds up to `step`, summed over every segment of the run
  /// (metadata `elapsed`); nil in checkpoints of older versions.
  public var elapsed: Double?
  /// The foreground probability threshold at which the run's last
  /// validation had its best Rand error (metadata `threshold`); nil without
  /// validation and for more than 2 classes. `unet predict` uses it.
  public var threshold: Double?

  public init(configuration: TrainingConfiguration, step: Int, parameters: [[Float]], momentum: [[Float]]?, stream: String?) {
    self.configuration = configuration
    self.step = step
    self.parameters = parameters
    self.momentum = momentum
    self.stream = stream
  }

  /// The file name of an older checkpoint: `step-000123.ckpt`.
  public static func fileName(step: Int) -> String { String(format: "step-%06d.ckpt", step) }

  /// A checkpoint file, or a training folder's `last.ckpt`.
  public static func resolve(_ path: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw TrainingError("\(path): no such checkpoint file or training folder")
    }
    guard isDirectory.boolValue else { return path }
    let last = (path as NSString).appendingPathComponent(lastName)
    guard FileManager.default.fileExists(atPath: last) else {
      throw TrainingError("\(path): no \(lastName) in this folder; is it a training output folder?")
    }
    return last
  }

  public var safeTensors: SafeTensors {
    let specs = configuration.architecture.parameterSpecs
    var tensors = zip(specs, parameters).map { SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: $1) }
    if let momentum {
      tensors += zip(specs, momentum).map { SafeTensors.Tensor(name: "momentum." + $0.name, shape: $0.shape, values: $1) }
    }
    var metadata = [
      "format": Self.format, "version": String(Self.version), "step": String(step),
      "configuration": Self.json(configuration),
    ]
    if let stream { metadata["stream"] = stream }
    if let elapsed { metadata["elapsed"] = "\(elapsed)" }
    if let threshold { metadata["threshold"] = "\(threshold)" }
    return SafeTensors(metadata: metadata, tensors: tensors)
  }

  public init(_ file: SafeTensors, path: String) throws {
    func fail(_ reason: String) -> TrainingError { TrainingError("\(path): \(reason)") }
    guard file.metadata["format"] == Self.format else { throw fail("not a UNetKit checkpoint (metadata format is not \(Self.format))") }
    guard let version = file.metadata["version"].flatMap(Int.init), version == Self.version else {
      throw fail("checkpoint version \(file.metadata["version"] ?? "?") is not supported (expected \(Self.version))")
    }
    guard let step = file.metadata["step"].flatMap(Int.init), step >= 0 else { throw fail("missing or bad step") }
    guard let text = file.metadata["configuration"],
      let configuration = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8))
    else { throw fail("missing or unreadable configuration") }
    do { try configuration.validate() } catch { throw fail("configuration: \(error)") }
    let specs = configuration.architecture.parameterSpecs
    func tensors(_ prefix: String) throws -> [[Float]]? {
      var result: [[Float]] = []
      for spec in specs {
        guard let tensor = file[prefix + spec.name] else {
          if prefix.isEmpty || result.isEmpty { return nil }
          throw fail("tensor \(prefix + spec.name) is missing")
        }
        guard tensor.shape == spec.shape else {
          throw fail("tensor \(prefix + spec.name) has shape \(tensor.shape), expected \(spec.shape)")
        }
        guard tensor.values.allSatisfy(\.isFinite) else { throw fail("tensor \(prefix + spec.name) holds NaN or infinite values") }
        result.append(tensor.values)
      }
      return result
    }
    guard let parameters = try tensors("") else {
      throw fail("parameter \(specs.first { file[$0.name] == nil }?.name ?? "?") is missing")
    }
    self.init(
      configuration: configuration, step: step, parameters: parameters, momentum: try tensors("momentum."),
      stream: file.metadata["stream"])
    if let text = file.metadata["elapsed"] {
      guard let value = Double(text), value.isFinite, value >= 0 else { throw fail("bad elapsed time \(quoted(text))") }
      elapsed = value
    }
    if let text = file.metadata["threshold"] {
      guard let value = Double(text), value >= 0, value <= 1 else { throw fail("bad threshold \(quoted(text))") }
      threshold = value
    }
  }

  public static func read(from path: String) throws -> Checkpoint {
    try Checkpoint(try SafeTensors.read(from: path), path: path)
  }

  public func write(to path: String) throws { try safeTensors.write(to: path) }

  /// The weights alone, for other programs: PyTorch names and layouts
  /// (see `Architecture.parameterSpecs`), the architecture (and the run's
  /// foreground threshold, when it has one) in the metadata.
  public var export: SafeTensors {
    let a = configuration.architecture
    let specs = a.parameterSpecs
    return SafeTensors(
      metadata: [
        "format": "unetkit-weights", "architecture": Self.json(a), "tile": String(configuration.tile),
        "step": String(step),
      ].merging(configuration.normalization.map { ["normalization": $0] } ?? [:]) { a, _ in a }
        .merging(threshold.map { ["threshold": "\($0)"] } ?? [:]) { a, _ in a },
      tensors: zip(specs, parameters).map { SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: $1) })
  }

  static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
  }
}

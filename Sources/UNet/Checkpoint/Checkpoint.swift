import Foundation
import _Support

/// A training run's state at one step: the configuration, the weights, the
/// optimiser's state and the position of the tile stream.
///
/// Stored as a safetensors file (so any safetensors reader opens it):
/// parameters under their PyTorch names, the running statistics of
/// normalisation layers as PyTorch's buffers (`down.0.1.running_mean`,
/// `…running_var`, `…num_batches_tracked`), the optimiser's state under
/// `optimizer.SLOT.NAME` (`optimizer.momentum.down.0.0.weight`), and the rest
/// as strings in the metadata (`format`, `version`, `step`, `configuration`,
/// `stream`, and, where known, `elapsed` and `threshold`). Written to a
/// temporary file and renamed.
///
/// Version 1 (before optimisers named their state) stored SGD's momentum as
/// `momentum.NAME` and a configuration with `momentum` and the normalisation
/// as JSON text; it is read as SGD with that momentum.
public struct Checkpoint: Sendable {
  public static let format = "unetkit-checkpoint"
  /// The version written; versions 1 and 2 are read.
  public static let version = 2
  /// The newest checkpoint of a training folder.
  public static let lastName = "last.ckpt"

  public var configuration: TrainingConfiguration
  /// Steps completed.
  public var step: Int
  /// In `configuration.architecture.parameterSpecs` order and shapes.
  public var parameters: [[Float]]
  /// The normalisation layers' running statistics (`.empty` without them).
  public var statistics: RunningStatistics
  /// The optimiser's state: for each of `configuration.optimizer.slots`,
  /// arrays in the order and shapes of `parameters`; nil in a checkpoint
  /// that cannot resume training.
  public var optimizerState: [String: [[Float]]]?
  /// The tile stream's state after `step` steps (JSON).
  public var stream: String?
  /// Training seconds up to `step`, summed over every segment of the run
  /// (metadata `elapsed`); nil in checkpoints of older versions.
  public var elapsed: Double?
  /// The foreground probability threshold at which the run's last
  /// validation had its best Rand error (metadata `threshold`); nil without
  /// validation and for more than 2 classes. `unet predict` uses it.
  public var threshold: Double?

  /// - Parameter statistics: nil gives a new network's (`Architecture.initialStatistics`).
  public init(
    configuration: TrainingConfiguration, step: Int, parameters: [[Float]], statistics: RunningStatistics? = nil,
    optimizerState: [String: [[Float]]]?, stream: String?
  ) {
    self.configuration = configuration
    self.step = step
    self.parameters = parameters
    self.statistics = statistics ?? configuration.architecture.initialStatistics
    self.optimizerState = optimizerState
    self.stream = stream
  }

  /// The file name of an older checkpoint: `step-000123.ckpt`.
  public static func fileName(step: Int) -> String { String(format: "step-%06d.ckpt", step) }

  /// A checkpoint file, or a training folder's `last.ckpt`.
  /// - Throws: `FileError` `.notFound` naming the path.
  public static func resolve(_ path: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw FileError(.notFound, path: path, "no such checkpoint file or training folder")
    }
    guard isDirectory.boolValue else { return path }
    let last = (path as NSString).appendingPathComponent(lastName)
    guard FileManager.default.fileExists(atPath: last) else {
      throw FileError(.notFound, path: path, "no \(lastName) in this folder; is it a training output folder?")
    }
    return last
  }

  /// The prefix of a slot's tensors: `optimizer.momentum.`.
  static func prefix(ofSlot slot: String) -> String { "optimizer." + slot + "." }

  /// The file's contents in memory (`write(to:)` writes the same bytes
  /// tensor by tensor).
  public var safeTensors: SafeTensors {
    let layout = layout(slots: storedSlots)
    return SafeTensors(
      metadata: metadata,
      tensors: layout.indices.map { tensor(layout[$0], parameter: { parameters[$0] }, slot: { optimizerState![$0]![$1] }) })
  }

  /// The slots of `configuration.optimizer` that `optimizerState` holds.
  private var storedSlots: Set<String> {
    Set(configuration.optimizer.slots.filter { optimizerState?[$0] != nil })
  }

  /// The metadata: format, version, step, configuration, stream, elapsed
  /// and threshold.
  private var metadata: [String: String] {
    var metadata = [
      "format": Self.format, "version": String(Self.version), "step": String(step),
      "configuration": Self.json(configuration),
    ]
    if let stream { metadata["stream"] = stream }
    if let elapsed { metadata["elapsed"] = "\(elapsed)" }
    if let threshold { metadata["threshold"] = "\(threshold)" }
    return metadata
  }

  /// Where the values of one tensor of the file come from.
  private enum Source {
    /// Parameter i.
    case parameter(Int)
    /// The optimiser's slot for parameter i.
    case slot(String, Int)
    /// A tensor at hand (the running statistics).
    case tensor(SafeTensors.Tensor)
  }

  /// The file's tensors in order: the parameters, the running statistics,
  /// then each of the optimiser's slots that `slots` names, in the order of
  /// `configuration.optimizer.slots`.
  private func layout(slots: Set<String>) -> [(entry: SafeTensors.Entry, source: Source)] {
    let specs = configuration.architecture.parameterSpecs
    var layout = specs.indices.map { (entry: SafeTensors.Entry(name: specs[$0].name, shape: specs[$0].shape), source: Source.parameter($0)) }
    layout += SafeTensors.tensors(of: statistics, configuration.architecture).map { ($0.entry, .tensor($0)) }
    for slot in configuration.optimizer.slots where slots.contains(slot) {
      let prefix = Self.prefix(ofSlot: slot)
      layout += specs.indices.map {
        (SafeTensors.Entry(name: prefix + specs[$0].name, shape: specs[$0].shape), .slot(slot, $0))
      }
    }
    return layout
  }

  /// The tensor of `item`, its values from `parameter` or `slot`.
  private func tensor(
    _ item: (entry: SafeTensors.Entry, source: Source), parameter: (Int) throws -> [Float],
    slot: (String, Int) throws -> [Float]
  ) rethrows -> SafeTensors.Tensor {
    switch item.source {
    case .parameter(let i): SafeTensors.Tensor(name: item.entry.name, shape: item.entry.shape, values: try parameter(i))
    case .slot(let name, let i): SafeTensors.Tensor(name: item.entry.name, shape: item.entry.shape, values: try slot(name, i))
    case .tensor(let tensor): tensor
    }
  }

  /// The checkpoint in `file`, read from `path` (named in errors).
  /// - Throws: `FileError` `.unsupported` for another kind of file or
  ///   version, `.corrupt` for missing or malformed contents.
  public init(_ file: SafeTensors, path: String) throws {
    func corrupt(_ reason: String) -> FileError { FileError(.corrupt, path: path, reason) }
    guard file.metadata["format"] == Self.format else {
      if file.metadata["format"] == TrainedModel.weightsFormat {
        throw FileError(
          .unsupported, path: path, "holds weights only (\(TrainedModel.weightsFormat)), not a UNetKit checkpoint")
      }
      throw FileError(.unsupported, path: path, "not a UNetKit checkpoint (metadata format is not \(Self.format))")
    }
    guard let version = file.metadata["version"].flatMap(Int.init), (1...Self.version).contains(version) else {
      throw FileError(
        .unsupported, path: path,
        "checkpoint version \(file.metadata["version"] ?? "?") is not supported (expected 1 to \(Self.version))")
    }
    guard let step = file.metadata["step"].flatMap(Int.init), step >= 0 else { throw corrupt("missing or bad step") }
    guard let text = file.metadata["configuration"],
      let configuration = try? JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8))
    else { throw corrupt("missing or unreadable configuration") }
    do { try configuration.validate() } catch { throw corrupt("configuration: \(error)") }
    let specs = configuration.architecture.parameterSpecs
    let parameters = try file.parameters(specs, prefix: "", path: path)
    var state: [String: [[Float]]] = [:]
    for slot in configuration.optimizer.slots {
      // Version 1 stored SGD's momentum as `momentum.NAME`.
      let prefix = version == 1 ? "momentum." : Self.prefix(ofSlot: slot)
      state[slot] = try file.optionalParameters(specs, prefix: prefix, path: path)
    }
    let complete = state.count == configuration.optimizer.slots.count
    if !state.isEmpty && !complete {
      let missing = configuration.optimizer.slots.first { state[$0] == nil }!
      throw corrupt("the optimiser state has no \(missing) slot")
    }
    self.init(
      configuration: configuration, step: step, parameters: parameters,
      statistics: try file.statistics(configuration.architecture, path: path), optimizerState: complete ? state : nil,
      stream: file.metadata["stream"])
    if let text = file.metadata["elapsed"] {
      guard let value = Double(text), value.isFinite, value >= 0 else { throw corrupt("bad elapsed time \(quoted(text))") }
      elapsed = value
    }
    if let text = file.metadata["threshold"] {
      guard let value = Double(text), value >= 0, value <= 1 else { throw corrupt("bad threshold \(quoted(text))") }
      threshold = value
    }
  }

  public static func read(from path: String) throws -> Checkpoint {
    try Checkpoint(try SafeTensors.read(from: path), path: path)
  }

  /// Writes the file atomically, tensor by tensor (`SafeTensors.write(to:metadata:entries:tensor:)`).
  /// - Precondition: `parameters` and each slot of `optimizerState` hold
  ///   one array per parameter.
  public func write(to path: String) throws {
    let specs = configuration.architecture.parameterSpecs
    precondition(parameters.count == specs.count, "\(parameters.count) parameter arrays for \(specs.count) parameters")
    for (slot, arrays) in optimizerState ?? [:] {
      precondition(arrays.count == specs.count, "optimiser slot \(slot): \(arrays.count) arrays for \(specs.count) parameters")
    }
    try write(
      to: path, slots: storedSlots, parameter: { try parameters[$0].withUnsafeBufferPointer($1) },
      slot: { try optimizerState![$0]![$1].withUnsafeBufferPointer($2) })
  }

  /// Writes the file of this checkpoint with the parameters and the
  /// optimiser's slots `slots` that `parameter(i, body)` and
  /// `slot(name, i, body)` pass to `body`, asked for one tensor at a time as
  /// it is written, in place of `parameters` and `optimizerState` (which
  /// are not read). A training run writes its state this way straight from
  /// the network, which lends each tensor in its idle workspace
  /// (`CompiledGraph.withParameter`), so that no copy is made; the bytes
  /// are those of `write(to:)` of the same values.
  func write(
    to path: String, slots: Set<String>,
    parameter: (Int, (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void,
    slot: (String, Int, (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void
  ) throws {
    let layout = layout(slots: slots)
    try SafeTensors.write(to: path, metadata: metadata, entries: layout.map(\.entry)) { index, write in
      let values = { (values: UnsafeBufferPointer<Float>) in try SafeTensors.withDataBytes(of: values, write) }
      switch layout[index].source {
      case .parameter(let i): try parameter(i, values)
      case .slot(let name, let i): try slot(name, i, values)
      case .tensor(let tensor): try tensor.withDataBytes(write)
      }
    }
  }

  /// The weights alone, for other programs: PyTorch names and layouts
  /// (see `Architecture.parameterSpecs`), the architecture, tile, step,
  /// normalisation and (when the run has one) foreground threshold in the
  /// metadata (see `TrainedModel`).
  public var export: SafeTensors { TrainedModel(self).weightsFile }

  static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
  }
}

extension SafeTensors {
  /// The tensors `PREFIX + spec.name` for every spec, checked against the
  /// specs' shapes and for finite values.
  /// - Throws: `FileError` `.corrupt` naming `path` and the tensor.
  func parameters(_ specs: [ParameterSpec], prefix: String, path: String) throws -> [[Float]] {
    if let missing = specs.first(where: { self[prefix + $0.name] == nil }) {
      throw FileError(.corrupt, path: path, "parameter \(prefix + missing.name) is missing")
    }
    return try optionalParameters(specs, prefix: prefix, path: path) ?? []
  }

  /// As `parameters`, or nil when not one of the tensors is there.
  func optionalParameters(_ specs: [ParameterSpec], prefix: String, path: String) throws -> [[Float]]? {
    func corrupt(_ reason: String) -> FileError { FileError(.corrupt, path: path, reason) }
    var result: [[Float]] = []
    for spec in specs {
      guard let tensor = self[prefix + spec.name] else {
        if result.isEmpty { return nil }
        throw corrupt("tensor \(prefix + spec.name) is missing")
      }
      guard tensor.shape == spec.shape else {
        throw corrupt("tensor \(prefix + spec.name) has shape \(tensor.shape), expected \(spec.shape)")
      }
      guard tensor.dtype == .f32 else {
        throw corrupt("tensor \(prefix + spec.name) has dtype \(tensor.dtype.rawValue), expected F32")
      }
      guard tensor.values.allSatisfy(\.isFinite) else { throw corrupt("tensor \(prefix + spec.name) holds NaN or infinite values") }
      result.append(tensor.values)
    }
    return result
  }
}

import Foundation
import Raster
import _Support

/// Runs the paper's training: tiles from the shards, forward, weighted
/// cross-entropy, backward, the optimiser (SGD with momentum); logs every step to
/// metrics.jsonl, plots loss.svg, and writes checkpoints.
///
/// Output folder: `metrics.jsonl`, `loss.svg`, `last.ckpt` (always the newest
/// checkpoint) and the `keepCheckpoints` older ones as `step-NNNNNN.ckpt`.
public final class Trainer {
  /// What one step reports.
  public struct StepReport: Sendable {
    public var step: Int
    public var steps: Int
    public var loss: Double
    public var seconds: Double
    public var learningRate: Double
    /// Training seconds so far (see ``MetricsRecord/elapsed``).
    public var elapsed: Double
    /// Set on validation steps.
    public var validation: ValidationResult?
    /// Set when a checkpoint was written after this step.
    public var checkpoint: String?
  }

  public enum Outcome: Sendable, Equatable {
    /// All steps done.
    case finished(step: Int)
    /// Stopped on request after `step` steps, with a checkpoint.
    case interrupted(step: Int)
  }

  public let configuration: TrainingConfiguration
  public let directory: String
  /// Steps completed so far.
  public private(set) var step: Int
  public let backendName: String
  /// Checkpoint every this many steps (and at the end).
  public var checkpointEvery: Int
  /// Older checkpoints to keep beside last.ckpt.
  public var keepCheckpoints: Int
  /// Validate every this many steps (0: never).
  public var validateEvery: Int
  public var validation: [ValidationImage] = []
  /// Training seconds so far, summed over every segment of the run: steps
  /// and checkpoint writes, without start-up and validation.
  public private(set) var elapsed: Double
  /// The threshold of the last validation's best Rand error (2 classes),
  /// stored in the checkpoints for `unet predict`.
  public internal(set) var threshold: Double?

  let backend: any Backend
  private let stream: TrainingStream
  let network: any CompiledGraph
  private let metrics: MetricsLog
  private var records: [MetricsRecord]
  var predictor: TiledPredictor?
  /// The step of the checkpoint in last.ckpt, if this run wrote or read one.
  private var lastCheckpointStep: Int?

  /// Starts a new run in `directory`. The network's input channels are
  /// those of the dataset's images, whatever `configuration` says.
  /// - Parameters:
  ///   - initialParameters: weights to start from (fine-tuning a trained
  ///     model of the same architecture); nil draws He initialisation from
  ///     the configuration's seed.
  ///   - initialStatistics: the running statistics of those weights; nil
  ///     starts them as a new network's.
  public convenience init(
    configuration: TrainingConfiguration, initialParameters: [[Float]]? = nil,
    initialStatistics: RunningStatistics? = nil, directory: String, backend: any Backend, checkpointEvery: Int = 500,
    keepCheckpoints: Int = 3, validateEvery: Int = 0
  ) throws {
    try configuration.validate()
    let output = try configuration.outputExtent()
    let stream = try TrainingStream(Self.streamConfiguration(configuration, output: output))
    var configuration = configuration
    if let initialParameters {
      guard configuration.architecture.inputChannels == stream.channels else {
        throw TrainingError(
          "the model takes \(configuration.architecture.inputChannels) channels, the images of \(configuration.shards) have \(stream.channels)")
      }
      let shapes = configuration.architecture.parameterSpecs.map(\.count)
      guard initialParameters.map(\.count) == shapes else {
        throw TrainingError("the initial parameters do not fit the architecture")
      }
    }
    configuration.architecture.inputChannels = stream.channels
    try configuration.validate()
    let architecture = configuration.architecture
    let specs = architecture.parameterSpecs
    // Drawn (and the optimiser's zeros made) one tensor at a time, as the
    // network takes them.
    try self.init(
      configuration: configuration, stream: stream, directory: directory, backend: backend,
      checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints, validateEvery: validateEvery,
      parameter: { initialParameters?[$0] ?? architecture.initialParameter($0, seed: configuration.seed) },
      statistics: initialStatistics ?? architecture.initialStatistics,
      optimizerState: { _, index in [Float](repeating: 0, count: specs[index].count) },
      step: 0, resuming: false, elapsed: nil, threshold: nil)
  }

  /// Continues the run whose newest checkpoint is `checkpoint`.
  /// - Parameter steps: a new total (to train longer); nil keeps the checkpoint's.
  public convenience init(
    resuming checkpoint: Checkpoint, steps: Int? = nil, directory: String, backend: any Backend,
    checkpointEvery: Int = 500, keepCheckpoints: Int = 3, validateEvery: Int = 0
  ) throws {
    var configuration = checkpoint.configuration
    if let steps { configuration.steps = steps }
    try configuration.validate()
    guard let optimizerState = checkpoint.optimizerState, let streamJSON = checkpoint.stream,
      let state = try? JSONDecoder().decode(TrainingStream.State.self, from: Data(streamJSON.utf8))
    else {
      throw FileError(
        .unsupported, path: directory + "/" + Checkpoint.lastName, "holds weights only; it cannot resume training")
    }
    let parameterCount = configuration.architecture.parameterSpecs.count
    guard Set(optimizerState.keys) == Set(configuration.optimizer.slots),
      optimizerState.values.allSatisfy({ $0.count == parameterCount })
    else {
      throw TrainingError("the checkpoint's optimiser state does not fit its \(configuration.optimizer.name) optimiser")
    }
    guard checkpoint.step <= configuration.steps else {
      throw TrainingError("the run is already at step \(checkpoint.step), beyond --steps \(configuration.steps)")
    }
    let output = try configuration.outputExtent()
    let stream = try TrainingStream(Self.streamConfiguration(configuration, output: output), state: state)
    try self.init(
      configuration: configuration, stream: stream, directory: directory, backend: backend,
      checkpointEvery: checkpointEvery, keepCheckpoints: keepCheckpoints, validateEvery: validateEvery,
      parameter: { checkpoint.parameters[$0] }, statistics: checkpoint.statistics,
      optimizerState: { optimizerState[$0]![$1] }, step: checkpoint.step, resuming: true,
      elapsed: checkpoint.elapsed, threshold: checkpoint.threshold)
  }

  /// Compiles the network, loads its state and opens the folder's log
  /// (cut back to `step` when resuming). A checkpoint of an older version
  /// has no elapsed time: the step times of the log stand in for it.
  /// Parameter i is `parameter(i)`, and each of the optimiser's slots holds
  /// `optimizerState(slot, i)`, asked for one at a time.
  private init(
    configuration: TrainingConfiguration, stream: TrainingStream, directory: String, backend: any Backend,
    checkpointEvery: Int, keepCheckpoints: Int, validateEvery: Int,
    parameter: (Int) -> [Float], statistics: RunningStatistics, optimizerState: (String, Int) -> [Float], step: Int,
    resuming: Bool, elapsed: Double?,
    threshold: Double?
  ) throws {
    self.configuration = configuration
    self.stream = stream
    self.directory = directory
    self.backend = backend
    self.checkpointEvery = max(1, checkpointEvery)
    self.keepCheckpoints = max(0, keepCheckpoints)
    self.validateEvery = max(0, validateEvery)
    backendName = backend.name
    network = try backend.compile(
      configuration.architecture.graph, batch: configuration.batch, input: configuration.tile.extent, training: true)
    let parameters = configuration.architecture.parameterSpecs.indices
    for index in parameters { network.setParameter(index, parameter(index)) }
    try network.setRunningStatistics(statistics)
    for slot in configuration.optimizer.slots {
      for index in parameters { try network.setOptimizerState(slot, parameter: index, optimizerState(slot, index)) }
    }
    self.step = step
    lastCheckpointStep = resuming ? step : nil
    AtomicFile.removeLeftovers(in: directory, where: Self.isRunFile)
    let log = directory + "/metrics.jsonl"
    metrics = try MetricsLog(path: log, truncatingAfter: resuming ? step : nil)
    records = resuming ? try MetricsLog.read(from: log) : []
    self.elapsed = elapsed ?? records.compactMap(\.seconds).reduce(0, +)
    self.threshold = configuration.architecture.classes == 2 ? threshold : nil
    // What reading the shards and loading the network freed is not needed
    // again: the steps' buffers are the network's own.
    Heap.releaseFreePages()
  }

  /// The primitives of a training step and the implementation the backend
  /// chose for each.
  public var kernels: [Kernel] { network.kernels }

  /// Files of a training folder: last.ckpt, step-NNNNNN.ckpt, metrics.jsonl, loss.svg.
  static func isRunFile(_ name: String) -> Bool {
    [Checkpoint.lastName, "metrics.jsonl", "loss.svg"].contains(name) || (name.hasPrefix("step-") && name.hasSuffix(".ckpt"))
  }

  static func streamConfiguration(_ c: TrainingConfiguration, output: [Int]) -> TrainingStream.Configuration {
    TrainingStream.Configuration(
      directory: c.shards, tile: c.tile.extent, output: output, batch: c.batch, classes: c.architecture.classes,
      seed: c.seed, bufferSize: c.shuffleBuffer)
  }

  /// The current weights and optimiser state as a checkpoint.
  public var checkpoint: Checkpoint {
    checkpoint(parameters: network.parameters(), optimizerState: network.optimizerState())
  }

  /// The run's checkpoint at this step with these arrays.
  private func checkpoint(parameters: [[Float]], optimizerState: [String: [[Float]]]?) -> Checkpoint {
    var checkpoint = Checkpoint(
      configuration: configuration, step: step, parameters: parameters, statistics: network.runningStatistics(),
      optimizerState: optimizerState, stream: Checkpoint.json(stream.state))
    checkpoint.elapsed = elapsed
    checkpoint.threshold = threshold
    return checkpoint
  }

  /// Trains until `configuration.steps` or until `shouldStop` says so
  /// (checked between steps; a checkpoint is written before returning).
  public func run(report: (StepReport) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> Outcome {
    let classes = configuration.architecture.classes
    if step >= configuration.steps {
      // A run killed after its last checkpoint: prune and redraw the plot.
      try tidy()
      return .finished(step: step)
    }
    while step < configuration.steps {
      if shouldStop() {
        try writeCheckpoint()
        return .interrupted(step: step)
      }
      let started = Date()
      let batch = try stream.next()
      let next = step + 1
      let rate = configuration.learningRate(atStep: next)
      let logits = try network.forward(batch.images, dropoutSeed: dropoutSeed(step: next))
      let (loss, gradient) = WeightedCrossEntropy.evaluate(
        logits: logits, labels: batch.labels, weights: batch.weights, classes: classes, batch: configuration.batch)
      guard loss.isFinite else {
        throw TrainingError(
          "the loss became \(loss) at step \(next); lower --lr (now \(configuration.learningRate)) or add --warmup steps")
      }
      try network.backward(gradient)
      try network.update(configuration.optimizer, learningRate: Float(rate), step: next)
      step = next
      let seconds = Date().timeIntervalSince(started)
      elapsed += seconds
      let record = MetricsRecord(step: step, loss: loss, seconds: seconds, learningRate: rate, elapsed: elapsed)
      try metrics.append(record)
      records.append(record)

      var stepReport = StepReport(
        step: step, steps: configuration.steps, loss: loss, seconds: seconds, learningRate: rate, elapsed: elapsed)
      if validateEvery > 0, !validation.isEmpty, step % validateEvery == 0 || step == configuration.steps {
        let result = try validate()
        if configuration.architecture.classes == 2 { threshold = result.scores.randError.threshold }
        let line = MetricsRecord(
          step: step, elapsed: elapsed, validationLoss: result.loss,
          validationPixelError: result.scores.pixelError.value,
          validationPixelErrorThreshold: result.scores.pixelError.threshold,
          validationRandError: result.scores.randError.value,
          validationRandErrorThreshold: result.scores.randError.threshold)
        try metrics.append(line)
        records.append(line)
        stepReport.validation = result
      }
      if step % checkpointEvery == 0 || step == configuration.steps {
        stepReport.checkpoint = try writeCheckpoint()
      }
      report(stepReport)
    }
    return .finished(step: step)
  }

  /// Dropout masks of step s: a stream of the run's seed no other draw uses.
  func dropoutSeed(step: Int) -> UInt64 {
    var rng = SplitMix64(seed: configuration.seed ^ 0xD50F_0D50_F0D5_0F0D, stream: UInt64(step))
    return rng.next()
  }

  /// Writes last.ckpt (keeping the previous one as step-NNNNNN.ckpt), prunes
  /// old ones, and redraws loss.svg. Returns the checkpoint path.
  @discardableResult
  public func writeCheckpoint() throws -> String {
    let started = Date()
    defer { elapsed += Date().timeIntervalSince(started) }
    let last = directory + "/" + Checkpoint.lastName
    let fm = FileManager.default
    // The previous newest becomes step-NNNNNN.ckpt (a hard link: at every
    // moment last.ckpt is a complete checkpoint).
    if keepCheckpoints > 0, fm.fileExists(atPath: last), let previous = lastCheckpointStep, previous != step {
      let older = directory + "/" + Checkpoint.fileName(step: previous)
      try? fm.removeItem(atPath: older)
      if link(last, older) != 0 { try? fm.copyItem(atPath: last, toPath: older) }
    }
    // Straight from the network, one tensor at a time, each converted in
    // the network's idle workspace: the file's bytes are
    // `checkpoint.write(to:)`'s without a copy of the state.
    try checkpoint(parameters: [], optimizerState: nil).write(
      to: last, slots: network.optimizerSlots, parameter: { try self.network.withParameter($0, $1) },
      slot: { try self.network.withOptimizerState($0, parameter: $1, $2) })
    lastCheckpointStep = step
    try tidy()
    Heap.releaseFreePages()
    return last
  }

  /// Keeps the newest `keepCheckpoints` older checkpoints and redraws loss.svg.
  private func tidy() throws {
    let fm = FileManager.default
    let olderFiles = ((try? fm.contentsOfDirectory(atPath: directory)) ?? [])
      .filter { $0.hasPrefix("step-") && $0.hasSuffix(".ckpt") }.sorted()
    for name in olderFiles.dropLast(keepCheckpoints) { try? fm.removeItem(atPath: directory + "/" + name) }
    try LossPlot.write(records, title: "U-Net training loss", to: directory + "/loss.svg")
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

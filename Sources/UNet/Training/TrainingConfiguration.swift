import Foundation
import Raster

/// Everything that decides a training run's result. Stored in every
/// checkpoint, so that `--resume` continues the same run and later commands
/// know the network they load.
public struct TrainingConfiguration: Sendable, Hashable, Codable {
  public var architecture: Architecture
  /// Input tile (572 in the paper; W×H×D for a 3-D network); the output
  /// is `tile − 2·margin` along each axis.
  public var tile: TileSize
  /// Tiles per step (1 in the paper).
  public var batch: Int
  /// Steps of the whole run.
  public var steps: Int
  public var learningRate: Double
  /// The optimiser and its settings (the paper's: SGD, momentum 0.99).
  public var optimizer: Optimizer
  public var schedule: LearningRateSchedule
  /// Steps over which the learning rate rises linearly from 0 at the start.
  public var warmupSteps: Int
  public var seed: UInt64
  /// Shuffle-buffer size of the tile stream, in samples.
  public var shuffleBuffer: Int
  /// The dataset folder the run trains on.
  public var shards: String
  /// The image normalisation of the dataset (from its manifest), applied
  /// again to images at validation and prediction time; nil for a dataset
  /// whose manifest names none (`Normalization.standard` then applies).
  public var normalization: Normalization?
  /// The voxel spacing of a dataset of volumes (from its manifest): the
  /// volumes a 3-D network is applied to must have it. Nil in 2-D.
  public var spacing: VoxelSpacing?

  /// With the loss averaged over pixels and momentum 0.99: stable on the
  /// ISBI data with the paper's network (0.01 stalls and diverges there).
  public static let defaultLearningRate = 0.001

  public init(
    architecture: Architecture, tile: TileSize, batch: Int = 1, steps: Int, learningRate: Double = defaultLearningRate,
    optimizer: Optimizer = .paper, schedule: LearningRateSchedule = .constant, warmupSteps: Int = 0, seed: UInt64 = 0,
    shuffleBuffer: Int = 16, shards: String, normalization: Normalization? = nil, spacing: VoxelSpacing? = nil
  ) {
    self.architecture = architecture
    self.tile = tile
    self.spacing = spacing
    self.batch = batch
    self.steps = steps
    self.learningRate = learningRate
    self.optimizer = optimizer
    self.schedule = schedule
    self.warmupSteps = warmupSteps
    self.seed = seed
    self.shuffleBuffer = shuffleBuffer
    self.shards = shards
    self.normalization = normalization
  }

  /// A one-line reason when a number other than the tile is out of range
  /// (the architecture's and the optimiser's included), else nil.
  public var problem: ConfigurationError? {
    func invalid(_ setting: String, _ value: Any, _ requirement: String) -> ConfigurationError {
      ConfigurationError(setting: setting, value: "\(value)", requirement: requirement)
    }
    if let problem = architecture.problem { return problem }
    if !(1...64).contains(batch) { return invalid("batch", batch, "1 to 64") }
    if steps < 1 { return invalid("steps", steps, "at least 1") }
    if !(learningRate > 0 && learningRate.isFinite) { return invalid("learningRate", learningRate, "finite and > 0") }
    if let problem = optimizer.problem { return problem }
    if warmupSteps < 0 { return invalid("warmupSteps", warmupSteps, "at least 0") }
    if !(1...4096).contains(shuffleBuffer) { return invalid("shuffleBuffer", shuffleBuffer, "1 to 4096") }
    return nil
  }

  /// A configuration with a square 2-D tile.
  public init(
    architecture: Architecture, tile: Int, batch: Int = 1, steps: Int, learningRate: Double = defaultLearningRate,
    optimizer: Optimizer = .paper, schedule: LearningRateSchedule = .constant, warmupSteps: Int = 0, seed: UInt64 = 0,
    shuffleBuffer: Int = 16, shards: String, normalization: Normalization? = nil
  ) {
    self.init(
      architecture: architecture, tile: TileSize(square: tile), batch: batch, steps: steps, learningRate: learningRate,
      optimizer: optimizer, schedule: schedule, warmupSteps: warmupSteps, seed: seed, shuffleBuffer: shuffleBuffer,
      shards: shards, normalization: normalization)
  }

  /// Checks every number and the tile against the architecture; the error
  /// is one line naming the value.
  public func validate() throws {
    if let problem { throw problem }
    _ = try architecture.validateTile(tile)
  }

  /// The output extent of the tile (slowest axis first).
  /// - Throws: as `validate()` for an invalid tile.
  public func outputExtent() throws -> [Int] { try architecture.validateTile(tile) }

  /// The learning rate of step `step` (1-based).
  public func learningRate(atStep step: Int) -> Double {
    var rate = learningRate
    switch schedule {
    case .constant: break
    case .cosine:
      let progress = Double(step - 1) / Double(max(1, steps - 1))
      rate *= 0.5 * (1 + cos(Double.pi * progress))
    case .step:
      // ×0.1 at 60 % and again at 85 % of the run.
      if step > steps * 85 / 100 { rate *= 0.01 } else if step > steps * 6 / 10 { rate *= 0.1 }
    case .poly:
      // nnU-Net's lr·(1 − t/T)^0.9 with t counted from 0.
      rate *= pow(max(0, 1 - Double(step - 1) / Double(steps)), 0.9)
    }
    if warmupSteps > 0 && step <= warmupSteps { rate *= Double(step) / Double(warmupSteps) }
    return rate
  }
}

extension TrainingConfiguration {
  /// Version 1's key: SGD's momentum, before the configuration named its optimiser.
  private enum VersionOneKeys: String, CodingKey {
    case momentum
  }

  /// Decodes the synthesized form, and the form of version-1 checkpoints:
  /// there `normalization` is a string holding the object's JSON text, and
  /// a `momentum` number stands for `optimizer` (SGD was the only one).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let optimizer: Optimizer
    if let momentum = try decoder.container(keyedBy: VersionOneKeys.self).decodeIfPresent(Double.self, forKey: .momentum) {
      optimizer = .sgd(momentum: momentum)
    } else {
      optimizer = try c.decode(Optimizer.self, forKey: .optimizer)
    }
    var normalization: Normalization?
    if let text = try? c.decodeIfPresent(String.self, forKey: .normalization) {
      normalization = try JSONDecoder().decode(Normalization.self, from: Data(text.utf8))
    } else {
      normalization = try c.decodeIfPresent(Normalization.self, forKey: .normalization)
    }
    self.init(
      architecture: try c.decode(Architecture.self, forKey: .architecture), tile: try c.decode(TileSize.self, forKey: .tile),
      batch: try c.decode(Int.self, forKey: .batch), steps: try c.decode(Int.self, forKey: .steps),
      learningRate: try c.decode(Double.self, forKey: .learningRate), optimizer: optimizer,
      schedule: try c.decode(LearningRateSchedule.self, forKey: .schedule),
      warmupSteps: try c.decode(Int.self, forKey: .warmupSteps), seed: try c.decode(UInt64.self, forKey: .seed),
      shuffleBuffer: try c.decode(Int.self, forKey: .shuffleBuffer), shards: try c.decode(String.self, forKey: .shards),
      normalization: normalization, spacing: try c.decodeIfPresent(VoxelSpacing.self, forKey: .spacing))
  }
}

/// How the learning rate changes over a run (before the linear warm-up).
public enum LearningRateSchedule: String, Sendable, Hashable, Codable, CaseIterable {
  /// The same rate throughout (the paper).
  case constant
  /// Half a cosine from the rate down to 0 at the last step.
  case cosine
  /// ×0.1 after 60 % of the steps and again after 85 %.
  case step
  /// nnU-Net's polynomial decay (Isensee et al. 2021): ×(1 − t/T)^0.9 at
  /// step t + 1 of T.
  case poly
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

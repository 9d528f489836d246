import Foundation

/// A named set of training choices that `unet train --recipe NAME` starts
/// from; options given beside it override its values.
///
/// `paper` is Ronneberger et al. (2015): SGD with momentum 0.99, one 572
/// tile per step, 64 base channels, depth 4, dropout 0.5 at the end of the
/// contracting path, no normalisation layers. The paper names no learning
/// rate or warm-up; the recipe uses 0.001 with a 100-step linear warm-up,
/// which train stably on the ISBI data. `default` is what `unet train` does
/// without a recipe: one definition below, chosen by the recipe study.
public struct Recipe: Sendable, Hashable {
  public var name: String
  public var optimizer: Optimizer
  public var learningRate: Double
  public var schedule: LearningRateSchedule
  /// Steps of linear warm-up (a run of fewer than ten times as many steps
  /// warms up for a tenth of its steps).
  public var warmupSteps: Int
  public var steps: Int
  public var batch: Int
  public var tile: Int
  public var baseChannels: Int
  public var depth: Int
  public var dropout: Double
  /// The normalisation layer after each 3×3 convolution (the paper's: none).
  public var normLayer: NormLayer

  public init(
    name: String, optimizer: Optimizer, learningRate: Double, schedule: LearningRateSchedule, warmupSteps: Int,
    steps: Int, batch: Int, tile: Int, baseChannels: Int, depth: Int, dropout: Double, normLayer: NormLayer
  ) {
    self.name = name
    self.optimizer = optimizer
    self.learningRate = learningRate
    self.schedule = schedule
    self.warmupSteps = warmupSteps
    self.steps = steps
    self.batch = batch
    self.tile = tile
    self.baseChannels = baseChannels
    self.depth = depth
    self.dropout = dropout
    self.normLayer = normLayer
  }

  /// The paper's recipe (its silences filled with this project's values).
  public static let paper = Recipe(
    name: "paper", optimizer: .paper, learningRate: TrainingConfiguration.defaultLearningRate, schedule: .constant,
    warmupSteps: 100, steps: 1000, batch: 1, tile: 572, baseChannels: Architecture.paper.baseChannels,
    depth: Architecture.paper.depth, dropout: Architecture.paper.dropout, normLayer: Architecture.paper.normLayer)

  /// What `unet train` uses without `--recipe`: the paper's network at 16
  /// base channels, trained with Adam at learning rate 3·10⁻⁴ (constant
  /// after the 100-step warm-up) for 4000 steps, about 30 minutes on two
  /// cores. It is the candidate of the recipe study (docs/recipe-study.md)
  /// with the lowest validation Rand error at the study's screening budget:
  /// on ISBI sections 15–19, after training on 0–14, 0.20 after 5 minutes
  /// against 0.31 for the paper's optimiser at the same width and 0.75 for
  /// the paper's recipe, whose 64-channel steps take about 12 times as long.
  public static let `default` = Recipe(
    name: "default", optimizer: .adam(), learningRate: 3e-4, schedule: .constant, warmupSteps: 100, steps: 4000,
    batch: 1, tile: 572, baseChannels: 16, depth: Architecture.paper.depth, dropout: Architecture.paper.dropout,
    normLayer: .none)

  /// Every recipe `--recipe` accepts.
  public static let all: [Recipe] = [.paper, .default]

  /// The recipe called `name`, or nil.
  public static func named(_ name: String) -> Recipe? { all.first { $0.name == name } }

  /// For help and logs: `16 base channels, depth 4, dropout 0.5, 572 tiles,
  /// batch 1; Adam, betas (0.9, 0.999), eps 1e-08; learning rate 0.0003
  /// (constant after a 100-step warm-up); 4000 steps`.
  public var summary: String {
    "\(baseChannels) base channels, depth \(depth), dropout \(dropout), \(tile) tiles, batch \(batch); "
      + "\(optimizer.summary); learning rate \(learningRate) (\(schedule.rawValue) after a \(warmupSteps)-step warm-up); "
      + "\(steps) steps"
  }

  /// The warm-up of a run of `steps` steps: the recipe's, or a tenth of the
  /// steps when that is shorter.
  public func warmup(forSteps steps: Int) -> Int { min(warmupSteps, steps / 10) }
}

/// The running statistics of a network's batch normalisations (PyTorch's
/// buffers `running_mean`, `running_var` and `num_batches_tracked` of
/// `BatchNorm2d`): not learned, but updated by every training step and
/// used by prediction.
public struct RunningStatistics: Sendable, Hashable {
  /// In `Architecture.statisticSpecs` order and shapes: each normalisation
  /// layer's running mean, then its running variance. Empty for a network
  /// without normalisation layers.
  public var values: [[Float]]
  /// The training steps that updated them (`num_batches_tracked`, the same
  /// for every layer of a network trained as one).
  public var batches: Int

  public init(values: [[Float]], batches: Int) {
    self.values = values
    self.batches = batches
  }

  /// The statistics of a network without normalisation layers.
  public static let empty = RunningStatistics(values: [], batches: 0)

  /// A new network's: means 0, variances 1, no batches (PyTorch's).
  public static func initial(_ specs: [StatisticSpec]) -> RunningStatistics {
    RunningStatistics(
      values: specs.map { [Float](repeating: $0.role == .mean ? 0 : 1, count: $0.count) }, batches: 0)
  }

  /// One step's update of a layer's running mean and variance (`channels`
  /// values each) from the batch's mean and biased variance over `count`
  /// values per channel, as PyTorch computes it: r ← m·s + (1 − m)·r, the
  /// variance made unbiased first, σ²·n/(n − 1).
  /// - Precondition: `count` is at least 2.
  static func update(
    mean running: UnsafeMutablePointer<Float>, variance runningVariance: UnsafeMutablePointer<Float>,
    batchMean: UnsafePointer<Float>, batchVariance: UnsafePointer<Float>, channels: Int, count: Int
  ) {
    precondition(count >= 2, "batch normalisation needs at least 2 values per channel")
    let m = NormLayer.momentum
    let unbias = Float(count) / Float(count - 1)
    for c in 0..<channels {
      running[c] = m * batchMean[c] + (1 - m) * running[c]
      runningVariance[c] = m * (batchVariance[c] * unbias) + (1 - m) * runningVariance[c]
    }
  }
}

/// One tensor of a normalisation layer's running statistics, named as in
/// PyTorch (`down.0.1.running_mean`, `down.0.1.running_var`).
public struct StatisticSpec: Sendable, Hashable {
  public enum Role: String, Sendable, Hashable {
    /// The running mean, [C].
    case mean
    /// The running (unbiased) variance, [C].
    case variance
  }
  public var name: String
  public var shape: [Int]
  public var role: Role
  public var count: Int { shape.reduce(1, *) }
}

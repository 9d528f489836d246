import _Support

/// Running statistics in checkpoints and weights files, as PyTorch's
/// `BatchNorm2d` keeps them in a state dict: `NAME.running_mean` and
/// `NAME.running_var` (F32, [C]) and `NAME.num_batches_tracked` (I64, a
/// scalar) for each normalisation layer NAME (`down.0.1`, …).
extension SafeTensors {
  /// The tensors of `statistics` for `architecture`'s normalisation layers
  /// (none without them).
  static func tensors(of statistics: RunningStatistics, _ architecture: Architecture) -> [Tensor] {
    let specs = architecture.statisticSpecs
    precondition(statistics.values.count == specs.count, "\(statistics.values.count) statistics for \(specs.count)")
    return zip(specs, statistics.values).map { Tensor(name: $0.name, shape: $0.shape, values: $1) }
      + architecture.normLayerNames.map {
        Tensor(name: $0 + ".num_batches_tracked", shape: [], integers: [Int64(statistics.batches)])
      }
  }

  /// The running statistics of `architecture`'s normalisation layers
  /// (`.empty` without them), checked for shapes, finite values and
  /// non-negative variances. A missing `num_batches_tracked` counts 0, as
  /// PyTorch reads old state dicts; the count is the first layer's.
  /// - Throws: `FileError` `.corrupt` naming `path` and the tensor.
  func statistics(_ architecture: Architecture, path: String) throws -> RunningStatistics {
    func corrupt(_ reason: String) -> FileError { FileError(.corrupt, path: path, reason) }
    var values: [[Float]] = []
    for spec in architecture.statisticSpecs {
      guard let tensor = self[spec.name] else { throw corrupt("running statistic \(spec.name) is missing") }
      guard tensor.shape == spec.shape else {
        throw corrupt("tensor \(spec.name) has shape \(tensor.shape), expected \(spec.shape)")
      }
      guard tensor.dtype == .f32 else { throw corrupt("tensor \(spec.name) has dtype \(tensor.dtype.rawValue), expected F32") }
      guard tensor.values.allSatisfy({ $0.isFinite && (spec.role == .mean || $0 >= 0) }) else {
        throw corrupt("tensor \(spec.name) holds \(spec.role == .mean ? "NaN or infinite values" : "a negative, NaN or infinite variance")")
      }
      values.append(tensor.values)
    }
    var batches: Int?
    for name in architecture.normLayerNames.map({ $0 + ".num_batches_tracked" }) {
      guard let tensor = self[name] else { continue }
      guard tensor.shape.reduce(1, *) == 1, tensor.shape.count <= 1 else {
        throw corrupt("tensor \(name) has shape \(tensor.shape), expected a scalar")
      }
      let count = tensor.dtype == .i64 ? tensor.integers[0] : Int64(exactly: tensor.values[0]) ?? -1
      guard count >= 0 else { throw corrupt("tensor \(name) is not a count of batches") }
      batches = batches ?? Int(count)
    }
    return RunningStatistics(values: values, batches: batches ?? 0)
  }
}

import Raster

/// The scores of one prediction against its truth: at each threshold of a
/// probability map, or once for a mask or instance prediction.
///
/// A probability map `p` thresholded at `t` predicts the foreground
/// `p > t` (compared in `Double`) and, as instances, that foreground's
/// 4-connected components. The usual thresholds are
/// ``thresholds(count:)``: tᵢ = (i + 0.5)/N.
public struct ThresholdSweep: Sendable, Equatable {
  /// The thresholds, ascending; empty for a prediction that has none.
  public let thresholds: [Double]
  /// `scores[i]` belongs to `thresholds[i]`; a single entry when
  /// `thresholds` is empty.
  public let scores: [SegmentationScores]

  /// Scores given directly: one per threshold, or one without thresholds.
  public init(thresholds: [Double], scores: [SegmentationScores]) {
    precondition(
      thresholds.isEmpty ? scores.count == 1 : scores.count == thresholds.count,
      "ThresholdSweep: \(scores.count) scores for \(thresholds.count) thresholds")
    self.thresholds = thresholds
    self.scores = scores
  }

  /// The `count` thresholds (i + 0.5)/count, i = 0 … count − 1: the
  /// centres of `count` equal bins of [0, 1].
  public static func thresholds(count: Int) -> [Double] {
    precondition(count >= 1, "ThresholdSweep: need at least one threshold, got \(count)")
    return (0..<count).map { (Double($0) + 0.5) / Double(count) }
  }

  /// Scores a foreground probability map at each threshold.
  ///
  /// - Parameters:
  ///   - probabilities: one channel of foreground probabilities.
  ///   - truthInstances: true instances (0 = background), the same size.
  ///   - thresholds: ascending thresholds, at least one.
  /// - Complexity: O(thresholds × n log n) for n pixels.
  public init(probabilities: Image<Float>, truthInstances: LabelImage, thresholds: [Double]) {
    precondition(probabilities.channels == 1, "ThresholdSweep: probabilities have \(probabilities.channels) channels")
    precondition(
      probabilities.width == truthInstances.width && probabilities.height == truthInstances.height,
      "ThresholdSweep: probabilities \(probabilities.width)x\(probabilities.height), truth \(truthInstances.width)x\(truthInstances.height)")
    precondition(!thresholds.isEmpty, "ThresholdSweep: no thresholds")
    let scores = thresholds.map { t in
      let mask = Image<UInt8>(
        width: probabilities.width, height: probabilities.height,
        samples: probabilities.samples.map { Double($0) > t ? 1 : 0 })
      let instances = ConnectedComponents.label(mask, connectivity: .four)
      return SegmentationMetrics.scores(predictedInstances: instances.samples, truthInstances: truthInstances.samples)
    }
    self.init(thresholds: thresholds, scores: scores)
  }

  /// Scores predicted instances (0 = background) once, without threshold.
  public init(predictedInstances: LabelImage, truthInstances: LabelImage) {
    precondition(
      predictedInstances.width == truthInstances.width && predictedInstances.height == truthInstances.height,
      "ThresholdSweep: prediction \(predictedInstances.width)x\(predictedInstances.height), truth \(truthInstances.width)x\(truthInstances.height)")
    self.init(
      thresholds: [],
      scores: [SegmentationMetrics.scores(predictedInstances: predictedInstances.samples, truthInstances: truthInstances.samples)])
  }

  /// The best value of each metric and the threshold that gave it.
  public var best: BestScores { BestScores(thresholds: thresholds, scores: scores) }

  /// The best of each metric over a set of images: at each threshold the
  /// mean over the images, then the best of those means.
  ///
  /// A sweep without thresholds (a mask prediction) adds its one score to
  /// the mean at every threshold. When no sweep has thresholds the result
  /// is the plain mean, without threshold.
  ///
  /// - Precondition: `sweeps` is not empty, and the sweeps that have
  ///   thresholds all have the same ones.
  public static func overall(_ sweeps: [ThresholdSweep]) -> BestScores {
    precondition(!sweeps.isEmpty, "ThresholdSweep.overall: no images")
    let thresholds = sweeps.first { !$0.thresholds.isEmpty }?.thresholds ?? []
    precondition(
      sweeps.allSatisfy { $0.thresholds.isEmpty || $0.thresholds == thresholds },
      "ThresholdSweep.overall: images scored at different thresholds")
    let n = Double(sweeps.count)
    let means = (0..<max(1, thresholds.count)).map { k in
      var sum = SegmentationScores(pixelError: 0, randError: 0, iou: 0)
      for sweep in sweeps {
        let s = sweep.thresholds.isEmpty ? sweep.scores[0] : sweep.scores[k]
        sum.pixelError += s.pixelError
        sum.randError += s.randError
        sum.iou += s.iou
      }
      return SegmentationScores(pixelError: sum.pixelError / n, randError: sum.randError / n, iou: sum.iou / n)
    }
    return BestScores(thresholds: thresholds, scores: means)
  }
}

import Raster

/// The counts of one prediction against its truth: at each threshold of a
/// probability map, or once for a mask or instance prediction.
///
/// A probability map `p` thresholded at `t` predicts the foreground
/// `p > t` (compared in `Double`) and, as instances, that foreground's
/// 4-connected components, as the ISBI 2012 challenge's code binarises a
/// proposal (`RandError.getForegroundRestrictedRandIndexStatsN2(label,
/// proposal, binaryThreshold)`). The usual thresholds are
/// ``thresholds(count:)``: tᵢ = (i + 0.5)/N.
public struct ThresholdSweep: Sendable, Equatable {
  /// The thresholds, ascending; empty for a prediction that has none.
  public let thresholds: [Double]
  /// `counts[i]` belongs to `thresholds[i]`; a single entry when
  /// `thresholds` is empty.
  public let counts: [SegmentationCounts]
  /// The object-level average precision of the instances at each
  /// threshold (a single entry when `thresholds` is empty), where it was
  /// computed (volumes); nil otherwise.
  public let averagePrecision: [AveragePrecision]?

  /// Counts given directly: one per threshold, or one without thresholds;
  /// likewise the average precision, if any.
  public init(thresholds: [Double], counts: [SegmentationCounts], averagePrecision: [AveragePrecision]? = nil) {
    precondition(
      thresholds.isEmpty ? counts.count == 1 : counts.count == thresholds.count,
      "ThresholdSweep: \(counts.count) counts for \(thresholds.count) thresholds")
    precondition(
      averagePrecision.map { $0.count == counts.count } ?? true,
      "ThresholdSweep: \(averagePrecision?.count ?? 0) average precisions for \(counts.count) counts")
    self.thresholds = thresholds
    self.counts = counts
    self.averagePrecision = averagePrecision
  }

  /// The scores at each threshold (one without thresholds).
  public var scores: [SegmentationScores] { counts.map(\.scores) }

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
    let counts = thresholds.map { t in
      let mask = Image<UInt8>(
        width: probabilities.width, height: probabilities.height,
        samples: probabilities.samples.map { Double($0) > t ? 1 : 0 })
      let instances = ConnectedComponents.label(mask, connectivity: .four)
      return SegmentationMetrics.counts(predictedInstances: instances.samples, truthInstances: truthInstances.samples)
    }
    self.init(thresholds: thresholds, counts: counts)
  }

  /// Scores predicted instances (0 = background) once, without threshold.
  public init(predictedInstances: LabelImage, truthInstances: LabelImage) {
    precondition(
      predictedInstances.width == truthInstances.width && predictedInstances.height == truthInstances.height,
      "ThresholdSweep: prediction \(predictedInstances.width)x\(predictedInstances.height), truth \(truthInstances.width)x\(truthInstances.height)")
    self.init(
      thresholds: [],
      counts: [SegmentationMetrics.counts(predictedInstances: predictedInstances.samples, truthInstances: truthInstances.samples)])
  }

  /// The best value of each metric and the threshold that gave it.
  public var best: BestScores { BestScores(thresholds: thresholds, scores: scores) }

  /// The best of each metric over a set of images, as the challenge scores
  /// a stack of sections: at each threshold the counts of all images are
  /// summed (true and false positives and negatives of the pixels, and the
  /// pair counts of the Rand index), each score is computed from the sums,
  /// and the best over the thresholds is taken
  /// (`PixelError.getPrecisionRecallStats(double)` and
  /// `RandError.getForegroundRestrictedRandIndexStats(double)` sum the
  /// sections' counts; `getPixelErrorMaximalFScore` and
  /// `getForegroundRestrictedRandIndexMaximalFScore` take the best
  /// F-score). Large images thus weigh more than small ones, and an
  /// image's Rand counts grow with the square of its foreground.
  ///
  /// A sweep without thresholds (a mask prediction) adds its one count to
  /// the sums at every threshold. When no sweep has thresholds the result
  /// is the score of the summed counts, without threshold.
  ///
  /// - Precondition: `sweeps` is not empty, and the sweeps that have
  ///   thresholds all have the same ones.
  public static func overall(_ sweeps: [ThresholdSweep]) -> BestScores {
    precondition(!sweeps.isEmpty, "ThresholdSweep.overall: no images")
    let thresholds = sweeps.first { !$0.thresholds.isEmpty }?.thresholds ?? []
    precondition(
      sweeps.allSatisfy { $0.thresholds.isEmpty || $0.thresholds == thresholds },
      "ThresholdSweep.overall: images scored at different thresholds")
    let sums = (0..<max(1, thresholds.count)).map { k in
      sweeps.reduce(SegmentationCounts.zero) { $0 + ($1.thresholds.isEmpty ? $1.counts[0] : $1.counts[k]) }
    }
    return BestScores(thresholds: thresholds, scores: sums.map(\.scores))
  }
}

import Raster

extension ThresholdSweep {
  /// Scores a foreground probability volume at each threshold: the
  /// foreground `p > t`, its instances the 6-connected components
  /// (``InstanceExtraction/Method/components``), every count over the
  /// whole volume (the Rand error's pairs included), and the instances'
  /// ``AveragePrecision`` at the IoU thresholds `iouThresholds`.
  ///
  /// - Parameters:
  ///   - probabilities: foreground probabilities.
  ///   - truthInstances: true instances (0 = background), the same size.
  ///   - thresholds: ascending thresholds, at least one.
  ///   - iouThresholds: the IoU thresholds of the average precision.
  /// - Complexity: O(thresholds × n log n) for n voxels.
  public init(
    probabilities: Volume<Float>, truthInstances: LabelVolume, thresholds: [Double],
    iouThresholds: [Double] = AveragePrecision.standardThresholds
  ) {
    precondition(
      Self.sameShape(probabilities, truthInstances),
      "ThresholdSweep: probabilities \(Self.shape(probabilities)), truth \(Self.shape(truthInstances))")
    precondition(!thresholds.isEmpty, "ThresholdSweep: no thresholds")
    let components = InstanceExtraction(.components)
    var counts: [SegmentationCounts] = [], averagePrecision: [AveragePrecision] = []
    for t in thresholds {
      let instances = components.instances(of: probabilities, threshold: t).samples
      counts.append(SegmentationMetrics.counts(predictedInstances: instances, truthInstances: truthInstances.samples))
      averagePrecision.append(AveragePrecision(predicted: instances, truth: truthInstances.samples, thresholds: iouThresholds))
    }
    self.init(thresholds: thresholds, counts: counts, averagePrecision: averagePrecision)
  }

  /// Scores predicted instances of a volume (0 = background) once, without
  /// threshold, with their ``AveragePrecision`` at `iouThresholds`.
  public init(
    predictedInstances: LabelVolume, truthInstances: LabelVolume,
    iouThresholds: [Double] = AveragePrecision.standardThresholds
  ) {
    precondition(
      Self.sameShape(predictedInstances, truthInstances),
      "ThresholdSweep: prediction \(Self.shape(predictedInstances)), truth \(Self.shape(truthInstances))")
    self.init(
      thresholds: [],
      counts: [SegmentationMetrics.counts(predictedInstances: predictedInstances.samples, truthInstances: truthInstances.samples)],
      averagePrecision: [
        AveragePrecision(predicted: predictedInstances.samples, truth: truthInstances.samples, thresholds: iouThresholds)
      ])
  }

  /// The average precision of the threshold with the highest mean AP (the
  /// lowest such threshold on ties, as ``BestScores``), and that threshold
  /// (nil without thresholds); nil where no average precision was computed.
  public var bestAveragePrecision: (averagePrecision: AveragePrecision, threshold: Double?)? {
    averagePrecision.map { Self.best($0, thresholds: thresholds) }
  }

  /// The best average precision over a set of volumes, as
  /// ``overall(_:)`` scores the other metrics: at each threshold the TP, FP
  /// and FN of all volumes are summed (a sweep without thresholds adds its
  /// one count at every threshold), and the threshold of the highest mean
  /// AP is taken; nil when a sweep has no average precision.
  ///
  /// - Precondition: `sweeps` is not empty, and the sweeps that have
  ///   thresholds all have the same ones.
  public static func overallAveragePrecision(_ sweeps: [ThresholdSweep]) -> (averagePrecision: AveragePrecision, threshold: Double?)? {
    precondition(!sweeps.isEmpty, "ThresholdSweep.overallAveragePrecision: no volumes")
    let all = sweeps.compactMap(\.averagePrecision)
    guard all.count == sweeps.count else { return nil }
    let thresholds = sweeps.first { !$0.thresholds.isEmpty }?.thresholds ?? []
    precondition(
      sweeps.allSatisfy { $0.thresholds.isEmpty || $0.thresholds == thresholds },
      "ThresholdSweep.overallAveragePrecision: volumes scored at different thresholds")
    let sums = (0..<max(1, thresholds.count)).map { k in
      let each = all.map { $0.count == 1 ? $0[0] : $0[k] }
      return each.dropFirst().reduce(each[0], +)
    }
    return best(sums, thresholds: thresholds)
  }

  private static func best(_ values: [AveragePrecision], thresholds: [Double]) -> (AveragePrecision, Double?) {
    var k = 0
    for i in values.indices.dropFirst() where values[i].mean > values[k].mean { k = i }
    return (values[k], thresholds.isEmpty ? nil : thresholds[k])
  }

  private static func sameShape<A, B>(_ a: Volume<A>, _ b: Volume<B>) -> Bool {
    a.width == b.width && a.height == b.height && a.depth == b.depth
  }

  private static func shape<S>(_ v: Volume<S>) -> String { "\(v.width)x\(v.height)x\(v.depth)" }
}

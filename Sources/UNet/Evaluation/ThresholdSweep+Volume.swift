import Raster

extension ThresholdSweep {
  /// Scores a foreground probability volume at each threshold: the
  /// foreground `p > t`, its instances the 6-connected components
  /// (``InstanceExtraction/Method/components``), every count over the
  /// whole volume (the Rand error's pairs included).
  ///
  /// - Parameters:
  ///   - probabilities: foreground probabilities.
  ///   - truthInstances: true instances (0 = background), the same size.
  ///   - thresholds: ascending thresholds, at least one.
  /// - Complexity: O(thresholds × n log n) for n voxels.
  public init(probabilities: Volume<Float>, truthInstances: LabelVolume, thresholds: [Double]) {
    precondition(
      Self.sameShape(probabilities, truthInstances),
      "ThresholdSweep: probabilities \(Self.shape(probabilities)), truth \(Self.shape(truthInstances))")
    precondition(!thresholds.isEmpty, "ThresholdSweep: no thresholds")
    let components = InstanceExtraction(.components)
    let counts = thresholds.map { t in
      SegmentationMetrics.counts(
        predictedInstances: components.instances(of: probabilities, threshold: t).samples,
        truthInstances: truthInstances.samples)
    }
    self.init(thresholds: thresholds, counts: counts)
  }

  /// Scores predicted instances of a volume (0 = background) once, without
  /// threshold.
  public init(predictedInstances: LabelVolume, truthInstances: LabelVolume) {
    precondition(
      Self.sameShape(predictedInstances, truthInstances),
      "ThresholdSweep: prediction \(Self.shape(predictedInstances)), truth \(Self.shape(truthInstances))")
    self.init(
      thresholds: [],
      counts: [SegmentationMetrics.counts(predictedInstances: predictedInstances.samples, truthInstances: truthInstances.samples)])
  }

  private static func sameShape<A, B>(_ a: Volume<A>, _ b: Volume<B>) -> Bool {
    a.width == b.width && a.height == b.height && a.depth == b.depth
  }

  private static func shape<S>(_ v: Volume<S>) -> String { "\(v.width)x\(v.height)x\(v.depth)" }
}

/// The best value of each segmentation metric and the threshold that gave
/// it (nil for a prediction without thresholds).
///
/// Best is the lowest pixel error, pixel mismatch and Rand error and the
/// highest IoU; among equal values the lowest threshold wins (as in the
/// challenge's code, which keeps the first threshold of a strictly better
/// F-score).
public struct BestScores: Sendable, Equatable, Codable {
  /// One metric's best value and its threshold.
  public struct Best: Sendable, Equatable, Codable {
    public var value: Double
    public var threshold: Double?

    public init(value: Double, threshold: Double?) {
      self.value = value
      self.threshold = threshold
    }
  }

  public var pixelError: Best
  public var pixelMismatch: Best
  public var randError: Best
  public var iou: Best

  public init(pixelError: Best, pixelMismatch: Best, randError: Best, iou: Best) {
    self.pixelError = pixelError
    self.pixelMismatch = pixelMismatch
    self.randError = randError
    self.iou = iou
  }

  /// The best of `scores`, where `scores[i]` belongs to `thresholds[i]`;
  /// with no thresholds, the single score itself.
  public init(thresholds: [Double], scores: [SegmentationScores]) {
    precondition(
      thresholds.isEmpty ? scores.count == 1 : scores.count == thresholds.count,
      "BestScores: \(scores.count) scores for \(thresholds.count) thresholds")
    func best(_ value: (SegmentationScores) -> Double, better: (Double, Double) -> Bool) -> Best {
      var k = 0
      for i in scores.indices.dropFirst() where better(value(scores[i]), value(scores[k])) { k = i }
      return Best(value: value(scores[k]), threshold: thresholds.isEmpty ? nil : thresholds[k])
    }
    self.init(
      pixelError: best(\.pixelError, better: <),
      pixelMismatch: best(\.pixelMismatch, better: <),
      randError: best(\.randError, better: <),
      iou: best(\.iou, better: >))
  }
}

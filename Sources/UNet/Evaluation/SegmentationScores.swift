/// Per-image scores; lower is better for errors.
///
/// As JSON the keys are `pixel_error`, `rand_error` and `iou`.
public struct SegmentationScores: Sendable, Equatable, Codable {
  /// The fraction of pixels whose predicted and true foreground differ
  /// (see ``SegmentationMetrics/pixelError(predicted:truth:)``); 0 is best.
  public var pixelError: Double
  /// The adapted Rand error of the instances
  /// (see ``SegmentationMetrics/adaptedRandError(predicted:truth:)``); 0 is best.
  public var randError: Double
  /// Foreground intersection over union
  /// (see ``SegmentationMetrics/iou(predicted:truth:)``); 1 is best.
  public var iou: Double

  public init(pixelError: Double, randError: Double, iou: Double) {
    self.pixelError = pixelError
    self.randError = randError
    self.iou = iou
  }

  enum CodingKeys: String, CodingKey {
    case pixelError = "pixel_error"
    case randError = "rand_error"
    case iou
  }
}

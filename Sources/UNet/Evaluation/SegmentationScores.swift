/// The scores of one image (or of a set of images); lower is better for
/// errors.
///
/// As JSON the keys are `pixel_error`, `pixel_mismatch`, `rand_error` and
/// `iou`.
public struct SegmentationScores: Sendable, Equatable, Codable {
  /// The ISBI 2012 pixel error: 1 − the F-score of foreground pixel
  /// classification (see ``SegmentationCounts/pixelError``); 0 is best.
  public var pixelError: Double
  /// The fraction of pixels whose predicted and true foreground differ
  /// (see ``SegmentationCounts/pixelMismatch``); 0 is best.
  public var pixelMismatch: Double
  /// The ISBI 2012 Rand error: 1 − the F-score of the foreground-restricted
  /// Rand index (see ``SegmentationCounts/randError``); 0 is best.
  public var randError: Double
  /// Foreground intersection over union (see ``SegmentationCounts/iou``);
  /// 1 is best.
  public var iou: Double

  public init(pixelError: Double, pixelMismatch: Double, randError: Double, iou: Double) {
    self.pixelError = pixelError
    self.pixelMismatch = pixelMismatch
    self.randError = randError
    self.iou = iou
  }

  enum CodingKeys: String, CodingKey {
    case pixelError = "pixel_error"
    case pixelMismatch = "pixel_mismatch"
    case randError = "rand_error"
    case iou
  }
}

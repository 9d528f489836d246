/// The additive counts behind the scores of one prediction against its
/// truth, as the ISBI 2012 challenge's evaluation code counts them
/// (Fiji's Trainable_Segmentation, package `trainableSegmentation.metrics`:
/// `PixelError.precisionRecallStats` and
/// `RandError.getForegroundRestrictedRandIndexStatsN2`, both turned into a
/// precision, recall and F-score by `ClassificationStatistics`).
///
/// Counts of several images add up (``+``): the challenge scores a stack
/// of sections by summing each section's true positives, false positives
/// and false negatives at a threshold and taking the F-score of the sums
/// (`PixelError.getPrecisionRecallStats(double)`,
/// `RandError.getForegroundRestrictedRandIndexStats(double)`), then the
/// best F-score over the thresholds
/// (`getPixelErrorMaximalFScore`, `getForegroundRestrictedRandIndexMaximalFScore`).
///
/// The counts are `Double`s: exact integers up to 2⁵³, so that sums over
/// many large images cannot overflow.
public struct SegmentationCounts: Sendable, Equatable, Hashable {
  /// Pixels scored.
  public var pixels: Double
  /// Pixels that are foreground in both the prediction and the truth.
  public var truePositives: Double
  /// Pixels predicted foreground where the truth is background.
  public var falsePositives: Double
  /// Pixels predicted background where the truth is foreground.
  public var falseNegatives: Double
  /// Over the truth's foreground: ordered pixel pairs (a pixel with itself
  /// included) in one predicted and one true segment, the sum of the
  /// squared overlap sizes, where a predicted-background pixel is a
  /// segment of its own.
  public var randBoth: Double
  /// Over the truth's foreground: ordered pairs in one predicted segment,
  /// the sum of the squared predicted segment sizes there.
  public var randPredicted: Double
  /// Over the truth's foreground: ordered pairs in one true segment, the
  /// sum of the squared true segment sizes.
  public var randTrue: Double

  public init(
    pixels: Double = 0, truePositives: Double = 0, falsePositives: Double = 0, falseNegatives: Double = 0,
    randBoth: Double = 0, randPredicted: Double = 0, randTrue: Double = 0
  ) {
    self.pixels = pixels
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
    self.randBoth = randBoth
    self.randPredicted = randPredicted
    self.randTrue = randTrue
  }

  /// Nothing counted.
  public static let zero = SegmentationCounts()

  /// The counts of two images together.
  public static func + (a: SegmentationCounts, b: SegmentationCounts) -> SegmentationCounts {
    SegmentationCounts(
      pixels: a.pixels + b.pixels, truePositives: a.truePositives + b.truePositives,
      falsePositives: a.falsePositives + b.falsePositives, falseNegatives: a.falseNegatives + b.falseNegatives,
      randBoth: a.randBoth + b.randBoth, randPredicted: a.randPredicted + b.randPredicted,
      randTrue: a.randTrue + b.randTrue)
  }

  public static func += (a: inout SegmentationCounts, b: SegmentationCounts) { a = a + b }

  /// The F-score of `ClassificationStatistics`: precision TP/(TP + FP), 1
  /// when there is no false positive; recall TP/(TP + FN), 1 when there is
  /// no false negative; F = 2·P·R/(P + R), 0 when P + R = 0.
  public static func fScore(truePositives tp: Double, falsePositives fp: Double, falseNegatives fn: Double) -> Double {
    let precision = fp == 0 ? 1 : tp / (tp + fp)
    let recall = fn == 0 ? 1 : tp / (tp + fn)
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
  }

  /// The challenge's pixel error: 1 − the F-score of foreground pixel
  /// classification. 0 when neither has foreground.
  public var pixelError: Double {
    1 - Self.fScore(truePositives: truePositives, falsePositives: falsePositives, falseNegatives: falseNegatives)
  }

  /// The fraction of pixels whose predicted and true foreground differ; 0
  /// for no pixels.
  public var pixelMismatch: Double { pixels == 0 ? 0 : (falsePositives + falseNegatives) / pixels }

  /// The challenge's Rand error: 1 − the F-score of the foreground-restricted
  /// Rand index, precision ``randBoth``/``randPredicted``, recall
  /// ``randBoth``/``randTrue`` (see
  /// ``SegmentationMetrics/adaptedRandError(predicted:truth:)``). 0 when the
  /// truth has no foreground.
  public var randError: Double {
    1 - Self.fScore(
      truePositives: randBoth, falsePositives: randPredicted - randBoth, falseNegatives: randTrue - randBoth)
  }

  /// Foreground intersection over union, TP/(TP + FP + FN); 1 when neither
  /// has foreground.
  public var iou: Double {
    let union = truePositives + falsePositives + falseNegatives
    return union == 0 ? 1 : truePositives / union
  }

  /// All four scores.
  public var scores: SegmentationScores {
    SegmentationScores(pixelError: pixelError, pixelMismatch: pixelMismatch, randError: randError, iou: iou)
  }
}

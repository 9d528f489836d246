import Raster

/// Segmentation metrics of the ISBI 2012 EM segmentation challenge: pixel
/// error and Rand error as the challenge defined them (1 − the best F-score
/// of foreground pixel classification, respectively of the
/// foreground-restricted Rand index), the fraction of misclassified pixels
/// and the foreground intersection over union.
///
/// All functions take flat, equally long arrays of the same pixels (any
/// order, as long as both arrays use the same one).
///
/// Arganda-Carreras et al., "Crowdsourcing the creation of image
/// segmentation algorithms for connectomics", Frontiers in Neuroanatomy 9,
/// 2015, doi:10.3389/fnana.2015.00142; the challenge's code is Fiji's
/// Trainable_Segmentation, `trainableSegmentation/metrics/PixelError.java`
/// and `RandError.java`.
public enum SegmentationMetrics {
  /// The challenge's pixel error of one image: 1 − the F-score of the
  /// foreground (see ``SegmentationCounts/fScore(truePositives:falsePositives:falseNegatives:)``).
  ///
  /// - Returns: a value in [0, 1]; 0 when neither has foreground.
  /// - Complexity: O(n).
  public static func pixelError(predicted: [Bool], truth: [Bool]) -> Double {
    pixelCounts(predicted: predicted, truth: truth).pixelError
  }

  /// Fraction of pixels where predicted and true foreground differ.
  ///
  /// - Returns: a value in [0, 1]; 0 for no pixels.
  /// - Complexity: O(n).
  public static func pixelMismatch(predicted: [Bool], truth: [Bool]) -> Double {
    pixelCounts(predicted: predicted, truth: truth).pixelMismatch
  }

  /// The pixel counts (true and false positives, false negatives) of one
  /// image; the Rand counts stay 0.
  ///
  /// - Complexity: O(n).
  public static func pixelCounts(predicted: [Bool], truth: [Bool]) -> SegmentationCounts {
    precondition(predicted.count == truth.count, "pixelCounts: \(predicted.count) predicted pixels, \(truth.count) true")
    var tp = 0, fp = 0, fn = 0
    for i in truth.indices {
      switch (predicted[i], truth[i]) {
      case (true, true): tp += 1
      case (true, false): fp += 1
      case (false, true): fn += 1
      case (false, false): break
      }
    }
    return SegmentationCounts(
      pixels: Double(truth.count), truePositives: Double(tp), falsePositives: Double(fp), falseNegatives: Double(fn))
  }

  /// ISBI 2012 / SNEMI3D adapted Rand error: 1 − F-score of the Rand index
  /// restricted to the truth's foreground pixels; predicted segments are the
  /// predicted instance ids (0 = background), and every predicted-background
  /// pixel inside the truth's foreground counts as its own singleton segment.
  ///
  /// Over the N pixels with `truth ≠ 0`, let n_ij be the number of them in
  /// predicted segment i and true segment j, a_i = Σ_j n_ij the predicted
  /// segment sizes and b_j = Σ_i n_ij the true ones, a predicted-background
  /// pixel being a segment of its own (n_ij = a_i = 1). Then
  ///
  ///     precision = Σ_ij n_ij² / Σ_i a_i²
  ///     recall    = Σ_ij n_ij² / Σ_j b_j²
  ///     error     = 1 − 2·precision·recall / (precision + recall)
  ///               = 1 − 2·Σ n_ij² / (Σ a_i² + Σ b_j²)
  ///
  /// Σ n_ij² counts the ordered pixel pairs (a pixel with itself included)
  /// that share both a predicted and a true segment, Σ a_i² and Σ b_j² the
  /// pairs that share a predicted, respectively true, segment. This is the
  /// challenge's "N² normalisation" (`RandError.getForegroundRestrictedRandIndexStatsN2`,
  /// whose `sum(p_i0)/n` terms are the singletons). Unlike scikit-image's
  /// `adapted_rand_error`, which subtracts N from each sum (pairs of
  /// distinct pixels only) and keeps predicted background as one segment,
  /// this counts self-pairs, so that merging two equal true cells gives
  /// exactly 1/3 at any size; both agree as N grows.
  ///
  /// Hand-computed values: merging two equal true cells into one segment
  /// gives 1 − 2·2n² / (4n² + 2n²) = 1/3; splitting one true cell into two
  /// equal halves gives 1 − 2·2n² / (2n² + 4n²) = 1/3; predicting all
  /// background gives 1 − 2N / (N + Σ b_j²) (0.6 for one true cell of 4
  /// pixels).
  ///
  /// - Returns: a value in [0, 1]; 0 when the truth has no foreground
  ///   (nothing to split or merge).
  /// - Complexity: O(N log N) time, O(N) memory.
  public static func adaptedRandError(predicted: [UInt32], truth: [UInt32]) -> Double {
    randCounts(predicted: predicted, truth: truth).randError
  }

  /// The pair counts of ``adaptedRandError(predicted:truth:)`` (the pixel
  /// counts stay 0).
  ///
  /// - Complexity: O(N log N) time, O(N) memory.
  public static func randCounts(predicted: [UInt32], truth: [UInt32]) -> SegmentationCounts {
    precondition(predicted.count == truth.count, "randCounts: \(predicted.count) predicted pixels, \(truth.count) true")
    // (predicted << 32 | true) for the truth's foreground pixels whose
    // prediction is not background; the others are singletons.
    var pairs: [UInt64] = []
    var trueIds: [UInt32] = []
    pairs.reserveCapacity(truth.count)
    trueIds.reserveCapacity(truth.count)
    var singletons = 0
    for i in truth.indices where truth[i] != 0 {
      trueIds.append(truth[i])
      if predicted[i] == 0 {
        singletons += 1
      } else {
        pairs.append(UInt64(predicted[i]) << 32 | UInt64(truth[i]))
      }
    }
    guard !trueIds.isEmpty else { return .zero }
    pairs.sort()
    trueIds.sort()
    return SegmentationCounts(
      randBoth: sumOfSquaredRunLengths(pairs) { $0 } + Double(singletons),
      randPredicted: sumOfSquaredRunLengths(pairs) { $0 >> 32 } + Double(singletons),
      randTrue: sumOfSquaredRunLengths(trueIds) { $0 })
  }

  /// Foreground intersection over union (1 when both are empty).
  ///
  /// - Complexity: O(n).
  public static func iou(predicted: [Bool], truth: [Bool]) -> Double {
    pixelCounts(predicted: predicted, truth: truth).iou
  }

  /// The counts of predicted instances (0 = background) against true
  /// instances; the foreground of each is its non-zero pixels.
  ///
  /// - Complexity: O(n log n).
  public static func counts(predictedInstances: [UInt32], truthInstances: [UInt32]) -> SegmentationCounts {
    pixelCounts(predicted: predictedInstances.map { $0 != 0 }, truth: truthInstances.map { $0 != 0 })
      + randCounts(predicted: predictedInstances, truth: truthInstances)
  }

  /// All four scores of predicted instances (0 = background) against true
  /// instances; the foreground of each is its non-zero pixels.
  ///
  /// - Complexity: O(n log n).
  public static func scores(predictedInstances: [UInt32], truthInstances: [UInt32]) -> SegmentationScores {
    counts(predictedInstances: predictedInstances, truthInstances: truthInstances).scores
  }

  /// The instances a label image stands for in scoring: its ids when it
  /// holds two or more distinct non-zero values, else the 4-connected
  /// components of its non-zero pixels (a mask, such as the ISBI 2012
  /// labels with 255 = cell and 0 = membrane). The challenge's code takes
  /// the 4-connected components of `label > threshold`, the same for masks.
  ///
  /// - Complexity: O(width × height).
  public static func instances(of labels: LabelImage) -> LabelImage {
    holdsInstances(labels.samples) ? labels : ConnectedComponents.label(labels, connectivity: .four)
  }

  /// Whether `samples` hold two or more distinct non-zero values (instance
  /// ids rather than a mask).
  static func holdsInstances(_ samples: [UInt32]) -> Bool {
    var first: UInt32 = 0
    for v in samples where v != 0 {
      if first == 0 {
        first = v
      } else if v != first {
        return true
      }
    }
    return false
  }

  /// Σ over the runs of equal `key(value)` in sorted `values` of the run
  /// length squared.
  private static func sumOfSquaredRunLengths<T, K: Equatable>(_ values: [T], key: (T) -> K) -> Double {
    var sum = 0.0
    var i = 0
    while i < values.count {
      let k = key(values[i])
      var j = i + 1
      while j < values.count && key(values[j]) == k { j += 1 }
      sum += Double(j - i) * Double(j - i)
      i = j
    }
    return sum
  }
}

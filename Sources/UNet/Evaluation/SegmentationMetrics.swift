/// Segmentation metrics of the ISBI 2012 EM segmentation challenge: pixel
/// error, adapted Rand error, and foreground intersection over union.
///
/// All functions take flat, equally long arrays of the same pixels (any
/// order, as long as both arrays use the same one).
///
/// Arganda-Carreras et al., "Crowdsourcing the creation of image
/// segmentation algorithms for connectomics", Frontiers in Neuroanatomy 9,
/// 2015, doi:10.3389/fnana.2015.00142.
public enum SegmentationMetrics {
  /// Fraction of pixels where predicted and true foreground differ.
  ///
  /// - Returns: a value in [0, 1]; 0 for no pixels.
  /// - Complexity: O(n).
  public static func pixelError(predicted: [Bool], truth: [Bool]) -> Double {
    precondition(predicted.count == truth.count, "pixelError: \(predicted.count) predicted pixels, \(truth.count) true")
    guard !truth.isEmpty else { return 0 }
    var differ = 0
    for i in truth.indices where predicted[i] != truth[i] { differ += 1 }
    return Double(differ) / Double(truth.count)
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
  /// pairs that share a predicted, respectively true, segment. Unlike
  /// scikit-image's `adapted_rand_error`, which subtracts N from each sum
  /// (pairs of distinct pixels only) and keeps predicted background as one
  /// segment, this counts self-pairs, so that merging two equal true cells
  /// gives exactly 1/3 at any size; both agree as N grows.
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
    precondition(predicted.count == truth.count, "adaptedRandError: \(predicted.count) predicted pixels, \(truth.count) true")
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
    guard !trueIds.isEmpty else { return 0 }
    pairs.sort()
    trueIds.sort()
    let sumJoint = sumOfSquaredRunLengths(pairs) { $0 } + singletons
    let sumPredicted = sumOfSquaredRunLengths(pairs) { $0 >> 32 } + singletons
    let sumTrue = sumOfSquaredRunLengths(trueIds) { $0 }
    return 1 - 2 * Double(sumJoint) / Double(sumPredicted + sumTrue)
  }

  /// Foreground intersection over union (1 when both are empty).
  ///
  /// - Complexity: O(n).
  public static func iou(predicted: [Bool], truth: [Bool]) -> Double {
    precondition(predicted.count == truth.count, "iou: \(predicted.count) predicted pixels, \(truth.count) true")
    var intersection = 0
    var union = 0
    for i in truth.indices {
      let p = predicted[i], t = truth[i]
      if p && t { intersection += 1 }
      if p || t { union += 1 }
    }
    return union == 0 ? 1 : Double(intersection) / Double(union)
  }

  /// All three scores of predicted instances (0 = background) against true
  /// instances; the foreground of each is its non-zero pixels.
  ///
  /// - Complexity: O(n log n).
  public static func scores(predictedInstances: [UInt32], truthInstances: [UInt32]) -> SegmentationScores {
    let predicted = predictedInstances.map { $0 != 0 }
    let truth = truthInstances.map { $0 != 0 }
    return SegmentationScores(
      pixelError: pixelError(predicted: predicted, truth: truth),
      randError: adaptedRandError(predicted: predictedInstances, truth: truthInstances),
      iou: iou(predicted: predicted, truth: truth))
  }

  /// Σ over the runs of equal `key(value)` in sorted `values` of the run
  /// length squared.
  private static func sumOfSquaredRunLengths<T, K: Equatable>(_ values: [T], key: (T) -> K) -> Int {
    var sum = 0
    var i = 0
    while i < values.count {
      let k = key(values[i])
      var j = i + 1
      while j < values.count && key(values[j]) == k { j += 1 }
      sum += (j - i) * (j - i)
      i = j
    }
    return sum
  }
}

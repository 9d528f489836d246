/// Object-level average precision of predicted instances against true
/// ones at several IoU thresholds, as StarDist's
/// `stardist.matching.matching(y_true, y_pred, thresh, criterion="iou")`
/// scores a label image (its `accuracy` field) and
/// `matching_dataset(…, by_image=False)` scores a set of them.
///
/// An object is all pixels (or voxels) of one non-zero id, connected or
/// not. For each threshold t, a true object and a predicted one may match
/// when their IoU ≥ t; the matching pairs each object at most once and has
/// as many pairs as possible (StarDist's optimal assignment, whose costs
/// put the number of pairs at or above t first). Then
///
///     TP = the matched pairs, FP = n_pred − TP, FN = n_true − TP
///     AP = TP / (TP + FP + FN), 0 when TP = 0
///
/// The IoU is rounded to `Float` and compared with the threshold rounded
/// to `Float`, as StarDist's float32 IoU matrix compares with a Python
/// float. A set of images sums its TP, FP and FN at each threshold before
/// dividing (``+(_:_:)``), so that large images weigh more.
///
/// Schmidt et al., "Cell detection with star-convex polygons", MICCAI
/// 2018, doi:10.1007/978-3-030-00934-2_30; the AP is the Data Science Bowl
/// 2018's score at one threshold.
public struct AveragePrecision: Sendable, Hashable {
  /// The IoU thresholds, ascending.
  public let thresholds: [Double]
  /// Matched pairs at each threshold.
  public let truePositives: [Int]
  /// Predicted objects left unmatched at each threshold.
  public let falsePositives: [Int]
  /// True objects left unmatched at each threshold.
  public let falseNegatives: [Int]

  /// The thresholds 0.5, 0.55, …, 0.9: AP50 first, their mean the usual
  /// summary of StarDist's papers.
  public static let standardThresholds: [Double] = stride(from: 50, through: 90, by: 5).map { Double($0) / 100 }

  /// Counts given directly, one of each per threshold.
  public init(thresholds: [Double], truePositives: [Int], falsePositives: [Int], falseNegatives: [Int]) {
    precondition(
      truePositives.count == thresholds.count && falsePositives.count == thresholds.count
        && falseNegatives.count == thresholds.count,
      "AveragePrecision: counts for \(thresholds.count) thresholds")
    self.thresholds = thresholds
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
  }

  /// Matches predicted instances against true ones (0 = background, equally
  /// long arrays of the same pixels in the same order) at each threshold.
  ///
  /// - Precondition: every threshold is in (0, 1].
  /// - Complexity: O(n) for n pixels, plus O(k·m) per threshold for k
  ///   objects and m object pairs at or above it (augmenting paths; m ≤ k
  ///   for thresholds above 0.5).
  public init(predicted: [UInt32], truth: [UInt32], thresholds: [Double] = standardThresholds) {
    precondition(predicted.count == truth.count, "AveragePrecision: \(predicted.count) predicted pixels, \(truth.count) true")
    precondition(thresholds.allSatisfy { $0 > 0 && $0 <= 1 }, "AveragePrecision: thresholds \(thresholds) not in (0, 1]")
    let overlaps = ObjectOverlaps(predicted: predicted, truth: truth)
    var tp: [Int] = [], fp: [Int] = [], fn: [Int] = []
    for t in thresholds {
      let matched = overlaps.maximumMatching(threshold: Float(t))
      tp.append(matched)
      fp.append(overlaps.predictedCount - matched)
      fn.append(overlaps.trueCount - matched)
    }
    self.init(thresholds: thresholds, truePositives: tp, falsePositives: fp, falseNegatives: fn)
  }

  /// TP / (TP + FP + FN) at each threshold (StarDist's `accuracy`); 0 where
  /// TP = 0.
  public var values: [Double] {
    thresholds.indices.map { i in
      let tp = truePositives[i]
      return tp > 0 ? Double(tp) / Double(tp + falsePositives[i] + falseNegatives[i]) : 0
    }
  }

  /// The mean of ``values`` over the thresholds; 0 without thresholds.
  public var mean: Double {
    let v = values
    return v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count)
  }

  /// The AP at IoU threshold 0.5, nil when 0.5 is not one of the thresholds.
  public var at50: Double? { thresholds.firstIndex(of: 0.5).map { values[$0] } }

  /// The counts of two sets of images together.
  ///
  /// - Precondition: both have the same thresholds.
  public static func + (a: AveragePrecision, b: AveragePrecision) -> AveragePrecision {
    precondition(a.thresholds == b.thresholds, "AveragePrecision: summing different thresholds")
    return AveragePrecision(
      thresholds: a.thresholds,
      truePositives: zip(a.truePositives, b.truePositives).map(+),
      falsePositives: zip(a.falsePositives, b.falsePositives).map(+),
      falseNegatives: zip(a.falseNegatives, b.falseNegatives).map(+))
  }
}

// MARK: - Codable

extension AveragePrecision: Codable {
  /// The JSON form: `thresholds`, `true_positives`, `false_positives`,
  /// `false_negatives`, and, for readers, the derived `ap` (one per
  /// threshold), `ap_50` and `mean` (not read back).
  enum CodingKeys: String, CodingKey {
    case thresholds, truePositives = "true_positives", falsePositives = "false_positives"
    case falseNegatives = "false_negatives", ap, ap50 = "ap_50", mean
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let thresholds = try c.decode([Double].self, forKey: .thresholds)
    let tp = try c.decode([Int].self, forKey: .truePositives)
    let fp = try c.decode([Int].self, forKey: .falsePositives)
    let fn = try c.decode([Int].self, forKey: .falseNegatives)
    guard tp.count == thresholds.count && fp.count == thresholds.count && fn.count == thresholds.count else {
      throw DecodingError.dataCorruptedError(
        forKey: .truePositives, in: c, debugDescription: "counts for \(thresholds.count) thresholds differ in number")
    }
    self.init(thresholds: thresholds, truePositives: tp, falsePositives: fp, falseNegatives: fn)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(thresholds, forKey: .thresholds)
    try c.encode(truePositives, forKey: .truePositives)
    try c.encode(falsePositives, forKey: .falsePositives)
    try c.encode(falseNegatives, forKey: .falseNegatives)
    try c.encode(values, forKey: .ap)
    try c.encodeIfPresent(at50, forKey: .ap50)
    try c.encode(mean, forKey: .mean)
  }
}

// MARK: - Overlaps and matching

/// The objects of a true and a predicted labelling, their sizes and the
/// IoU of each overlapping pair.
struct ObjectOverlaps {
  /// Number of true and of predicted objects (distinct non-zero ids).
  let trueCount: Int
  let predictedCount: Int
  /// For each true object (dense index), the predicted objects it overlaps
  /// and their IoU as StarDist's float32 matrix holds it.
  let pairs: [[(predicted: Int, iou: Float)]]

  init(predicted: [UInt32], truth: [UInt32]) {
    var trueIndex: [UInt32: Int] = [:], predictedIndex: [UInt32: Int] = [:]
    var trueSizes: [Int] = [], predictedSizes: [Int] = []
    var overlap: [UInt64: Int] = [:]
    // Neighbouring voxels mostly share their ids: the last lookup and a
    // run of one pair are kept, so that most voxels touch no dictionary.
    var (lastT, lastTI, lastP, lastPI): (UInt32, Int, UInt32, Int) = (0, -1, 0, -1)
    var run: (key: UInt64, count: Int) = (0, 0)
    for i in truth.indices {
      let (t, p) = (truth[i], predicted[i])
      if t != lastT {
        lastT = t
        lastTI = t == 0 ? -1 : trueIndex[t] ?? { trueIndex[t] = trueSizes.count; trueSizes.append(0); return trueSizes.count - 1 }()
      }
      if p != lastP {
        lastP = p
        lastPI = p == 0 ? -1 : predictedIndex[p] ?? { predictedIndex[p] = predictedSizes.count; predictedSizes.append(0); return predictedSizes.count - 1 }()
      }
      if lastTI >= 0 { trueSizes[lastTI] += 1 }
      if lastPI >= 0 { predictedSizes[lastPI] += 1 }
      guard lastTI >= 0 && lastPI >= 0 else { continue }
      let key = UInt64(lastTI) << 32 | UInt64(lastPI)
      if key == run.key && run.count > 0 {
        run.count += 1
      } else {
        if run.count > 0 { overlap[run.key, default: 0] += run.count }
        run = (key, 1)
      }
    }
    if run.count > 0 { overlap[run.key, default: 0] += run.count }
    var pairs = [[(predicted: Int, iou: Float)]](repeating: [], count: trueSizes.count)
    for (key, n) in overlap.sorted(by: { $0.key < $1.key }) {
      let (ti, pi) = (Int(key >> 32), Int(key & 0xFFFF_FFFF))
      let union = trueSizes[ti] + predictedSizes[pi] - n
      pairs[ti].append((pi, Float(Double(n) / Double(union))))
    }
    trueCount = trueSizes.count
    predictedCount = predictedSizes.count
    self.pairs = pairs
  }

  /// The size of a maximum matching between true and predicted objects
  /// over the pairs whose IoU is at least `threshold` (Kuhn's augmenting
  /// paths).
  func maximumMatching(threshold: Float) -> Int {
    let edges = pairs.map { $0.filter { $0.iou >= threshold }.map(\.predicted) }
    var matchOfPredicted = [Int](repeating: -1, count: predictedCount)
    var visited = [Int](repeating: -1, count: predictedCount)
    func augment(_ t: Int, _ round: Int) -> Bool {
      for p in edges[t] where visited[p] != round {
        visited[p] = round
        if matchOfPredicted[p] < 0 || augment(matchOfPredicted[p], round) {
          matchOfPredicted[p] = t
          return true
        }
      }
      return false
    }
    var matched = 0
    for t in edges.indices where !edges[t].isEmpty && augment(t, t) { matched += 1 }
    return matched
  }
}

import Foundation
import Raster
import Testing

@testable import UNet

/// The adapted Rand error by its definition: over all ordered pairs (p, q)
/// of the truth's foreground pixels, a pixel paired with itself included,
/// count the pairs in one predicted segment (a predicted-background pixel
/// is a segment of its own), in one true segment, and in both; the error is
/// 1 − 2·both / (predicted + true). O(N²): for tiny images only.
func referenceRandError(predicted: [UInt32], truth: [UInt32]) -> Double {
  let pixels = truth.indices.filter { truth[$0] != 0 }
  guard !pixels.isEmpty else { return 0 }
  var samePredicted = 0, sameTrue = 0, both = 0
  for p in pixels {
    for q in pixels {
      let inPredicted = p == q || (predicted[p] != 0 && predicted[p] == predicted[q])
      let inTrue = truth[p] == truth[q]
      if inPredicted { samePredicted += 1 }
      if inTrue { sameTrue += 1 }
      if inPredicted && inTrue { both += 1 }
    }
  }
  return 1 - 2 * Double(both) / Double(samePredicted + sameTrue)
}

/// The ISBI 2012 challenge's scores of a stack of sections, written as
/// plainly as its code states them (Fiji's Trainable_Segmentation,
/// `PixelError.getPrecisionRecallStats` and
/// `RandError.getForegroundRestrictedRandIndexStats`): at each threshold,
/// binarise the proposal (`p > t`) and the truth, label both by a
/// breadth-first 4-connected flood fill, count pixels and pixel pairs (all
/// ordered pairs, O(N²)) of every section, sum the counts over the
/// sections, take precision, recall and F-score of the sums; keep the
/// first threshold of the lowest error.
enum ChallengeReference {
  static func floodFill(_ mask: [Bool], width: Int, height: Int) -> [UInt32] {
    var labels = [UInt32](repeating: 0, count: mask.count)
    var next: UInt32 = 0
    for start in mask.indices where mask[start] && labels[start] == 0 {
      next += 1
      labels[start] = next
      var queue = [start]
      while let p = queue.popLast() {
        let (x, y) = (p % width, p / width)
        for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
        where nx >= 0 && nx < width && ny >= 0 && ny < height && mask[ny * width + nx] && labels[ny * width + nx] == 0 {
          labels[ny * width + nx] = next
          queue.append(ny * width + nx)
        }
      }
    }
    return labels
  }

  struct Counts {
    var pixels = 0, tp = 0, fp = 0, fn = 0, both = 0, predicted = 0, truth = 0
  }

  static func counts(predicted: [UInt32], truth: [UInt32]) -> Counts {
    var c = Counts()
    c.pixels = truth.count
    for i in truth.indices {
      if predicted[i] != 0 && truth[i] != 0 { c.tp += 1 }
      if predicted[i] != 0 && truth[i] == 0 { c.fp += 1 }
      if predicted[i] == 0 && truth[i] != 0 { c.fn += 1 }
    }
    let inside = truth.indices.filter { truth[$0] != 0 }
    for p in inside {
      for q in inside {
        let samePredicted = p == q || (predicted[p] != 0 && predicted[p] == predicted[q])
        let sameTruth = truth[p] == truth[q]
        if samePredicted { c.predicted += 1 }
        if sameTruth { c.truth += 1 }
        if samePredicted && sameTruth { c.both += 1 }
      }
    }
    return c
  }

  static func fScore(_ tp: Int, _ fp: Int, _ fn: Int) -> Double {
    let precision = fp == 0 ? 1.0 : Double(tp) / Double(tp + fp)
    let recall = fn == 0 ? 1.0 : Double(tp) / Double(tp + fn)
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
  }

  /// (pixel error, pixel mismatch, Rand error, IoU) of summed counts.
  static func scores(_ c: Counts) -> [Double] {
    [
      1 - fScore(c.tp, c.fp, c.fn), Double(c.fp + c.fn) / Double(c.pixels),
      1 - fScore(c.both, c.predicted - c.both, c.truth - c.both),
      c.tp + c.fp + c.fn == 0 ? 1 : Double(c.tp) / Double(c.tp + c.fp + c.fn),
    ]
  }

  /// For each metric: the best value and its threshold over the stack.
  static func best(
    probabilities: [[Float]], truthMasks: [[Bool]], width: Int, height: Int, thresholds: [Double]
  ) -> [(value: Double, threshold: Double)] {
    var best: [(value: Double, threshold: Double)] = []
    for t in thresholds {
      var sum = Counts()
      for (p, truthMask) in zip(probabilities, truthMasks) {
        let predicted = floodFill(p.map { Double($0) > t }, width: width, height: height)
        let truth = floodFill(truthMask, width: width, height: height)
        let c = counts(predicted: predicted, truth: truth)
        sum.pixels += c.pixels
        sum.tp += c.tp
        sum.fp += c.fp
        sum.fn += c.fn
        sum.both += c.both
        sum.predicted += c.predicted
        sum.truth += c.truth
      }
      let s = scores(sum)
      if best.isEmpty {
        best = s.map { ($0, t) }
        continue
      }
      for k in 0..<3 where s[k] < best[k].value { best[k] = (s[k], t) }
      if s[3] > best[3].value { best[3] = (s[3], t) }
    }
    return best
  }
}

@Suite("Evaluation: ISBI 2012 pixel and Rand error, pixel mismatch, IoU, threshold sweeps")
struct EvaluationTests {
  /// Rounding of a few divisions; every expected value below is exact.
  let tolerance = 1e-12

  @Test func identicalSegmentationsScorePerfectly() {
    let labels: [UInt32] = [0, 1, 1, 0, 2, 2, 0, 3, 0, 0, 3, 3]
    let s = SegmentationMetrics.scores(predictedInstances: labels, truthInstances: labels)
    #expect(s == SegmentationScores(pixelError: 0, pixelMismatch: 0, randError: 0, iou: 1))
    // Other ids for the same segments change nothing.
    let renamed = labels.map { $0 == 0 ? 0 : 10 - $0 }
    #expect(SegmentationMetrics.scores(predictedInstances: renamed, truthInstances: labels) == s)
  }

  @Test(arguments: [1, 2, 3, 10, 1000])
  func mergingTwoEqualCellsIsOneThird(n: Int) {
    // Truth: two cells of n pixels each; prediction: one segment over both.
    let truth = [UInt32](repeating: 1, count: n) + [UInt32](repeating: 2, count: n) + [0, 0]
    let predicted = [UInt32](repeating: 7, count: 2 * n) + [0, 0]
    // Σn² = 2n², Σa² = 4n², Σb² = 2n²: 1 − 4n² / 6n² = 1/3.
    #expect(abs(SegmentationMetrics.adaptedRandError(predicted: predicted, truth: truth) - 1.0 / 3) < tolerance)
    #expect(abs(referenceRandError(predicted: predicted, truth: truth) - 1.0 / 3) < tolerance)
    let s = SegmentationMetrics.scores(predictedInstances: predicted, truthInstances: truth)
    #expect(s.pixelError == 0 && s.pixelMismatch == 0 && s.iou == 1)
  }

  @Test(arguments: [1, 2, 5, 1000])
  func splittingOneCellInHalvesIsOneThird(n: Int) {
    // Truth: one cell of 2n pixels; prediction: two segments of n.
    let truth = [UInt32](repeating: 4, count: 2 * n)
    let predicted = [UInt32](repeating: 1, count: n) + [UInt32](repeating: 2, count: n)
    // Σn² = 2n², Σa² = 2n², Σb² = 4n²: 1 − 4n² / 6n² = 1/3.
    #expect(abs(SegmentationMetrics.adaptedRandError(predicted: predicted, truth: truth) - 1.0 / 3) < tolerance)
    #expect(abs(referenceRandError(predicted: predicted, truth: truth) - 1.0 / 3) < tolerance)
  }

  @Test func splittingIntoThreeAndMergingThree() {
    // One cell of 3n split in thirds: 1 − 2·3n² / (3n² + 9n²) = 1/2.
    let truth = [UInt32](repeating: 1, count: 12)
    let thirds = (0..<12).map { UInt32($0 / 4 + 1) }
    #expect(abs(SegmentationMetrics.adaptedRandError(predicted: thirds, truth: truth) - 0.5) < tolerance)
    // Three cells of n merged: the same by symmetry.
    #expect(abs(SegmentationMetrics.adaptedRandError(predicted: truth, truth: thirds) - 0.5) < tolerance)
  }

  @Test func allBackgroundPrediction() {
    // One true cell of 4 pixels, all predicted background: four singletons.
    // Σn² = 4, Σa² = 4, Σb² = 16: 1 − 8/20 = 0.6.
    let truth: [UInt32] = [0, 1, 1, 0, 1, 1]
    let predicted = [UInt32](repeating: 0, count: 6)
    let s = SegmentationMetrics.scores(predictedInstances: predicted, truthInstances: truth)
    #expect(abs(s.randError - 0.6) < tolerance)
    #expect(abs(s.pixelMismatch - 4.0 / 6) < tolerance)
    // No true positive, no false positive: precision 1, recall 0, F-score 0.
    #expect(s.pixelError == 1)
    #expect(s.iou == 0)
    // Two cells of n = 5: (Σb² − N)/(Σb² + N) = (50 − 10)/(50 + 10) = 2/3.
    let two = [UInt32](repeating: 1, count: 5) + [UInt32](repeating: 2, count: 5)
    let none = [UInt32](repeating: 0, count: 10)
    #expect(abs(SegmentationMetrics.adaptedRandError(predicted: none, truth: two) - 2.0 / 3) < tolerance)
    // Single-pixel true cells predicted as background are right.
    #expect(SegmentationMetrics.adaptedRandError(predicted: [0, 0, 0], truth: [1, 2, 3]) == 0)
  }

  @Test func emptyTruth() {
    let truth = [UInt32](repeating: 0, count: 8)
    let empty = SegmentationMetrics.scores(predictedInstances: truth, truthInstances: truth)
    #expect(empty == SegmentationScores(pixelError: 0, pixelMismatch: 0, randError: 0, iou: 1))
    let predicted: [UInt32] = [0, 1, 1, 0, 0, 0, 2, 0]
    let s = SegmentationMetrics.scores(predictedInstances: predicted, truthInstances: truth)
    // Nothing to split or merge; the false foreground shows in the others
    // (precision 0, recall 1 for want of false negatives: F-score 0).
    #expect(s == SegmentationScores(pixelError: 1, pixelMismatch: 3.0 / 8, randError: 0, iou: 0))
    #expect(SegmentationMetrics.scores(predictedInstances: [], truthInstances: []) == empty)
  }

  @Test func pixelErrorMismatchAndIoU() {
    let predicted = [true, true, false, false, true]
    let truth = [true, false, false, true, true]
    // TP 2, FP 1, FN 1: precision = recall = 2/3, F = 2/3.
    #expect(abs(SegmentationMetrics.pixelError(predicted: predicted, truth: truth) - 1.0 / 3) < tolerance)
    #expect(abs(SegmentationMetrics.pixelMismatch(predicted: predicted, truth: truth) - 2.0 / 5) < tolerance)
    #expect(abs(SegmentationMetrics.iou(predicted: predicted, truth: truth) - 2.0 / 4) < tolerance)
    #expect(SegmentationMetrics.iou(predicted: [false], truth: [false]) == 1)
    // TP 3, FP 1, FN 0: precision 3/4, recall 1, F = 6/7.
    let more = [true, true, true, false, true]
    let truthMore = [true, true, false, false, true]
    #expect(abs(SegmentationMetrics.pixelError(predicted: more, truth: truthMore) - 1.0 / 7) < tolerance)
    // Neither has foreground: precision and recall 1 by the challenge's convention.
    #expect(SegmentationMetrics.pixelError(predicted: [false, false], truth: [false, false]) == 0)
    // All wrong: precision and recall 0.
    #expect(SegmentationMetrics.pixelError(predicted: [true, false], truth: [false, true]) == 1)
  }

  @Test func fScoreFollowsTheChallengesConventions() {
    #expect(SegmentationCounts.fScore(truePositives: 0, falsePositives: 0, falseNegatives: 0) == 1)
    #expect(SegmentationCounts.fScore(truePositives: 0, falsePositives: 3, falseNegatives: 0) == 0)
    #expect(SegmentationCounts.fScore(truePositives: 0, falsePositives: 0, falseNegatives: 3) == 0)
    #expect(SegmentationCounts.fScore(truePositives: 5, falsePositives: 0, falseNegatives: 0) == 1)
    // P = 1/2, R = 1/4: 2·(1/8)/(3/4) = 1/3.
    #expect(abs(SegmentationCounts.fScore(truePositives: 1, falsePositives: 1, falseNegatives: 3) - 1.0 / 3) < tolerance)
  }

  @Test func fastRandErrorMatchesPairCounting() {
    var rng = SplitMix64(seed: 2012)
    for trial in 0..<300 {
      let n = Int(rng.next() % 40) + 1
      let predictedIds = UInt32(rng.next() % 5) + 1
      let trueIds = UInt32(rng.next() % 5) + 1
      // Large ids now and then, to exercise the 64-bit pair keys.
      let scale: UInt32 = trial % 7 == 0 ? 0x1000_0001 : 1
      let predicted = (0..<n).map { _ in UInt32(rng.next() % UInt64(predictedIds + 1)) &* scale }
      let truth = (0..<n).map { _ in UInt32(rng.next() % UInt64(trueIds + 1)) &* scale }
      let fast = SegmentationMetrics.adaptedRandError(predicted: predicted, truth: truth)
      let slow = referenceRandError(predicted: predicted, truth: truth)
      #expect(abs(fast - slow) < tolerance, "trial \(trial): \(predicted) vs \(truth)")
      #expect(fast >= 0 && fast <= 1)
    }
  }

  // MARK: Threshold sweeps

  @Test func thresholdsAreBinCentres() {
    #expect(ThresholdSweep.thresholds(count: 1) == [0.5])
    #expect(ThresholdSweep.thresholds(count: 4) == [0.125, 0.375, 0.625, 0.875])
    let ten = ThresholdSweep.thresholds(count: 10)
    #expect(ten.count == 10)
    for (i, t) in ten.enumerated() { #expect(abs(t - (Double(i) + 0.5) / 10) < 1e-15) }
  }

  @Test func probabilityMapIsThresholdedIntoFourConnectedComponents() {
    // 4 x 3 probabilities; truth: two cells, the top-left pair and the
    // right column.
    let p: [Float] = [
      0.9, 0.6, 0.1, 0.8,
      0.3, 0.2, 0.4, 0.7,
      0.0, 0.4, 0.1, 0.95,
    ]
    let truth: [UInt32] = [
      1, 1, 0, 2,
      0, 0, 0, 2,
      0, 0, 0, 2,
    ]
    let probabilities = Image<Float>(width: 4, height: 3, samples: p)
    let truthImage = LabelImage(width: 4, height: 3, samples: truth)
    let thresholds = [0.05, 0.35, 0.5, 0.65]
    let sweep = ThresholdSweep(probabilities: probabilities, truthInstances: truthImage, thresholds: thresholds)
    #expect(sweep.thresholds == thresholds)
    // The instances each threshold gives, by hand (4-connected).
    let expected: [[UInt32]] = [
      [1, 1, 1, 1,  1, 1, 1, 1,  0, 1, 1, 1],  // > 0.05: one component
      [1, 1, 0, 2,  0, 0, 2, 2,  0, 3, 0, 2],  // > 0.35: 0.4 at (1, 2) is alone
      [1, 1, 0, 2,  0, 0, 0, 2,  0, 0, 0, 2],  // > 0.5: the truth
      [1, 0, 0, 2,  0, 0, 0, 2,  0, 0, 0, 2],  // > 0.65: 0.6 drops out
    ]
    for (k, instances) in expected.enumerated() {
      #expect(sweep.scores[k] == SegmentationMetrics.scores(predictedInstances: instances, truthInstances: truth), "t = \(thresholds[k])")
    }
    #expect(sweep.scores[2] == SegmentationScores(pixelError: 0, pixelMismatch: 0, randError: 0, iou: 1))
    let best = sweep.best
    #expect(best.pixelError == .init(value: 0, threshold: 0.5))
    #expect(best.pixelMismatch == .init(value: 0, threshold: 0.5))
    // The Rand error looks only at the truth's foreground, where t = 0.35
    // is already right; the lowest of the tied thresholds wins.
    #expect(sweep.scores[1].randError == 0 && sweep.scores[1].pixelError > 0 && sweep.scores[1].pixelMismatch > 0)
    #expect(best.randError == .init(value: 0, threshold: 0.35))
    #expect(best.iou == .init(value: 1, threshold: 0.5))
    // Diagonal neighbours are apart: two components, not one.
    let diagonal = ThresholdSweep(
      probabilities: Image(width: 2, height: 2, samples: [1, 0, 0, 1]),
      truthInstances: LabelImage(width: 2, height: 2, samples: [1, 0, 0, 1]), thresholds: [0.5])
    #expect(diagonal.scores[0].randError > 0)
    #expect(diagonal.scores[0] == SegmentationMetrics.scores(predictedInstances: [1, 0, 0, 2], truthInstances: [1, 0, 0, 1]))
  }

  @Test func thresholdIsStrict() {
    // p > t: a probability equal to the threshold is background.
    let sweep = ThresholdSweep(
      probabilities: Image(width: 2, height: 1, samples: [0.5, 0.75]),
      truthInstances: LabelImage(width: 2, height: 1, samples: [0, 1]), thresholds: [0.5])
    #expect(sweep.scores[0] == SegmentationScores(pixelError: 0, pixelMismatch: 0, randError: 0, iou: 1))
  }

  @Test func instancePredictionHasNoThreshold() {
    let truth = LabelImage(width: 3, height: 1, samples: [1, 1, 2])
    let sweep = ThresholdSweep(predictedInstances: LabelImage(width: 3, height: 1, samples: [5, 5, 5]), truthInstances: truth)
    #expect(sweep.thresholds.isEmpty && sweep.scores.count == 1)
    let best = sweep.best
    #expect(best.pixelError == .init(value: 0, threshold: nil))
    #expect(best.randError.threshold == nil && best.randError.value > 0)
    #expect(best.iou == .init(value: 1, threshold: nil))
  }

  @Test func bestPicksEachMetricsOwnThresholdAndTheLowestOnTies() {
    let best = BestScores(
      thresholds: [0.25, 0.5, 0.75],
      scores: [
        .init(pixelError: 0.2, pixelMismatch: 0.05, randError: 0.1, iou: 0.7),
        .init(pixelError: 0.1, pixelMismatch: 0.1, randError: 0.3, iou: 0.7),
        .init(pixelError: 0.1, pixelMismatch: 0.05, randError: 0.2, iou: 0.9),
      ])
    #expect(
      best
        == BestScores(
          pixelError: .init(value: 0.1, threshold: 0.5), pixelMismatch: .init(value: 0.05, threshold: 0.25),
          randError: .init(value: 0.1, threshold: 0.25), iou: .init(value: 0.9, threshold: 0.75)))
  }

  /// Two images, by hand: A is right (one cell of 4 pixels), B merges two
  /// cells of 2 pixels through a background pixel.
  static let pooledCase: (a: [UInt32], truthA: [UInt32], b: [UInt32], truthB: [UInt32]) = (
    [3, 3, 3, 3, 0], [1, 1, 1, 1, 0], [5, 5, 5, 5, 5], [1, 1, 0, 2, 2]
  )

  @Test func overallPoolsTheCountsAsTheChallengeDoes() {
    let c = Self.pooledCase
    let a = SegmentationMetrics.counts(predictedInstances: c.a, truthInstances: c.truthA)
    let b = SegmentationMetrics.counts(predictedInstances: c.b, truthInstances: c.truthB)
    // A: TP 4; pairs 16, 16, 16. B: TP 4, FP 1; pairs 2² + 2² = 8, 4² = 16, 8.
    #expect(a == SegmentationCounts(pixels: 5, truePositives: 4, randBoth: 16, randPredicted: 16, randTrue: 16))
    #expect(b == SegmentationCounts(pixels: 5, truePositives: 4, falsePositives: 1, randBoth: 8, randPredicted: 16, randTrue: 8))
    #expect(a.scores == SegmentationScores(pixelError: 0, pixelMismatch: 0, randError: 0, iou: 1))
    #expect(abs(b.pixelError - 1.0 / 9) < tolerance && abs(b.randError - 1.0 / 3) < tolerance)
    // Pooled: TP 8, FP 1 → F = 16/17; pairs 24, 32, 24 → F = 48/56 = 6/7.
    // The mean of the images' errors would be 1/18 and 1/6.
    let sweepA = ThresholdSweep(thresholds: [], counts: [a]), sweepB = ThresholdSweep(thresholds: [], counts: [b])
    let overall = ThresholdSweep.overall([sweepA, sweepB])
    #expect(abs(overall.pixelError.value - 1.0 / 17) < tolerance && overall.pixelError.threshold == nil)
    #expect(abs(overall.randError.value - 1.0 / 7) < tolerance)
    #expect(abs(overall.pixelMismatch.value - 1.0 / 10) < tolerance)
    #expect(abs(overall.iou.value - 8.0 / 9) < tolerance)
    // One image: its own best.
    #expect(ThresholdSweep.overall([sweepB]) == sweepB.best)
  }

  @Test func overallTakesTheBestThresholdOfTheSums() {
    let thresholds = [0.25, 0.75]
    let c = Self.pooledCase
    let right = SegmentationMetrics.counts(predictedInstances: c.a, truthInstances: c.truthA)
    let merged = SegmentationMetrics.counts(predictedInstances: c.b, truthInstances: c.truthB)
    let split = SegmentationMetrics.counts(predictedInstances: [1, 2, 0, 3, 3], truthInstances: c.truthB)
    // Image x is right at 0.25 and merged at 0.75; image y the other way
    // round, with a split instead of a merge. Per image each has Rand
    // error 0 at its own threshold; over both, one threshold must serve.
    let x = ThresholdSweep(thresholds: thresholds, counts: [right, merged])
    let y = ThresholdSweep(thresholds: thresholds, counts: [split, right])
    let sums = [right + split, merged + right]
    let overall = ThresholdSweep.overall([x, y])
    let expected = BestScores(thresholds: thresholds, scores: sums.map(\.scores))
    #expect(overall == expected)
    // split: pairs 1 + 1 + 4 = 6 both, 6 predicted, 8 true; with right:
    // 22, 22, 24 → 1 − 44/46 = 1/23 at 0.25; at 0.75, 1/7: 0.25 wins.
    #expect(overall.randError.threshold == 0.25 && abs(overall.randError.value - 1.0 / 23) < tolerance)
    #expect(x.best.randError == .init(value: 0, threshold: 0.25) && y.best.randError == .init(value: 0, threshold: 0.75))
    // A mask prediction adds its one count at every threshold.
    let mask = ThresholdSweep(thresholds: [], counts: [merged])
    let mixed = ThresholdSweep.overall([x, mask])
    #expect(mixed == BestScores(thresholds: thresholds, scores: [right + merged, merged + merged].map(\.scores)))
  }

  /// Random stacks of small probability maps and masks: per image and
  /// overall, every metric and threshold equal the plain reference's.
  @Test func sweepsMatchTheChallengeReference() {
    var rng = SplitMix64(seed: 150_505)
    let thresholds = ThresholdSweep.thresholds(count: 5)
    for trial in 0..<150 {
      let width = Int(rng.next() % 7) + 1, height = Int(rng.next() % 6) + 1
      let images = Int(rng.next() % 4) + 1
      let density = rng.uniform(0.2, 0.9)
      // Probabilities on a 0.1 grid, so that some equal a threshold.
      let probabilities = (0..<images).map { _ in
        (0..<width * height).map { _ in Float(rng.next() % 11) / 10 }
      }
      let masks = (0..<images).map { _ in (0..<width * height).map { _ in rng.uniform(0, 1) < density } }
      let sweeps = zip(probabilities, masks).map { p, m in
        ThresholdSweep(
          probabilities: Image(width: width, height: height, samples: p),
          truthInstances: SegmentationMetrics.instances(
            of: LabelImage(width: width, height: height, samples: m.map { $0 ? 255 : 0 })),
          thresholds: thresholds)
      }
      func same(_ got: BestScores, _ expected: [(value: Double, threshold: Double)], _ what: String) {
        let values = [got.pixelError, got.pixelMismatch, got.randError, got.iou]
        for (k, (g, e)) in zip(values, expected).enumerated() {
          #expect(abs(g.value - e.value) < tolerance && g.threshold == e.threshold, "trial \(trial), \(what), metric \(k): \(g) vs \(e)")
        }
      }
      same(
        ThresholdSweep.overall(sweeps),
        ChallengeReference.best(probabilities: probabilities, truthMasks: masks, width: width, height: height, thresholds: thresholds),
        "overall")
      for i in 0..<images {
        same(
          sweeps[i].best,
          ChallengeReference.best(
            probabilities: [probabilities[i]], truthMasks: [masks[i]], width: width, height: height, thresholds: thresholds),
          "image \(i)")
      }
    }
  }

  /// Random instance predictions against random instance truths: the
  /// counts equal the reference's.
  @Test func countsMatchTheReference() {
    var rng = SplitMix64(seed: 2015)
    for trial in 0..<300 {
      let n = Int(rng.next() % 30) + 1
      let predicted = (0..<n).map { _ in UInt32(rng.next() % 4) }
      let truth = (0..<n).map { _ in UInt32(rng.next() % 4) }
      let c = SegmentationMetrics.counts(predictedInstances: predicted, truthInstances: truth)
      let r = ChallengeReference.counts(predicted: predicted, truth: truth)
      let expected = SegmentationCounts(
        pixels: Double(r.pixels), truePositives: Double(r.tp), falsePositives: Double(r.fp), falseNegatives: Double(r.fn),
        randBoth: Double(r.both), randPredicted: Double(r.predicted), randTrue: Double(r.truth))
      #expect(c == expected, "trial \(trial): \(predicted) vs \(truth)")
      let s = ChallengeReference.scores(r)
      #expect(abs(c.pixelError - s[0]) < tolerance && abs(c.randError - s[2]) < tolerance, "trial \(trial)")
    }
  }

  @Test func scoresEncodeWithSnakeCaseKeys() throws {
    let data = try JSONEncoder().encode(SegmentationScores(pixelError: 0.5, pixelMismatch: 0.125, randError: 0.25, iou: 1))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Double]
    #expect(object == ["pixel_error": 0.5, "pixel_mismatch": 0.125, "rand_error": 0.25, "iou": 1])
  }

  @Test func truthInstancesOfMasksAndIds() {
    // One non-zero value: a mask, split into 4-connected components.
    let mask = LabelImage(width: 3, height: 2, samples: [255, 0, 255, 0, 255, 0])
    #expect(SegmentationMetrics.instances(of: mask).samples == [1, 0, 2, 0, 3, 0])
    // Two or more: ids as given, even when not connected.
    let ids = LabelImage(width: 3, height: 2, samples: [7, 0, 7, 0, 9, 0])
    #expect(SegmentationMetrics.instances(of: ids) == ids)
  }
}

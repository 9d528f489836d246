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

@Suite("Evaluation: pixel error, adapted Rand error, IoU, threshold sweeps")
struct EvaluationTests {
  /// Rounding of a few divisions; every expected value below is exact.
  let tolerance = 1e-12

  @Test func identicalSegmentationsScorePerfectly() {
    let labels: [UInt32] = [0, 1, 1, 0, 2, 2, 0, 3, 0, 0, 3, 3]
    let s = SegmentationMetrics.scores(predictedInstances: labels, truthInstances: labels)
    #expect(s == SegmentationScores(pixelError: 0, randError: 0, iou: 1))
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
    #expect(s.pixelError == 0 && s.iou == 1)
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
    #expect(abs(s.pixelError - 4.0 / 6) < tolerance)
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
    #expect(empty == SegmentationScores(pixelError: 0, randError: 0, iou: 1))
    let predicted: [UInt32] = [0, 1, 1, 0, 0, 0, 2, 0]
    let s = SegmentationMetrics.scores(predictedInstances: predicted, truthInstances: truth)
    // Nothing to split or merge; the false foreground shows in the others.
    #expect(s == SegmentationScores(pixelError: 3.0 / 8, randError: 0, iou: 0))
    #expect(SegmentationMetrics.scores(predictedInstances: [], truthInstances: []) == empty)
  }

  @Test func pixelErrorAndIoU() {
    let predicted = [true, true, false, false, true]
    let truth = [true, false, false, true, true]
    #expect(abs(SegmentationMetrics.pixelError(predicted: predicted, truth: truth) - 2.0 / 5) < tolerance)
    #expect(abs(SegmentationMetrics.iou(predicted: predicted, truth: truth) - 2.0 / 4) < tolerance)
    #expect(SegmentationMetrics.iou(predicted: [false], truth: [false]) == 1)
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
    #expect(sweep.scores[2] == SegmentationScores(pixelError: 0, randError: 0, iou: 1))
    let best = sweep.best
    #expect(best.pixelError == .init(value: 0, threshold: 0.5))
    // The Rand error looks only at the truth's foreground, where t = 0.35
    // is already right; the lowest of the tied thresholds wins.
    #expect(sweep.scores[1].randError == 0 && sweep.scores[1].pixelError > 0)
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
    #expect(sweep.scores[0] == SegmentationScores(pixelError: 0, randError: 0, iou: 1))
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
    let sweep = ThresholdSweep(
      thresholds: [0.25, 0.5, 0.75],
      scores: [
        .init(pixelError: 0.2, randError: 0.1, iou: 0.7),
        .init(pixelError: 0.1, randError: 0.3, iou: 0.7),
        .init(pixelError: 0.1, randError: 0.2, iou: 0.9),
      ])
    #expect(
      sweep.best
        == BestScores(
          pixelError: .init(value: 0.1, threshold: 0.5), randError: .init(value: 0.1, threshold: 0.25),
          iou: .init(value: 0.9, threshold: 0.75)))
  }

  @Test func overallIsTheBestOfTheMeans() {
    let thresholds = [0.25, 0.75]
    let a = ThresholdSweep(
      thresholds: thresholds,
      scores: [.init(pixelError: 0.0, randError: 0.5, iou: 1.0), .init(pixelError: 0.5, randError: 0.0, iou: 0.5)])
    let b = ThresholdSweep(
      thresholds: thresholds,
      scores: [.init(pixelError: 0.5, randError: 0.25, iou: 0.0), .init(pixelError: 0.25, randError: 0.25, iou: 0.75)])
    // Means: t = 0.25 → (0.25, 0.375, 0.5); t = 0.75 → (0.375, 0.125, 0.625).
    // Each image's own best would give other numbers (pixel error 0 and 0.25).
    let overall = ThresholdSweep.overall([a, b])
    #expect(overall.pixelError == .init(value: 0.25, threshold: 0.25))
    #expect(overall.randError == .init(value: 0.125, threshold: 0.75))
    #expect(overall.iou == .init(value: 0.625, threshold: 0.75))
    // A mask prediction adds its one score at every threshold.
    let mask = ThresholdSweep(thresholds: [], scores: [.init(pixelError: 0.125, randError: 0.5, iou: 0.5)])
    let mixed = ThresholdSweep.overall([a, b, mask])
    #expect(mixed.pixelError.threshold == 0.25 && abs(mixed.pixelError.value - 0.625 / 3) < tolerance)
    #expect(mixed.randError.threshold == 0.75 && abs(mixed.randError.value - 0.75 / 3) < tolerance)
    // Masks only: the plain mean, no threshold.
    let other = ThresholdSweep(thresholds: [], scores: [.init(pixelError: 0.375, randError: 0, iou: 1)])
    #expect(
      ThresholdSweep.overall([mask, other])
        == BestScores(
          pixelError: .init(value: 0.25, threshold: nil), randError: .init(value: 0.25, threshold: nil),
          iou: .init(value: 0.75, threshold: nil)))
    // One image: its own best.
    #expect(ThresholdSweep.overall([a]) == a.best)
  }

  @Test func scoresEncodeWithSnakeCaseKeys() throws {
    let data = try JSONEncoder().encode(SegmentationScores(pixelError: 0.5, randError: 0.25, iou: 1))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Double]
    #expect(object == ["pixel_error": 0.5, "rand_error": 0.25, "iou": 1])
  }
}

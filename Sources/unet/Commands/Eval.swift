import ArgumentParser
import Foundation
import Raster
import UNet
import WeightMap
import _Support

/// `unet eval`: ISBI 2012 segmentation metrics of predictions against
/// ground truth.
struct Eval: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score predictions against ground truth: ISBI 2012 pixel and Rand error, pixel mismatch, IoU.",
    discussion: """
      Predictions pair with truth files by NAME: a truth file's name without
      its extension, a prediction's without its kind (prob, instances, mask)
      and extension. a.prob.tiff, a.mask.png and a.instances.png all pair
      with a.png or a.tif; a.b.prob.tiff with a.b.png. When a NAME has
      several predictions, NAME.prob.* is taken, else NAME.instances.*, else
      NAME.mask.*; a NAME.instances.* beside a
      NAME.prob.* is scored too, on its own (post-processed instances beside
      the raw, threshold-swept probabilities). Two single files pair whatever
      their names. A prediction or truth file without a partner is an error.

      A float prediction (TIFF or NPY) is a probability map with values in
      [0, 1]: one page is the foreground probability; several pages are class
      probabilities, and the foreground probability is 1 − page 0. It is
      thresholded at t = (i + 0.5)/N, i = 0 … N − 1 (N = --thresholds):
      foreground p > t, instances its 4-connected components. Each metric
      reports its best value and the threshold that gave it.

      An integer image (prediction or truth) holding two or more distinct
      non-zero values is instance ids; otherwise it is a mask, foreground its
      non-zero pixels, and its instances are their 4-connected components.
      For ISBI 2012 the labels are white (255) cells on black (0) membranes:
      the foreground is the cells. Masks and instance predictions are scored
      once, without threshold.

      As the ISBI 2012 challenge defined them: pixel error = 1 − the F-score
      of foreground pixel classification; Rand error = 1 − the F-score of the
      Rand index over the truth's foreground (predicted background pixels
      there are singletons). Pixel mismatch: the fraction of pixels whose
      foreground differs. IoU: foreground intersection over union. Overall,
      as the challenge's code scores a stack: at each threshold the counts
      (true and false positives, false negatives, pixel pairs) of all images
      are summed, the scores are computed from the sums, and the best over
      the thresholds is reported.

      --volume scores volumes: truth and predictions are TIFF z-stacks (or
      NPY (D, H, W)); predictions are NAME.prob.tiff (D float pages, the
      foreground probability, or K·D pages, K class volumes one after the
      other), NAME.mask.tiff and NAME.instances.tiff. Instances are
      6-connected components, every count is over the whole volume, and
      each volume also gets the object-level average precision, as
      StarDist's matching scores it: a true and a predicted object match
      when their IoU is at least t (each object at most once, as many pairs
      as possible); AP(t) = TP / (TP + FP + FN), reported at t = 0.5
      (AP50) and as the mean over t = 0.5, 0.55, …, 0.9. A probability
      map's AP is the best mean AP over the thresholds; overall, TP, FP and
      FN of all volumes are summed at each threshold before the best is
      taken.
      """)

  @Option(help: ArgumentHelp("Predictions: a file, a folder or a quoted glob pattern.", valueName: "path"))
  var pred: String

  @Option(help: ArgumentHelp("Ground truth labels: a file, a folder or a quoted glob pattern.", valueName: "path"))
  var truth: String

  @Option(help: ArgumentHelp("Number N of thresholds (i + 0.5)/N tried on probability maps, 1 to 1000.", valueName: "n"))
  var thresholds: Int = 10

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Flag(help: "Score volumes (TIFF z-stacks, NPY (D, H, W)): 6-connected instances, object AP at IoU 0.5 … 0.9.")
  var volume = false

  @OptionGroup var limits: LimitOptions

  func validate() throws {
    guard (1...1000).contains(thresholds) else {
      throw ValidationError("--thresholds \(thresholds): must be 1 to 1000")
    }
  }

  func execute() throws {
    try evaluate()
  }

  private func evaluate() throws {
    let pairs = try PredictionFiles.pair(predictions: pred, truth: truth)
    let cuts = ThresholdSweep.thresholds(count: thresholds)
    let limits = self.limits.readLimits
    let volume = self.volume
    let sweeps = Slots<Scored?>(count: pairs.count, initial: nil)
    let progress = ProgressBar(total: pairs.count, label: "eval")
    try parallelFor(pairs.count, jobs: availableCores) { i in
      sweeps[i] =
        volume
        ? try Self.scoreVolume(pairs[i], thresholds: cuts, limits: limits)
        : try Self.score(pairs[i], thresholds: cuts, limits: limits)
      progress.advance()
    }
    let perImage = sweeps.values.map { $0! }
    let rows = zip(pairs, perImage).map { pair, scored in
      let ap = scored.prediction.bestAveragePrecision
      return Row(
        name: pair.name, best: scored.prediction.best, instances: scored.instances.map { $0.counts[0].scores },
        averagePrecision: ap?.averagePrecision, averagePrecisionThreshold: ap?.threshold,
        instancesAveragePrecision: scored.instances?.bestAveragePrecision?.averagePrecision)
    }
    let withInstances = perImage.compactMap(\.instances)
    let ap = ThresholdSweep.overallAveragePrecision(perImage.map(\.prediction))
    let overall = Row(
      name: nil, best: ThresholdSweep.overall(perImage.map(\.prediction)),
      instances: withInstances.isEmpty ? nil : withInstances.reduce(SegmentationCounts.zero) { $0 + $1.counts[0] }.scores,
      instanceImages: withInstances.isEmpty ? nil : withInstances.count,
      averagePrecision: ap?.averagePrecision, averagePrecisionThreshold: ap?.threshold,
      instancesAveragePrecision: withInstances.isEmpty ? nil : ThresholdSweep.overallAveragePrecision(withInstances)?.averagePrecision)
    if json {
      print(try EvaluationReport(images: rows, overall: overall).json())
    } else {
      printTable(rows, overall: overall)
    }
  }

  // MARK: Reading and scoring

  /// A prediction as read: a foreground probability map or instances.
  enum Prediction {
    case probabilities(Image<Float>)
    case instances(LabelImage)

    var size: (width: Int, height: Int) {
      switch self {
      case .probabilities(let p): (p.width, p.height)
      case .instances(let i): (i.width, i.height)
      }
    }
  }

  /// The scores of one pair: its prediction, and the instance image beside
  /// a probability map.
  struct Scored: Sendable {
    var prediction: ThresholdSweep
    var instances: ThresholdSweep?
  }

  static func score(_ pair: PredictionFiles.Pair, thresholds: [Double], limits: ReadLimits) throws -> Scored {
    let truth = SegmentationMetrics.instances(
      of: try StackHint.adding(StackHint.volume) { try ImageFile.readImage(pair.truth, limits: limits) }
        .labels(path: pair.truth))
    func sweep(_ path: String) throws -> ThresholdSweep {
      let prediction = try readPrediction(path, limits: limits)
      let size = prediction.size
      guard size.width == truth.width && size.height == truth.height else {
        throw RasterError(
          .unsupported, path: path,
          "is \(size.width)x\(size.height) but its truth \(pair.truth) is \(truth.width)x\(truth.height)")
      }
      switch prediction {
      case .probabilities(let p):
        return ThresholdSweep(probabilities: p, truthInstances: truth, thresholds: thresholds)
      case .instances(let i):
        return ThresholdSweep(predictedInstances: i, truthInstances: truth)
      }
    }
    return Scored(prediction: try sweep(pair.prediction), instances: try pair.instances.map(sweep))
  }

  static func readPrediction(_ path: String, limits: ReadLimits) throws -> Prediction {
    let pages = try ImageFile.readPages(path, limits: limits)
    let first = pages[0]
    guard first.channels == 1 else {
      throw RasterError(.unsupported, path: path, "prediction has \(first.channels) channels, expected 1")
    }
    guard case .float32(let page) = first else {
      guard pages.count == 1 else {
        throw RasterError(.unsupported, path: path, "integer prediction has \(pages.count) pages, expected 1")
      }
      return .instances(SegmentationMetrics.instances(of: try first.labels(path: path)))
    }
    for (i, v) in page.samples.enumerated() where !(v >= 0 && v <= 1) {
      let place = "x \(i % page.width), y \(i / page.width)"
      throw RasterError(
        .unsupported, path: path,
        v.isNaN ? "probability is NaN at \(place)" : "probability \(v) at \(place) is outside [0, 1]")
    }
    let foreground = ClassPlanes.foreground(pages: pages.map { $0.floatImage().samples })
    return .probabilities(Image(width: page.width, height: page.height, samples: foreground))
  }

  // MARK: Output

  typealias Row = EvaluationReport.Row

  private func printTable(_ rows: [Row], overall: Row) {
    let nameWidth = max(7, rows.map(\.name!.count).max() ?? 0)
    func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
    func cell(_ b: BestScores.Best) -> String {
      pad(String(format: "%.4f", b.value) + (b.threshold.map { String(format: " @ %.4g", $0) } ?? ""), 18)
    }
    // Volumes: AP50 and the mean AP over 0.5 … 0.9 after the IoU.
    let apHeader = volume ? pad("", 18 - "IoU".count) + pad("AP50", 10) + "mean AP" : ""
    func ap(_ a: AveragePrecision?) -> String {
      guard let a else { return "" }
      return pad(String(format: "%.4f", a.at50 ?? 0), 10) + String(format: "%.4f", a.mean)
    }
    func ap(_ row: Row) -> String {
      ap(row.averagePrecision) + (row.averagePrecisionThreshold.map { String(format: " @ %.4g", $0) } ?? "")
    }
    let header =
      pad("image", nameWidth + 2) + pad("pixel error", 18) + pad("Rand error", 18) + pad("pixel mismatch", 18) + "IoU"
    print(header + apHeader)
    for row in rows + [overall] {
      let b = row.best
      let line =
        pad(row.name ?? "overall", nameWidth + 2) + cell(b.pixelError) + cell(b.randError) + cell(b.pixelMismatch)
        + cell(b.iou) + ap(row)
      print(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
    }
    guard overall.instances != nil else { return }
    print("\ninstances (NAME.instances.*, no threshold)")
    print(header + apHeader)
    for row in rows + [overall] {
      guard let s = row.instances else { continue }
      let values = [s.pixelError, s.randError, s.pixelMismatch].map { pad(String(format: "%.4f", $0), 18) }.joined()
      let iou = volume ? pad(String(format: "%.4f", s.iou), 18) : String(format: "%.4f", s.iou)
      print(pad(row.name ?? "overall", nameWidth + 2) + values + iou + ap(row.instancesAveragePrecision))
    }
  }
}

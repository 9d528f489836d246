import ArgumentParser
import Foundation
import Raster
import UNet
import WeightMap

/// `unet eval`: ISBI 2012 segmentation metrics of predictions against
/// ground truth.
struct Eval: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score predictions against ground truth: ISBI 2012 pixel and Rand error, pixel mismatch, IoU.",
    discussion: """
      Predictions pair with truth files by NAME, the file name up to its first
      dot: a.prob.tiff, a.mask.png and a.instances.png all pair with a.png or
      a.tif. When a NAME has several predictions, NAME.prob.* is taken, else
      NAME.instances.*, else NAME.mask.*; a NAME.instances.* beside a
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
      """)

  @Option(help: ArgumentHelp("Predictions: a file, a folder or a quoted glob pattern.", valueName: "path"))
  var pred: String

  @Option(help: ArgumentHelp("Ground truth labels: a file, a folder or a quoted glob pattern.", valueName: "path"))
  var truth: String

  @Option(help: ArgumentHelp("Number N of thresholds (i + 0.5)/N tried on probability maps, 1 to 1000.", valueName: "n"))
  var thresholds: Int = 10

  @Flag(help: "Print JSON instead of a table.")
  var json = false

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
    let pairs = try Self.pair(predictions: pred, truth: truth)
    let cuts = ThresholdSweep.thresholds(count: thresholds)
    let limits = self.limits.readLimits
    let sweeps = Slots<Scored?>(count: pairs.count, initial: nil)
    let progress = ProgressBar(total: pairs.count, label: "eval")
    try parallelFor(pairs.count, jobs: availableCores) { i in
      sweeps[i] = try Self.score(pairs[i], thresholds: cuts, limits: limits)
      progress.advance()
    }
    let perImage = sweeps.values.map { $0! }
    let rows = zip(pairs, perImage).map {
      Row(name: $0.name, best: $1.prediction.best, instances: $1.instances.map { $0.counts[0].scores })
    }
    let withInstances = perImage.compactMap(\.instances)
    let overall = Row(
      name: nil, best: ThresholdSweep.overall(perImage.map(\.prediction)),
      instances: withInstances.isEmpty ? nil : withInstances.reduce(SegmentationCounts.zero) { $0 + $1.counts[0] }.scores,
      instanceImages: withInstances.isEmpty ? nil : withInstances.count)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(Report(images: rows, overall: overall)), as: UTF8.self))
    } else {
      printTable(rows, overall: overall)
    }
  }

  // MARK: Pairing

  struct Pair: Sendable {
    var name: String
    var prediction: String
    var truth: String
    /// NAME.instances.* beside a probability map, scored on its own.
    var instances: String? = nil
  }

  /// A file's NAME for pairing: its file name up to the first dot.
  static func pairingName(_ path: String) -> String {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = file.firstIndex(of: "."), dot != file.startIndex else { return file }
    return String(file[..<dot])
  }

  /// Preference among several predictions of one NAME: lower is preferred.
  static func preference(_ path: String) -> Int {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    let parts = file.split(separator: ".")
    guard parts.count >= 3 else { return 3 }
    return ["prob": 0, "instances": 1, "mask": 2][String(parts[1])] ?? 3
  }

  static func pair(predictions: String, truth: String) throws -> [Pair] {
    let predFiles = try expandInputs([predictions])
    let truthFiles = try expandInputs([truth])
    if namesOneFile(predictions) && namesOneFile(truth) {
      return [Pair(name: pairingName(truthFiles[0]), prediction: predFiles[0], truth: truthFiles[0])]
    }
    var truthByName: [String: String] = [:]
    for file in truthFiles {
      let name = pairingName(file)
      if let other = truthByName[name] {
        throw RasterError(.unsupported, path: file, "has the same name '\(name)' as \(other); which is the truth?")
      }
      truthByName[name] = file
    }
    var predByName: [String: String] = [:]
    var instancesByName: [String: String] = [:]
    for file in predFiles {
      let name = pairingName(file)
      if preference(file) == 1 {
        if let other = instancesByName[name] {
          throw RasterError(.unsupported, path: file, "has the same name '\(name)' as \(other); which is the prediction?")
        }
        instancesByName[name] = file
      }
      guard let other = predByName[name] else {
        predByName[name] = file
        continue
      }
      let (a, b) = (preference(file), preference(other))
      if a == b {
        throw RasterError(.unsupported, path: file, "has the same name '\(name)' as \(other); which is the prediction?")
      }
      if a < b { predByName[name] = file }
    }
    for file in predFiles where truthByName[pairingName(file)] == nil {
      throw RasterError(.notFound, path: file, "has no truth named '\(pairingName(file))' in \(truth)")
    }
    for file in truthFiles where predByName[pairingName(file)] == nil {
      throw RasterError(.notFound, path: file, "has no prediction named '\(pairingName(file))' in \(predictions)")
    }
    return truthFiles.map { file in
      let name = pairingName(file)
      let prediction = predByName[name]!
      return Pair(
        name: name, prediction: prediction, truth: file,
        instances: preference(prediction) == 0 ? instancesByName[name] : nil)
    }
  }

  /// True for an input that names a file (existing or not), not a folder
  /// or a pattern.
  private static func namesOneFile(_ input: String) -> Bool {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: input, isDirectory: &isDir) { return !isDir.boolValue }
    return !input.contains(where: { "*?[".contains($0) })
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

  static func score(_ pair: Pair, thresholds: [Double], limits: ReadLimits) throws -> Scored {
    let truth = SegmentationMetrics.instances(
      of: try StackHint.adding(StackHint.imagesOnly("eval")) { try ImageFile.readImage(pair.truth, limits: limits) }
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
    // Several pages are class probabilities; page 0 is the background.
    return .probabilities(pages.count == 1 ? page : Image(width: page.width, height: page.height, samples: page.samples.map { 1 - $0 }))
  }

  // MARK: Output

  /// One image's best scores, or the overall ones (no name), and the
  /// scores of its instance image beside a probability map.
  struct Row: Encodable {
    var name: String?
    var best: BestScores
    var instances: SegmentationScores?
    /// Overall: the number of images with an instance image.
    var instanceImages: Int? = nil

    enum CodingKeys: String, CodingKey {
      case name
      case pixelError = "pixel_error", pixelMismatch = "pixel_mismatch", randError = "rand_error", iou
      case pixelErrorThreshold = "pixel_error_threshold", pixelMismatchThreshold = "pixel_mismatch_threshold"
      case randErrorThreshold = "rand_error_threshold", iouThreshold = "iou_threshold"
      case instances
    }

    enum InstanceKeys: String, CodingKey {
      case pixelError = "pixel_error", pixelMismatch = "pixel_mismatch", randError = "rand_error", iou, images
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      if let name { try c.encode(name, forKey: .name) }
      try c.encode(best.pixelError.value, forKey: .pixelError)
      try c.encode(best.pixelMismatch.value, forKey: .pixelMismatch)
      try c.encode(best.randError.value, forKey: .randError)
      try c.encode(best.iou.value, forKey: .iou)
      // Written as null when there is no threshold.
      try c.encode(best.pixelError.threshold, forKey: .pixelErrorThreshold)
      try c.encode(best.pixelMismatch.threshold, forKey: .pixelMismatchThreshold)
      try c.encode(best.randError.threshold, forKey: .randErrorThreshold)
      try c.encode(best.iou.threshold, forKey: .iouThreshold)
      if let instances {
        var i = c.nestedContainer(keyedBy: InstanceKeys.self, forKey: .instances)
        try i.encode(instances.pixelError, forKey: .pixelError)
        try i.encode(instances.pixelMismatch, forKey: .pixelMismatch)
        try i.encode(instances.randError, forKey: .randError)
        try i.encode(instances.iou, forKey: .iou)
        if let instanceImages { try i.encode(instanceImages, forKey: .images) }
      }
    }
  }

  struct Report: Encodable {
    var images: [Row]
    var overall: Row
  }

  private func printTable(_ rows: [Row], overall: Row) {
    let nameWidth = max(7, rows.map(\.name!.count).max() ?? 0)
    func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
    func cell(_ b: BestScores.Best) -> String {
      pad(String(format: "%.4f", b.value) + (b.threshold.map { String(format: " @ %.4g", $0) } ?? ""), 18)
    }
    let header =
      pad("image", nameWidth + 2) + pad("pixel error", 18) + pad("Rand error", 18) + pad("pixel mismatch", 18) + "IoU"
    print(header)
    for row in rows + [overall] {
      let b = row.best
      let line = pad(row.name ?? "overall", nameWidth + 2) + cell(b.pixelError) + cell(b.randError) + cell(b.pixelMismatch) + cell(b.iou)
      print(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
    }
    guard overall.instances != nil else { return }
    print("\ninstances (NAME.instances.*, no threshold)")
    print(header)
    for row in rows + [overall] {
      guard let s = row.instances else { continue }
      let values = [s.pixelError, s.randError, s.pixelMismatch].map { pad(String(format: "%.4f", $0), 18) }.joined()
      print(pad(row.name ?? "overall", nameWidth + 2) + values + String(format: "%.4f", s.iou))
    }
  }
}

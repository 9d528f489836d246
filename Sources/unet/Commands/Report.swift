import ArgumentParser
import Augment
import Foundation
import Raster
import Shards
import UNet
import WeightMap

/// `unet report`: a Markdown page with pictures of a pipeline's results.
struct Report: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write OUT/report.md: metric table, loss curve, weight map and per-image panels.",
    discussion: """
      Reads the scores of `unet eval --json` (--eval), the images, their true
      labels and the predictions of `unet predict` (paired by name), and
      optionally a training folder (--run: configuration, steps, the loss and
      validation errors of its metrics.jsonl against steps and minutes)
      and a weight-map folder of `unet weights --preview` (--weights). Each
      image gets OUT/NAME.panels.png: input | true instances | foreground
      probability | predicted instances.

      Scores of unet eval --volume make a volume report: the images, truth
      and predictions (NAME.prob.tiff, NAME.instances.tiff) are read as
      volumes, the table adds AP50 and the mean AP over IoU 0.5 … 0.9, and
      each panel shows three orthogonal slices through the volume's centre
      as Fiji's orthogonal views lay them out: xy at the middle z, zy at the
      middle x to its right, xz at the middle y below (z stretched by the
      voxel's z/x aspect).
      """)

  @Option(help: "Output folder.")
  var out: String

  @Option(help: "Scores written by unet eval --json.")
  var eval: String

  @Option(help: "The evaluated images (file, folder or glob).")
  var images: String

  @Option(help: "Their true labels, paired by name.")
  var truth: String

  @Option(help: "Folder of unet predict's output.")
  var pred: String

  @Option(name: .customLong("run"), help: "Training output folder (its last.ckpt and loss.svg).")
  var runFolder: String?

  @Option(help: "Folder of unet weights --preview output; its first preview is shown.")
  var weights: String?

  @Option(help: "Title of the report.")
  var title: String = "U-Net segmentation report"

  @OptionGroup var limits: LimitOptions

  func execute() throws {
    try write()
  }

  private func write() throws {
    let scores = try EvaluationReport.read(from: eval)
    // Everything is read before anything is written.
    let training = try runFolder.map { run in
      (checkpoint: try Checkpoint.read(from: try Checkpoint.resolve(run)), records: try MetricsLog.read(from: run + "/metrics.jsonl"))
    }
    try makeDirectory(out)
    var md = "# \(title)\n\n"

    md += "## Scores\n\n"
    md += "The ISBI 2012 challenge's pixel error and Rand error (1 − the best F-score of foreground pixels, "
    md += "respectively of the foreground-restricted Rand index), the fraction of misclassified pixels and the "
    md += "foreground IoU; best over thresholds (the threshold in parentheses), overall from the counts of all images "
    md += "summed. Lower errors and higher IoU are better.\n\n"
    // Volumes (unet eval --volume): the average precision beside.
    let volume = scores.overall.averagePrecision != nil
    if volume {
      md += "Volumes: every count over the whole volume; AP50 and mean AP (over IoU 0.5 … 0.9) are the object-level "
      md += "average precision TP / (TP + FP + FN) of StarDist's matching, at the threshold of the best mean AP.\n\n"
    }
    let apHeader = volume ? " AP50 | mean AP |" : ""
    let apRule = volume ? "---|---|" : ""
    md += "| image | pixel error | Rand error | pixel mismatch | IoU |\(apHeader)\n|---|---|---|---|---|\(apRule)\n"
    func cell(_ best: BestScores.Best) -> String {
      String(format: "%.4f", best.value) + (best.threshold.map { String(format: " (%.2f)", $0) } ?? "")
    }
    func cell(_ value: Double) -> String { String(format: "%.4f", value) }
    func cells(_ ap: AveragePrecision?, _ threshold: Double?) -> String {
      guard let ap else { return "" }
      return " \(cell(ap.at50 ?? 0)) | \(cell(ap.mean))\(threshold.map { String(format: " (%.2f)", $0) } ?? "") |"
    }
    let rows = scores.images + [scores.overall]
    for row in rows {
      let b = row.best
      md += "| \(row.name ?? "**overall**") | "
        + [b.pixelError, b.randError, b.pixelMismatch, b.iou].map(cell).joined(separator: " | ") + " |"
        + cells(row.averagePrecision, row.averagePrecisionThreshold) + "\n"
    }
    if scores.overall.instances != nil {
      let file = volume ? "NAME.instances.tiff" : "NAME.instances.png"
      md += "\nThe instance images (\(file), post-processed, scored once without threshold):\n\n"
      md += "| image | pixel error | Rand error | pixel mismatch | IoU |\(apHeader)\n|---|---|---|---|---|\(apRule)\n"
      for row in rows {
        guard let s = row.instances else { continue }
        md += "| \(row.name ?? "**overall**") | "
          + [s.pixelError, s.randError, s.pixelMismatch, s.iou].map(cell).joined(separator: " | ") + " |"
          + cells(row.instancesAveragePrecision, nil) + "\n"
      }
    }

    if let (checkpoint, records) = training {
      let c = checkpoint.configuration
      let a = c.architecture
      md += "\n## Training\n\n"
      md += "U-Net with \(a.baseChannels) base channels, depth \(a.depth), \(a.classes) classes, tile \(c.tile) → \(TileSize((try? c.outputExtent()) ?? [])); "
      md += "\(checkpoint.step) steps of batch \(c.batch), \(c.optimizer.summary), learning rate \(c.learningRate) (\(c.schedule.rawValue), warm-up \(c.warmupSteps)), seed \(c.seed).\n\n"
      let seconds = checkpoint.elapsed ?? records.compactMap(\.seconds).reduce(0, +)
      if seconds > 0 {
        md += String(format: "Training time: %.0f s (mean %.3f s per step).\n\n", seconds, seconds / Double(max(1, checkpoint.step)))
      }
      if let v = records.last(where: { $0.validationRandError != nil }), let rand = v.validationRandError {
        md += "Last validation, after step \(v.step)"
        md += v.elapsed.map { String(format: " (%.1f training minutes)", $0 / 60) } ?? ""
        md += String(format: ": Rand error %.4f", rand) + (v.validationRandErrorThreshold.map { String(format: " (%.2f)", $0) } ?? "")
        md += v.validationPixelError.map { String(format: ", pixel error %.4f", $0) } ?? ""
        md += (v.validationPixelErrorThreshold.map { String(format: " (%.2f)", $0) } ?? "") + ".\n\n"
      }
      try AtomicFile.write(Array(LossPlot.svg(records, title: "U-Net training").utf8), to: out + "/loss.svg")
      md += "![training loss and validation errors](loss.svg)\n"
    }

    if let weights, let preview = try expandInputs([weights]).first(where: { $0.hasSuffix(".preview.png") }) {
      try copy(preview, to: out + "/weights.preview.png")
      md += "\n## Weight map\n\n"
      md += "The training weights of `\(imageName(imageName(preview)))` (w = w_c + w0·exp(−(d1+d2)²/2σ²); bright = heavy, instance outlines drawn):\n\n"
      md += "![weight map](weights.preview.png)\n"
    }

    md += "\n## Images\n\nInput | true instances | foreground probability | predicted instances\n\n"
    if volume { md += "Each as orthogonal slices through the volume's centre: xy, zy to its right, xz below.\n\n" }
    for (name, image, labels) in try SourcePair.pair(images: images, labels: truth).map({ ($0.name, $0.image, $0.labels) }) {
      if volume {
        try ImageFile.write(try volumePanels(image: image, labels: labels, name: name), to: out + "/" + name + ".panels.png")
        md += "**\(name)**\n\n![\(name)](\(name).panels.png)\n\n"
        continue
      }
      let raw = try StackHint.adding(StackHint.imagesOnly("report")) { try ImageFile.readImage(image, limits: limits.readLimits) }
      let input = Normalization.standard.apply(to: raw)
      let truthLabels = try StackHint.adding(StackHint.imagesOnly("report")) { try ImageFile.readImage(labels, limits: limits.readLimits) }
        .labels(path: labels)
      let files = PredictionFiles(folder: pred, name: name)
      let (probabilityPath, instancesPath) = (files.probabilities, files.instances)
      let probability = Normalization.none.apply(to: try ImageFile.readPages(probabilityPath, limits: limits.readLimits)[0])
      let instances = try ImageFile.read(instancesPath, limits: limits.readLimits).labels(path: instancesPath)
      guard probability.width == raw.width, probability.height == raw.height else {
        throw RasterError(.unsupported, path: probabilityPath, "is \(probability.width) x \(probability.height), its image \(raw.width) x \(raw.height)")
      }
      let panels = PreviewPanels.grid([[
        PreviewPanels.gray(input),
        Self.colored(InstanceLabels.normalize(truthLabels, connectivity: .four)),
        PreviewPanels.gray(probability),
        Self.colored(instances),
      ]])
      try ImageFile.write(panels, to: out + "/" + name + ".panels.png")
      md += "**\(name)**\n\n![\(name)](\(name).panels.png)\n\n"
    }
    try AtomicFile.write(Array(md.utf8), to: out + "/report.md")
    print("report: \(out)/report.md")
  }

  /// The panels of a volume: input | true instances | foreground
  /// probability | predicted instances, each as orthogonal slices through
  /// the centre (``Image/orthogonalLayout(xy:zy:xz:gap:fill:)``).
  private func volumePanels(image: String, labels: String, name: String) throws -> Image<UInt8> {
    let limits = self.limits.readLimits
    let raw = try ImageFile.readVolume(image, limits: limits)
    let input = Normalization.standard.apply(to: raw)
    let truthLabels = InstanceLabels.normalize(try ImageFile.readVolume(labels, limits: limits).labels(path: labels))
    let files = PredictionFiles(folder: pred, name: name)
    let probabilityPath = files.path(.probabilities, volume: true), instancesPath = files.volumeInstances
    let pages = try ImageFile.readPages(probabilityPath, limits: limits)
    guard pages.allSatisfy({ $0.width == raw.width && $0.height == raw.height && $0.channels == 1 }),
      let foreground = ClassPlanes.foreground(volumePages: pages.map { $0.floatImage().samples }, depth: raw.depth)
    else {
      throw RasterError(
        .unsupported, path: probabilityPath,
        "is \(pages[0].width)x\(pages[0].height)x\(pages.count), its volume \(raw.width)x\(raw.height)x\(raw.depth)")
    }
    let probability = Volume(width: raw.width, height: raw.height, depth: raw.depth, spacing: raw.spacing, samples: foreground)
    let instances = try ImageFile.readVolume(instancesPath, limits: limits).labels(path: instancesPath)
    guard instances.width == raw.width, instances.height == raw.height, instances.depth == raw.depth else {
      throw RasterError(
        .unsupported, path: instancesPath,
        "is \(instances.width)x\(instances.height)x\(instances.depth), its volume \(raw.width)x\(raw.height)x\(raw.depth)")
    }
    let (x, y, z, k) = (raw.width / 2, raw.height / 2, raw.depth / 2, input.zStretch)
    func views<S>(_ v: Volume<S>, _ render: (Image<S>) -> Image<UInt8>) -> Image<UInt8> {
      let s = v.orthogonalSlices(x: x, y: y, z: z, zStretch: k)
      return Image.orthogonalLayout(xy: render(s.xy), zy: render(s.zy), xz: render(s.xz), fill: 255)
    }
    return PreviewPanels.grid([[
      views(input, PreviewPanels.gray), views(truthLabels, Self.colored), views(probability, PreviewPanels.gray),
      views(instances, Self.colored),
    ]], gap: 8)
  }

  private func copy(_ source: String, to target: String) throws {
    guard let data = FileManager.default.contents(atPath: source) else {
      throw RasterError(.io, path: source, "cannot read")
    }
    try AtomicFile.write(Array(data), to: target)
  }

  /// Instances in distinct colours (a fixed hash of the id), background black.
  static func colored(_ labels: LabelImage) -> Image<UInt8> {
    Image(width: labels.width, height: labels.height, channels: 3, samples: labels.samples.flatMap { id -> [UInt8] in
      guard id > 0 else { return [0, 0, 0] }
      var h = UInt64(id) &* 0x9E37_79B9_7F4A_7C15
      h ^= h >> 29
      return [UInt8(80 + h % 176), UInt8(80 + (h >> 8) % 176), UInt8(80 + (h >> 16) % 176)]
    })
  }
}

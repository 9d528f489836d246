import ArgumentParser
import Foundation
import Raster
import UNet
import _Support

/// `unet predict`: overlap-tile segmentation of whole images.
struct Predict: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Segment images of any size with a trained U-Net (overlap-tile, mirrored borders).",
    discussion: """
      Each image is normalised as the training images were, extended by
      mirroring, and cut into input tiles whose outputs cover it; the result
      does not depend on --tile. For each input NAME.ext, OUT gets
      NAME.prob.tiff (float32 foreground probability; one page per class when
      there are more than 2 classes), NAME.mask.png (8-bit class per pixel)
      and NAME.instances.png (16-bit instances of the foreground, 0 =
      background).

      With 2 classes the foreground is p > T: T is --threshold, else the
      threshold of the best Rand error of the run's last validation (stored
      in the checkpoint), else the foreground is the larger probability
      (argmax). With more classes the mask is the argmax class and the
      foreground its non-zero classes.

      Instances: components are the 4-connected components of the
      foreground; watershed floods the foreground from seeds, splitting cells
      that touch or are joined by a weak border. --seeds probability (the
      default) takes the maxima of the foreground probability (cells parted
      by faint borders: EM membranes, and touching nuclei too); --seeds
      distance the maxima of the distance to the background (round cells
      such as nuclei; it splits irregular EM cells). A maximum becomes a seed
      when it rises more than --seed-height (default 0.1 of probability, 2
      pixels of distance) above the pass to a higher one.

      The model is a checkpoint, a training folder, a weights file written
      by unet export or examples/pytorch/train.py (its metadata gives the
      architecture, the training tile, the normalisation and the threshold),
      or a BioImage Model Zoo package folder written by unet export --format
      bioimageio (its unetkit.safetensors).
      """)

  @Option(help: "A checkpoint, a training output folder (its last.ckpt), a weights file (.safetensors) or a package folder of unet export --format bioimageio.")
  var model: String

  @Argument(help: "Images: files, folders or globs.")
  var inputs: [String]

  @Option(help: "Output folder.")
  var out: String

  @Option(
    help: ArgumentHelp(
      "Input tile (default: the training tile; WxHxD for volumes). Larger tiles are faster and use more memory.",
      valueName: "size"))
  var tile: TileSize?

  @Flag(help: "The inputs are volumes (multi-page TIFF) and the model a 3-D network.")
  var volume = false

  @Flag(help: "Average the predictions of the 8 rotations and flips of each image (of a volume: its 8 axis flips).")
  var tta = false

  @Option(help: "Images predicted at once, each on cores/jobs threads.")
  var jobs: Int = 1

  @Option(help: ArgumentHelp("Foreground threshold in (0, 1) for 2-class models (default: the run's, else argmax).", valueName: "t"))
  var threshold: Double?

  @Option(help: "Instances of the foreground: components or watershed.")
  var instances: InstanceMethodArgument = .components

  @Option(help: "Watershed seeds: probability (maxima of the foreground probability) or distance (to the background).")
  var seeds: InstanceExtraction.Seeds = .probability

  @Option(help: ArgumentHelp("Least rise of a seed's maximum above its pass (default 2 for distance, 0.1 for probability).", valueName: "h"))
  var seedHeight: Double?

  @OptionGroup var backend: BackendOptions

  @OptionGroup var limits: LimitOptions

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    if let threshold, !(threshold > 0 && threshold < 1) {
      throw ValidationError("--threshold \(threshold): must be between 0 and 1")
    }
    if let seedHeight, !(seedHeight >= 0 && seedHeight.isFinite) {
      throw ValidationError("--seed-height \(seedHeight): must be 0 or more")
    }
    if instances == .components, seedHeight != nil {
      throw ValidationError("--seed-height applies to --instances watershed")
    }
  }

  /// The instance method the options ask for.
  var extraction: InstanceExtraction {
    switch instances {
    case .components: InstanceExtraction(.components)
    case .watershed:
      InstanceExtraction(
        .watershed(seeds: seeds, seedHeight: seedHeight ?? InstanceExtraction.defaultSeedHeight(seeds)))
    }
  }

  func execute() throws {
    let trained = try TrainedModel.read(from: model)
    let architecture = trained.architecture
    if threshold != nil && architecture.classes != 2 {
      throw ValidationError("--threshold applies to 2-class models; this one has \(architecture.classes) classes (argmax)")
    }
    let cut = architecture.classes == 2 ? threshold ?? trained.threshold : nil
    try checkDimensions(of: trained)
    guard let tileSize = tile ?? trained.tile else {
      throw FileError(.unsupported, path: model, "names no training tile in its metadata; pass --tile")
    }
    _ = try architecture.validateTile(tileSize)
    if volume { return try predictVolumes(trained, tile: tileSize, threshold: cut) }
    let normalization = trained.normalization ?? .standard
    let files = try expandInputs(inputs)
    try checkDistinctNames(files)
    // Read and check every input before writing anything.
    let images = try files.map { file -> AnyImage in
      let image = try StackHint.adding("pass --volume to predict it with a 3-D model") {
        try ImageFile.readImage(file, limits: limits.readLimits)
      }
      guard image.channels == architecture.inputChannels else {
        throw RasterError(
          .unsupported, path: file,
          "has \(image.channels) channels, the model expects \(architecture.inputChannels)")
      }
      return image
    }
    try makeDirectory(out)
    let jobs = min(self.jobs, files.count)
    let threads = max(1, availableCores / jobs)
    let progress = ProgressBar(total: files.count, label: "predict")
    let backend = self.backend.backend
    let predictors = Slots<TiledPredictor?>(count: jobs, initial: nil)
    let next = Counter()
    try parallelFor(jobs, jobs: jobs) { job in
      // Each job compiles its own network, on its own share of the cores.
      let predictor = try TiledPredictor(trained, tileSize: tileSize, backend: backend.make(threads: threads))
      predictors[job] = predictor
      while let i = next.take(below: files.count) {
        try write(
          predictor: predictor, image: normalization.apply(to: images[i]),
          files: PredictionFiles(folder: out, input: files[i]), source: files[i], threshold: cut)
        progress.advance()
      }
    }
    let foreground =
      cut.map { String(format: "p > %g", $0) + (threshold == nil ? " (the run's validation threshold)" : "") } ?? "argmax"
    print(
      "predict: \(files.count) image\(files.count == 1 ? "" : "s") -> \(out) (tile \(tileSize)\(tta ? ", 8-fold averaging" : ""); "
        + "foreground \(foreground); \(instances.rawValue))")
  }

  /// - Parameter threshold: for 2 classes, the foreground is p > threshold;
  ///   nil: the class of the largest probability.
  private func write(
    predictor: TiledPredictor, image: Image<Float>, files: PredictionFiles, source: String, threshold: Double?
  ) throws {
    let k = predictor.architecture.classes
    let (w, h) = (image.width, image.height)
    let plane = w * h
    let probabilities = try tta ? predictor.averagedProbabilities(image) : predictor.probabilities(image)
    let classes =
      threshold.map { t in probabilities[plane..<2 * plane].map { Double($0) > t ? UInt8(1) : 0 } }
      ?? ClassPlanes.argmax(probabilities, classes: k)
    let pages = ClassPlanes.probabilityPages(probabilities, classes: k)
    let mask = Image(width: w, height: h, samples: classes)
    let foregroundProbability = Image(width: w, height: h, samples: ClassPlanes.foreground(pages: pages))
    let components = extraction.instances(of: foregroundProbability, foreground: classes.map { $0 > 0 })
    let count = components.samples.max() ?? 0
    guard count <= UInt32(UInt16.max) else {
      throw RasterError(.unsupported, path: source, "has \(count) instances, more than a 16-bit PNG holds")
    }
    let instances = Image(width: w, height: h, samples: components.samples.map { UInt16($0) })
    try ImageFile.writePages(
      pages.map { AnyImage(Image(width: w, height: h, samples: Array($0))) }, to: files.probabilities)
    try ImageFile.write(AnyImage(mask), to: files.mask)
    try ImageFile.write(AnyImage(instances), to: files.instances)
  }
}

/// `--instances`: how the foreground becomes instances.
enum InstanceMethodArgument: String, ExpressibleByArgument, CaseIterable {
  case components, watershed
}

extension InstanceExtraction.Seeds: ExpressibleByArgument {}

import ArgumentParser
import Augment
import Foundation
import Raster
import UNet
import WeightMap

/// `unet predict`: overlap-tile segmentation of whole images.
struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Segment images of any size with a trained U-Net (overlap-tile, mirrored borders).",
    discussion: """
      Each image is normalised as the training images were, extended by
      mirroring, and cut into input tiles whose outputs cover it; the result
      does not depend on --tile. For each input NAME.ext, OUT gets
      NAME.prob.tiff (float32 foreground probability; one page per class when
      there are more than 2 classes), NAME.mask.png (8-bit class per pixel)
      and NAME.instances.png (16-bit 4-connected components of the
      foreground, 0 = background).
      """)

  @Option(help: "A checkpoint file or a training output folder (its last.ckpt).")
  var model: String

  @Argument(help: "Images: files, folders or globs.")
  var inputs: [String]

  @Option(help: "Output folder.")
  var out: String

  @Option(help: "Input tile size (default: the training tile). Larger tiles are faster and use more memory.")
  var tile: Int?

  @Flag(help: "Average the predictions of the 8 rotations and flips of each image.")
  var tta = false

  @Option(help: "Images predicted at once, each on cores/jobs threads.")
  var jobs: Int = 1

  @OptionGroup var limits: LimitOptions

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
  }

  func run() throws {
    do {
      try predict()
    } catch {
      printError(error)
      throw ExitCode.failure
    }
  }

  private func predict() throws {
    let checkpoint = try Checkpoint.read(from: try Checkpoint.resolve(model))
    let architecture = checkpoint.configuration.architecture
    let tileSize = tile ?? checkpoint.configuration.tile
    _ = try architecture.validateTile(tileSize)
    let normalization = try checkpoint.configuration.normalization.map {
      try JSONDecoder().decode(Normalization.self, from: Data($0.utf8))
    } ?? .standard
    let files = try expandInputs(inputs)
    try checkDistinctNames(files)
    // Read and check every input before writing anything.
    let images = try files.map { file -> AnyImage in
      let image = try StackHint.adding(StackHint.imagesOnly("predict")) {
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
    let progress = Progress(total: files.count, label: "predict")
    let parameters = checkpoint.parameters
    let predictors = Slots<TiledPredictor?>(count: jobs, initial: nil)
    let next = Counter()
    try parallelFor(jobs, jobs: jobs) { job in
      // Each job compiles its own network, on its own share of the cores.
      let predictor = try TiledPredictor(
        architecture: architecture, parameters: parameters, tile: tileSize, backend: DNNLBackend(threads: threads))
      predictors[job] = predictor
      while let i = next.take(below: files.count) {
        try write(
          predictor: predictor, image: normalization.apply(to: images[i]), name: imageName(files[i]), source: files[i])
        progress.advance()
      }
    }
    print("predict: \(files.count) image\(files.count == 1 ? "" : "s") -> \(out) (tile \(tileSize)\(tta ? ", 8-fold averaging" : ""))")
  }

  private func write(predictor: TiledPredictor, image: Image<Float>, name: String, source: String) throws {
    let k = predictor.architecture.classes
    let (w, h) = (image.width, image.height)
    let plane = w * h
    let probabilities = tta ? predictor.averagedProbabilities(image) : predictor.probabilities(image)
    var classes = [UInt8](repeating: 0, count: plane)
    for p in 0..<plane {
      var best = 0
      for j in 1..<k where probabilities[j * plane + p] > probabilities[best * plane + p] { best = j }
      classes[p] = UInt8(best)
    }
    let pages: [Image<Float>] =
      k == 2
      ? [Image(width: w, height: h, samples: Array(probabilities[plane..<2 * plane]))]
      : (0..<k).map { Image(width: w, height: h, samples: Array(probabilities[$0 * plane..<($0 + 1) * plane])) }
    let mask = Image(width: w, height: h, samples: classes)
    let foreground = Image(width: w, height: h, samples: classes.map { $0 > 0 ? UInt8(1) : 0 })
    let components = ConnectedComponents.label(foreground, connectivity: .four)
    let count = components.samples.max() ?? 0
    guard count <= UInt32(UInt16.max) else {
      throw RasterError(.unsupported, path: source, "has \(count) foreground components, more than a 16-bit PNG holds")
    }
    let instances = Image(width: w, height: h, samples: components.samples.map { UInt16($0) })
    try ImageFile.writePages(pages.map(AnyImage.init), to: out + "/" + name + ".prob.tiff")
    try ImageFile.write(AnyImage(mask), to: out + "/" + name + ".mask.png")
    try ImageFile.write(AnyImage(instances), to: out + "/" + name + ".instances.png")
  }
}

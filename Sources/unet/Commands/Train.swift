import ArgumentParser
import Foundation
import Raster
import Shards
import UNet
import WeightMap

/// `unet train`: the paper's U-Net trained on the shards of `unet augment`.
struct Train: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train the U-Net on a dataset written by unet augment (oneDNN on all cores).",
    discussion: """
      Each step takes one output-sized region of a sample (388x388 for the
      572 tile) with its mirrored context, runs the network forward, the
      weight-map-weighted softmax cross-entropy, backward, and the
      optimiser step (SGD with momentum, Adam or AdamW, with PyTorch's
      rules). Every shard is checked against manifest.json before use.

      OUT gets metrics.jsonl (one JSON line per step and per validation, each
      with the training seconds so far), loss.svg, last.ckpt (the newest
      checkpoint) and the previous few as step-NNNNNN.ckpt.

      With --val-images and --val-labels, each validation predicts the images
      whole (overlap-tile, no 8-fold averaging) and logs the weighted loss
      (masks and weights made as the dataset's, by its manifest) and the
      ISBI 2012 pixel and Rand errors with their best thresholds, the numbers
      unet eval gives for the same checkpoint. For 2 classes the checkpoint
      keeps the last validation's Rand-error threshold, which unet predict
      then uses.
      --resume continues from OUT/last.ckpt with the same result as an
      uninterrupted run (at the same --threads). Ctrl-C writes a checkpoint
      and stops. --init starts a new run from trained weights (a checkpoint,
      or a unet-export or examples/pytorch weights file): its architecture
      and training tile are the model's.

      The loss is averaged over the pixels of a step. With SGD, learning
      rate 0.001 and momentum 0.99 after a 100-step linear warm-up train
      stably on the ISBI data; 0.01 stalls at the class prior and diverges.

      --norm-layer batch puts batch normalisation (PyTorch's BatchNorm2d:
      learned scale and shift, eps 1e-5, momentum 0.1) between each 3x3
      convolution, which then has no bias, and its ReLU. Training normalises
      with the batch's statistics; validation and unet predict with the
      running statistics kept in the checkpoint, so predictions do not
      depend on where tiles fall.

      Recipes: --recipe paper is the paper's, with no normalisation layers
      (the learning rate, warm-up and steps, where the paper is silent, are
      this project's): \(Recipe.paper.summary).
      --recipe default is what runs without --recipe, chosen by a recipe
      study on ISBI (docs/recipe-study.md; about 30 minutes on 2 cores):
      \(Recipe.default.summary).
      Options given beside a recipe override its values.

      --time-limit M stops once the run's training time (elapsed in
      metrics.jsonl: steps and checkpoint writes of all its segments,
      without start-up and validation) reaches M minutes, writes a
      checkpoint and exits 0; a later --resume with a larger --time-limit
      continues it.
      """)

  @Option(help: "Dataset folder written by unet augment (with manifest.json).")
  var shards: String

  @Option(help: "Output folder for checkpoints, metrics.jsonl and loss.svg.")
  var out: String

  @Option(
    help: ArgumentHelp(
      "The recipe the other options start from: paper or default (see the discussion); options given override its values.",
      valueName: "name"))
  var recipe: Recipe?

  @Option(help: "Training steps in total (default \(Recipe.default.steps), --recipe paper \(Recipe.paper.steps); on --resume, a new total to train longer).")
  var steps: Int?

  @Option(help: "Learning rate (default \(Recipe.default.learningRate); --recipe paper \(Recipe.paper.learningRate)).")
  var lr: Double?

  @Option(help: "Optimiser: sgd, adam or adamw (default \(Recipe.default.optimizer.name); --recipe paper \(Recipe.paper.optimizer.name), the paper's).")
  var optimizer: OptimizerName?

  @Option(help: "SGD momentum (default 0.99, the paper's).")
  var momentum: Double?

  @Flag(inversion: .prefixedNo, help: "Nesterov momentum for SGD (PyTorch's rule; default off).")
  var nesterov: Bool?

  @Option(help: "Weight decay: an L2 term for sgd and adam, decoupled for adamw (default 0; adamw 0.01).")
  var weightDecay: Double?

  @Option(help: ArgumentHelp("Adam's and AdamW's beta1,beta2 (default 0.9,0.999).", valueName: "b1,b2"))
  var betas: Betas?

  @Option(help: "Adam's and AdamW's epsilon (default 1e-8).")
  var eps: Double?

  @Option(help: "Learning-rate schedule: constant, cosine, step or poly (default constant).")
  var schedule: LearningRateSchedule?

  @Option(help: "Steps of linear learning-rate warm-up (default 100, or steps/10 when fewer).")
  var warmup: Int?

  @Option(help: "Channels of the first level (default \(Recipe.default.baseChannels); --recipe paper \(Recipe.paper.baseChannels), the paper's).")
  var baseChannels: Int?

  @Option(help: "Number of poolings (default 4, the paper's).")
  var depth: Int?

  @Option(help: "Output classes (default 2).")
  var classes: Int?

  @Option(help: "Dropout probability at the end of the contracting path (default 0.5).")
  var dropout: Double?

  @Option(help: "Normalisation after each 3x3 convolution: none (the paper's, default) or batch.")
  var normLayer: NormLayer?

  @Option(help: "Input tile size (default 572, output 388).")
  var tile: Int?

  @Option(help: "Tiles per step (default 1).")
  var batch: Int?

  @Option(help: "Seed of the initial weights, tile order, crops and dropout (default 0).")
  var seed: UInt64?

  @Option(help: "Shuffle-buffer size in samples (default 16).")
  var shuffleBuffer: Int?

  @Option(help: "Write a checkpoint every N steps (and at the end).")
  var checkpointEvery: Int = 100

  @Option(help: "Older checkpoints to keep beside last.ckpt.")
  var keep: Int = 3

  @Flag(help: "Continue the run in --out from its last.ckpt.")
  var resume = false

  @Option(
    name: .customLong("init"),
    help: ArgumentHelp(
      "Start from these weights: a checkpoint, a training folder or a weights file (unet export, examples/pytorch).",
      valueName: "file"))
  var initial: String?

  @Option(help: "Validation images (file, folder or glob), scored as unet eval scores them; their labels via --val-labels.")
  var valImages: String?

  @Option(help: "Labels of the validation images, paired by name.")
  var valLabels: String?

  @Option(help: "Validate every N steps (default: at each checkpoint).")
  var valEvery: Int?

  @Option(
    help: ArgumentHelp(
      "Stop after this many minutes of training (all segments of a resumed run together), with a checkpoint.",
      valueName: "minutes"))
  var timeLimit: Double?

  @Option(help: "oneDNN threads (default: all cores). Fix it for bit-identical resumes.")
  var threads: Int?

  @Flag(help: "List the implementation oneDNN chose for every primitive of a step.")
  var verbose = false

  @OptionGroup var backend: BackendOptions

  @OptionGroup var limits: LimitOptions

  func validate() throws {
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
    guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
    guard keep >= 0 else { throw ValidationError("--keep must not be negative, got \(keep)") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    if let valEvery, valEvery < 1 { throw ValidationError("--val-every must be at least 1, got \(valEvery)") }
    guard (valImages == nil) == (valLabels == nil) else {
      throw ValidationError("--val-images and --val-labels go together")
    }
    guard !(resume && initial != nil) else {
      throw ValidationError("--init starts a new run and --resume continues one; pass one of them")
    }
    if let timeLimit, !(timeLimit > 0 && timeLimit.isFinite) {
      throw ValidationError("--time-limit must be a positive number of minutes, got \(timeLimit)")
    }
    // The ranges of the values given (the tile, which depends on the depth,
    // is checked against it when the run starts; on --resume the optimiser
    // options are checked against the run's own optimiser).
    let r = chosenRecipe
    let given = TrainingConfiguration(
      architecture: Architecture(
        inputChannels: 1, classes: classes ?? 2, baseChannels: baseChannels ?? r.baseChannels, depth: depth ?? r.depth,
        dropout: dropout ?? r.dropout, normLayer: normLayer ?? r.normLayer),
      tile: tile ?? r.tile, batch: batch ?? r.batch, steps: steps ?? r.steps, learningRate: lr ?? r.learningRate,
      optimizer: resume ? ((try? optimizer(startingFrom: r.optimizer)) ?? r.optimizer) : try optimizer(startingFrom: r.optimizer),
      warmupSteps: warmup ?? 0,
      shuffleBuffer: shuffleBuffer ?? 16, shards: shards)
    if let problem = given.problem { throw ValidationError(problem) }
  }

  func execute() throws {
    let backend = self.backend.backend.make(threads: threads)
    let created = !FileManager.default.fileExists(atPath: out)
    try makeDirectory(out)
    do {
      try train(backend: backend)
    } catch {
      // A refused run leaves no empty folder behind.
      if created { rmdir(out) }
      throw error
    }
  }

  private func train(backend: any Backend) throws {
    let last = out + "/" + Checkpoint.lastName
    let trainer: Trainer
    if resume {
      guard FileManager.default.fileExists(atPath: last) else {
        throw FileError(.notFound, path: out, "no \(Checkpoint.lastName) to resume from; drop --resume to start a run")
      }
      let checkpoint = try Checkpoint.read(from: last)
      try checkUnchanged(checkpoint.configuration)
      trainer = try Trainer(
        resuming: checkpoint, steps: steps, directory: out, backend: backend, checkpointEvery: checkpointEvery,
        keepCheckpoints: keep, validateEvery: valEvery ?? checkpointEvery)
    } else {
      guard !FileManager.default.fileExists(atPath: last) else {
        throw TrainingError("\(out): already holds a training run (\(Checkpoint.lastName)); pass --resume to continue it or choose another --out")
      }
      let model = try initial.map { try TrainedModel.read(from: $0) }
      trainer = try Trainer(
        configuration: try newConfiguration(startingFrom: model), initialParameters: model?.parameters,
        initialStatistics: model?.statistics, directory: out, backend: backend, checkpointEvery: checkpointEvery,
        keepCheckpoints: keep, validateEvery: valEvery ?? checkpointEvery)
    }
    if let valImages, let valLabels {
      trainer.validation = try loadValidation(images: valImages, labels: valLabels, configuration: trainer.configuration)
    }

    let c = trainer.configuration
    let a = c.architecture
    let log = TrainingProgress(total: c.steps, start: trainer.step)
    let start = trainer.step > 0 ? "; resuming at step \(trainer.step)" : initial.map { "; starting from \($0)" } ?? ""
    log.line(
      "train: \(a.baseChannels) base channels, depth \(a.depth)\(a.normLayer == .batch ? ", batch norm" : ""), "
        + "tile \(c.tile) -> \(c.tile - 2 * a.margin), batch \(c.batch), "
        + "lr \(c.learningRate) (\(c.schedule.rawValue), warm-up \(c.warmupSteps)), \(c.optimizer.summary); "
        + "\(trainer.backendName)" + start)
    if verbose { log.line(KernelList(trainer.kernels).description) }

    let stop = Interrupt.install()
    let limit = timeLimit.map { $0 * 60 }
    var timeIsUp = false
    let outcome = try trainer.run(
      report: { log.step($0) },
      shouldStop: {
        if stop.requested { return true }
        timeIsUp = limit.map { trainer.elapsed >= $0 } ?? false
        return timeIsUp
      })
    log.finish()
    switch outcome {
    case .finished(let step):
      print("train: \(step) steps done; checkpoint \(last), metrics \(out)/metrics.jsonl, plot \(out)/loss.svg")
    case .interrupted(let step) where timeIsUp && !stop.requested:
      let minutes = String(format: "%.2f", trainer.elapsed / 60)
      print(
        "train: time limit of \(timeLimit!) minutes reached after step \(step) (\(minutes) minutes of training); "
          + "checkpoint \(last); continue with --resume and a larger --time-limit")
    case .interrupted(let step):
      print("train: interrupted after step \(step); checkpoint \(last); continue with --resume")
      throw ExitCode(130)
    }
  }

  /// The configuration of a new run; with `model` (--init), its
  /// architecture and training tile, which the options may only repeat.
  private func newConfiguration(startingFrom model: TrainedModel?) throws -> TrainingConfiguration {
    let manifestPath = shards + "/" + Manifest.fileName
    let manifest = try Manifest.read(from: manifestPath)
    let normalization = try manifest.datasetDescription(path: manifestPath).normalization
    let r = chosenRecipe
    var architecture = Architecture(
      inputChannels: 1, classes: classes ?? 2, baseChannels: baseChannels ?? r.baseChannels, depth: depth ?? r.depth,
      dropout: dropout ?? r.dropout, normLayer: normLayer ?? r.normLayer)
    var tileSize = tile ?? r.tile
    if let model, let initial {
      let a = model.architecture
      for (name, value, stored) in [
        ("--classes", classes.map(String.init), "\(a.classes)"),
        ("--base-channels", baseChannels.map(String.init), "\(a.baseChannels)"),
        ("--depth", depth.map(String.init), "\(a.depth)"), ("--norm-layer", normLayer?.rawValue, a.normLayer.rawValue),
      ] {
        if let value, value != stored { throw TrainingError("\(name) \(value) differs from the model in \(initial) (\(stored))") }
      }
      architecture = a
      architecture.dropout = dropout ?? a.dropout
      tileSize = tile ?? model.tile ?? r.tile
      if let trained = model.normalization, trained != (normalization ?? .standard) {
        let warning =
          "train: warning: \(initial) was trained on images normalised as \(jsonText(trained)), "
          + "the dataset's are \(jsonText(normalization ?? .standard))\n"
        FileHandle.standardError.write(Data(warning.utf8))
      }
    }
    let configuration = TrainingConfiguration(
      architecture: architecture, tile: tileSize, batch: batch ?? r.batch, steps: steps ?? r.steps,
      learningRate: lr ?? r.learningRate, optimizer: try optimizer(startingFrom: r.optimizer),
      schedule: schedule ?? r.schedule, warmupSteps: warmup ?? r.warmup(forSteps: steps ?? r.steps), seed: seed ?? 0,
      shuffleBuffer: shuffleBuffer ?? 16, shards: shards, normalization: normalization)
    try configuration.validate()
    return configuration
  }

  /// On --resume, options that shape the run must agree with the checkpoint.
  private func checkUnchanged(_ c: TrainingConfiguration) throws {
    let a = c.architecture
    let given: [(String, String?, String)] = [
      ("--lr", lr.map { "\($0)" }, "\(c.learningRate)"),
      ("--schedule", schedule?.rawValue, c.schedule.rawValue),
      ("--warmup", warmup.map { "\($0)" }, "\(c.warmupSteps)"),
      ("--base-channels", baseChannels.map { "\($0)" }, "\(a.baseChannels)"),
      ("--depth", depth.map { "\($0)" }, "\(a.depth)"),
      ("--classes", classes.map { "\($0)" }, "\(a.classes)"),
      ("--dropout", dropout.map { "\($0)" }, "\(a.dropout)"),
      ("--norm-layer", normLayer?.rawValue, a.normLayer.rawValue),
      ("--tile", tile.map { "\($0)" }, "\(c.tile)"),
      ("--batch", batch.map { "\($0)" }, "\(c.batch)"),
      ("--seed", seed.map { "\($0)" }, "\(c.seed)"),
      ("--shuffle-buffer", shuffleBuffer.map { "\($0)" }, "\(c.shuffleBuffer)"),
    ] + resumedChoices(c)
    for (name, value, stored) in given {
      if let value, value != stored {
        throw TrainingError("\(name) \(value) differs from the run being resumed (\(stored)); drop it, or start a new run in another --out")
      }
    }
    let resolved = (shards as NSString).standardizingPath
    guard resolved == (c.shards as NSString).standardizingPath else {
      throw TrainingError("--shards \(shards) differs from the run being resumed (\(c.shards))")
    }
  }

  /// Validation pairs, normalised like the dataset, with their truth as
  /// unet eval reads it and the masks and weights the dataset's manifest
  /// describes (separation, connectivity, w0, σ, class weights).
  private func loadValidation(images: String, labels: String, configuration: TrainingConfiguration) throws -> [ValidationImage] {
    let normalization = configuration.normalization ?? .standard
    let manifestPath = configuration.shards + "/" + Manifest.fileName
    let weightMap = try DatasetWeightMap(
      manifestConfiguration: try Manifest.read(from: manifestPath).configuration, path: manifestPath)
    return try SourcePair.pair(images: images, labels: labels).map { pair in
      let (raw, labelImage) = try StackHint.adding(StackHint.imagesOnly("train")) {
        (
          try ImageFile.readImage(pair.image, limits: limits.readLimits),
          try ImageFile.readImage(pair.labels, limits: limits.readLimits).labels(path: pair.labels)
        )
      }
      guard raw.width == labelImage.width, raw.height == labelImage.height else {
        throw RasterError(.unsupported, path: pair.labels, "is \(labelImage.width) x \(labelImage.height) but its image is \(raw.width) x \(raw.height)")
      }
      guard raw.channels == configuration.architecture.inputChannels else {
        throw RasterError(
          .unsupported, path: pair.image,
          "has \(raw.channels) channels, the network expects \(configuration.architecture.inputChannels)")
      }
      return ValidationImage(
        name: pair.name, image: normalization.apply(to: raw), labels: labelImage, weightMap: weightMap)
    }
  }
}

extension LearningRateSchedule: ExpressibleByArgument {}
extension NormLayer: ExpressibleByArgument {}

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

  @OptionGroup var optimization: OptimizationOptions

  @OptionGroup var network: NetworkOptions

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

  @OptionGroup var threads: ThreadOptions

  @Flag(help: "List the implementation oneDNN chose for every primitive of a step.")
  var verbose = false

  @OptionGroup var backend: BackendOptions

  @OptionGroup var limits: LimitOptions

  /// What the options choose, over the recipe.
  var overrides: TrainingOverrides {
    var overrides = TrainingOverrides()
    optimization.apply(to: &overrides)
    network.apply(to: &overrides)
    return overrides
  }

  func validate() throws {
    guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
    guard keep >= 0 else { throw ValidationError("--keep must not be negative, got \(keep)") }
    if let valEvery, valEvery < 1 { throw ValidationError("--val-every must be at least 1, got \(valEvery)") }
    guard (valImages == nil) == (valLabels == nil) else { throw ValidationError("--val-images and --val-labels go together") }
    guard !(resume && initial != nil) else {
      throw ValidationError("--init starts a new run and --resume continues one; pass one of them")
    }
    if let timeLimit, !(timeLimit > 0 && timeLimit.isFinite) {
      throw ValidationError("--time-limit must be a positive number of minutes, got \(timeLimit)")
    }
    try OptionNames.training.checking { try overrides.checkRanges(resuming: resume) }
  }

  func execute() throws {
    let created = !FileManager.default.fileExists(atPath: out)
    try makeDirectory(out)
    do {
      try OptionNames.training.checking { try train(backend: backend.backend.make(threads: threads.threads)) }
    } catch let conflict as SettingConflict {
      if created { rmdir(out) }
      let advice = conflict.source == .resumedRun ? "; drop it, or start a new run in another --out" : ""
      throw TrainingError(OptionNames.training.message(conflict) + advice)
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
      try overrides.checkResumed(checkpoint.configuration)
      guard (shards as NSString).standardizingPath == (checkpoint.configuration.shards as NSString).standardizingPath else {
        throw TrainingError("--shards \(shards) differs from the run being resumed (\(checkpoint.configuration.shards))")
      }
      trainer = try Trainer(
        resuming: checkpoint, steps: optimization.steps, directory: out, backend: backend,
        checkpointEvery: checkpointEvery, keepCheckpoints: keep, validateEvery: valEvery ?? checkpointEvery)
    } else {
      guard !FileManager.default.fileExists(atPath: last) else {
        throw TrainingError("\(out): already holds a training run (\(Checkpoint.lastName)); pass --resume to continue it or choose another --out")
      }
      let model = try initial.map { try TrainedModel.read(from: $0) }
      let normalization = try Manifest.read(from: shards + "/" + Manifest.fileName).normalization(path: shards + "/" + Manifest.fileName)
      let configuration = try overrides.newRun(
        shards: shards, normalization: normalization, model: model.map { ($0.architecture, $0.tile, initial!) })
      if let model, let trained = model.normalization, trained != (normalization ?? .standard) {
        FileHandle.standardError.write(Data(("train: warning: \(initial!) was trained on images normalised as \(jsonText(trained)), "
          + "the dataset's are \(jsonText(normalization ?? .standard))\n").utf8))
      }
      trainer = try Trainer(
        configuration: configuration, initialParameters: model?.parameters, initialStatistics: model?.statistics,
        directory: out, backend: backend, checkpointEvery: checkpointEvery, keepCheckpoints: keep,
        validateEvery: valEvery ?? checkpointEvery)
    }
    if let valImages, let valLabels {
      trainer.validation = try StackHint.adding(StackHint.imagesOnly("train")) {
        try ValidationImage.load(
          SourcePair.pair(images: valImages, labels: valLabels), configuration: trainer.configuration,
          limits: limits.readLimits)
      }
    }
    try run(trainer, last: last)
  }

  private func run(_ trainer: Trainer, last: String) throws {
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
      print(
        "train: time limit of \(timeLimit!) minutes reached after step \(step) (\(String(format: "%.2f", trainer.elapsed / 60)) "
          + "minutes of training); checkpoint \(last); continue with --resume and a larger --time-limit")
    case .interrupted(let step):
      print("train: interrupted after step \(step); checkpoint \(last); continue with --resume")
      throw ExitCode(130)
    }
  }
}

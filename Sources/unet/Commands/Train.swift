import ArgumentParser
import Foundation
import Raster
import UNet

/// `unet train`: the paper's U-Net trained on the shards of `unet augment`.
struct Train: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train the U-Net on a dataset written by unet augment (oneDNN on all cores).",
    discussion: """
      Each step takes one output-sized region of a sample (388x388 for the
      572 tile) with its mirrored context, runs the network forward, the
      weight-map-weighted softmax cross-entropy (averaged over the step's
      pixels), backward, and the optimiser step (SGD with momentum, Adam or
      AdamW, with PyTorch's rules). Every shard is checked against
      manifest.json before use. OUT gets metrics.jsonl (a JSON line per step
      and per validation, with the training seconds so far), loss.svg,
      last.ckpt and the previous few checkpoints as step-NNNNNN.ckpt.

      Options given beside a recipe override its values. --recipe paper,
      the paper's with its silences filled (docs/training.md):
      \(Recipe.paper.summary).
      --recipe default, what runs without --recipe, chosen by a recipe study
      on ISBI (docs/recipe-study.md):
      \(Recipe.default.summary).
      --norm-layer batch puts PyTorch's BatchNorm2d (eps 1e-5, momentum 0.1)
      between each 3x3 convolution, which then has no bias, and its ReLU.

      With --val-images and --val-labels, each validation predicts the images
      whole and logs the weighted loss and the ISBI 2012 pixel and Rand
      errors with their best thresholds, as unet eval scores the checkpoint;
      for 2 classes the checkpoint keeps the Rand-error threshold for unet
      predict. --resume continues from OUT/last.ckpt with the same result as
      an uninterrupted run (at the same --threads); Ctrl-C writes a
      checkpoint and stops. --init starts a new run from trained weights,
      with the model's architecture and training tile. --time-limit M stops
      with a checkpoint once the run's training time (all its segments,
      without start-up and validation) reaches M minutes; a later --resume
      with a larger --time-limit continues it.
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
    let trainer = try Trainer.open(
      directory: out, shards: shards, overrides: overrides, resume: resume, initial: initial, backend: backend,
      checkpointEvery: checkpointEvery, keepCheckpoints: keep, validateEvery: valEvery ?? checkpointEvery,
      warning: { FileHandle.standardError.write(Data("train: warning: \($0)\n".utf8)) })
    if let valImages, let valLabels {
      trainer.validation = try StackHint.adding(StackHint.imagesOnly("train")) {
        try ValidationImage.load(
          SourcePair.pair(images: valImages, labels: valLabels), configuration: trainer.configuration,
          limits: limits.readLimits)
      }
    }
    let last = out + "/" + Checkpoint.lastName
    let log = TrainingProgress(trainer, initial: initial, kernels: verbose)
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

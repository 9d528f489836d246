import ArgumentParser
import Augment
import Dispatch
import Foundation
import Raster
import Shards
import Synchronization
import UNet
import WeightMap

/// `unet train`: the paper's U-Net trained on the shards of `unet augment`.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train the U-Net on a dataset written by unet augment (oneDNN on all cores).",
    discussion: """
      Each step takes one output-sized region of a sample (388x388 for the
      572 tile) with its mirrored context, runs the network forward, the
      weight-map-weighted softmax cross-entropy, backward, and SGD with
      momentum. Every shard is checked against manifest.json before use.

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
      and stops.

      The loss is averaged over the pixels of a step. The default learning
      rate, 0.001 with momentum 0.99 after a 100-step linear warm-up, trains
      stably on the ISBI data; 0.01 stalls at the class prior and diverges.
      """)

  @Option(help: "Dataset folder written by unet augment (with manifest.json).")
  var shards: String

  @Option(help: "Output folder for checkpoints, metrics.jsonl and loss.svg.")
  var out: String

  @Option(help: "Training steps in total (default 1000; on --resume, a new total to train longer).")
  var steps: Int?

  @Option(help: "Learning rate (default 0.001).")
  var lr: Double?

  @Option(help: "SGD momentum (default 0.99, the paper's).")
  var momentum: Double?

  @Option(help: "Learning-rate schedule: constant, cosine or step (default constant).")
  var schedule: LearningRateSchedule?

  @Option(help: "Steps of linear learning-rate warm-up (default 100, or steps/10 when fewer).")
  var warmup: Int?

  @Option(help: "Channels of the first level (default 64, the paper's).")
  var baseChannels: Int?

  @Option(help: "Number of poolings (default 4, the paper's).")
  var depth: Int?

  @Option(help: "Output classes (default 2).")
  var classes: Int?

  @Option(help: "Dropout probability at the end of the contracting path (default 0.5).")
  var dropout: Double?

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

  @Option(help: "Validation images (file, folder or glob), scored as unet eval scores them; their labels via --val-labels.")
  var valImages: String?

  @Option(help: "Labels of the validation images, paired by name.")
  var valLabels: String?

  @Option(help: "Validate every N steps (default: at each checkpoint).")
  var valEvery: Int?

  @Option(help: "oneDNN threads (default: all cores). Fix it for bit-identical resumes.")
  var threads: Int?

  @Flag(help: "List the implementation oneDNN chose for every primitive of a step.")
  var verbose = false

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
  }

  func run() throws {
    do {
      try train()
    } catch let error as ExitCode {
      throw error
    } catch {
      printError(error)
      throw ExitCode.failure
    }
  }

  private func train() throws {
    let backend = DNNLBackend(threads: threads)
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

  private func train(backend: DNNLBackend) throws {
    let last = out + "/" + Checkpoint.lastName
    let trainer: Trainer
    if resume {
      guard FileManager.default.fileExists(atPath: last) else {
        throw TrainingError("\(out): no \(Checkpoint.lastName) to resume from; drop --resume to start a run")
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
      trainer = try Trainer(
        configuration: try newConfiguration(), directory: out, backend: backend, checkpointEvery: checkpointEvery,
        keepCheckpoints: keep, validateEvery: valEvery ?? checkpointEvery)
    }
    if let valImages, let valLabels {
      trainer.validation = try loadValidation(images: valImages, labels: valLabels, configuration: trainer.configuration)
    }

    let c = trainer.configuration
    let a = c.architecture
    let log = StepLog(total: c.steps, start: trainer.step)
    log.line(
      "train: \(a.baseChannels) base channels, depth \(a.depth), tile \(c.tile) -> \(c.tile - 2 * a.margin), batch \(c.batch), "
        + "lr \(c.learningRate) (\(c.schedule.rawValue), warm-up \(c.warmupSteps)), momentum \(c.momentum); "
        + "\(trainer.backendName)" + (trainer.step > 0 ? "; resuming at step \(trainer.step)" : ""))
    if verbose { log.line(KernelList(trainer.kernels).description) }

    let stop = Interrupt.install()
    let outcome = try trainer.run(report: { log.step($0) }, shouldStop: { stop.requested })
    log.finish()
    switch outcome {
    case .finished(let step):
      print("train: \(step) steps done; checkpoint \(last), metrics \(out)/metrics.jsonl, plot \(out)/loss.svg")
    case .interrupted(let step):
      print("train: interrupted after step \(step); checkpoint \(last); continue with --resume")
      throw ExitCode(130)
    }
  }

  private func newConfiguration() throws -> TrainingConfiguration {
    let manifest = try Manifest.read(from: shards + "/" + Manifest.fileName)
    let normalization = manifest.parameters["augment"]?["normalization"].map { $0.serialized(indent: 0) }
    let architecture = Architecture(
      inputChannels: 1, classes: classes ?? 2, baseChannels: baseChannels ?? 64, depth: depth ?? 4,
      dropout: dropout ?? 0.5)
    if let problem = architecture.problem { throw TrainingError(problem) }
    let configuration = TrainingConfiguration(
      architecture: architecture, tile: tile ?? 572, batch: batch ?? 1, steps: steps ?? 1000, learningRate: lr ?? TrainingConfiguration.defaultLearningRate,
      momentum: momentum ?? 0.99, schedule: schedule ?? .constant, warmupSteps: warmup ?? min(100, (steps ?? 1000) / 10),
      seed: seed ?? 0, shuffleBuffer: shuffleBuffer ?? 16, shards: shards, normalization: normalization)
    try configuration.validate()
    return configuration
  }

  /// On --resume, options that shape the run must agree with the checkpoint.
  private func checkUnchanged(_ c: TrainingConfiguration) throws {
    let a = c.architecture
    let given: [(String, String?, String)] = [
      ("--lr", lr.map { "\($0)" }, "\(c.learningRate)"),
      ("--momentum", momentum.map { "\($0)" }, "\(c.momentum)"),
      ("--schedule", schedule?.rawValue, c.schedule.rawValue),
      ("--warmup", warmup.map { "\($0)" }, "\(c.warmupSteps)"),
      ("--base-channels", baseChannels.map { "\($0)" }, "\(a.baseChannels)"),
      ("--depth", depth.map { "\($0)" }, "\(a.depth)"),
      ("--classes", classes.map { "\($0)" }, "\(a.classes)"),
      ("--dropout", dropout.map { "\($0)" }, "\(a.dropout)"),
      ("--tile", tile.map { "\($0)" }, "\(c.tile)"),
      ("--batch", batch.map { "\($0)" }, "\(c.batch)"),
      ("--seed", seed.map { "\($0)" }, "\(c.seed)"),
      ("--shuffle-buffer", shuffleBuffer.map { "\($0)" }, "\(c.shuffleBuffer)"),
    ]
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
    let normalization = try configuration.normalization.map {
      try JSONDecoder().decode(Normalization.self, from: Data($0.utf8))
    } ?? .standard
    let manifestPath = configuration.shards + "/" + Manifest.fileName
    let weightMap = try DatasetWeightMap(
      manifestParameters: try Manifest.read(from: manifestPath).parameters, path: manifestPath)
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

/// Progress of `unet train`: a bar on a terminal, plain lines otherwise.
final class StepLog {
  private let total: Int
  private let start: Int
  private let terminal = isatty(2) != 0
  private var times: [Double] = []
  private var lastLine = Date.distantPast

  init(total: Int, start: Int) {
    self.total = total
    self.start = start
  }

  func line(_ text: String) {
    clearBar()
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  func step(_ r: Trainer.StepReport) {
    times.append(r.seconds)
    let recent = times.suffix(20)
    let perStep = recent.reduce(0, +) / Double(recent.count)
    let eta = perStep * Double(total - r.step)
    let text = String(format: "step %d/%d  loss %.4f  %.2f s/step  ETA %@", r.step, total, r.loss, perStep, duration(eta))
    if let v = r.validation {
      let s = v.scores
      line(
        String(
          format: "step %d: validation loss %.4f, pixel error %.4f @ %.2f, Rand error %.4f @ %.2f", r.step, v.loss,
          s.pixelError.value, s.pixelError.threshold ?? 0, s.randError.value, s.randError.threshold ?? 0))
    }
    if terminal {
      let width = 24
      let filled = total > 0 ? width * r.step / total : width
      let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      FileHandle.standardError.write(Data("\r[\(bar)] \(text)\u{1B}[K".utf8))
    } else if r.step == start + 1 || r.step == total || r.checkpoint != nil || Date().timeIntervalSince(lastLine) >= 10 {
      lastLine = Date()
      line(text)
    }
  }

  func finish() { clearBar() }

  private func clearBar() {
    if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }

  private func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
  }
}

/// Ctrl-C (SIGINT) and SIGTERM ask the trainer to stop after the current
/// step and write a checkpoint; a second signal exits at once.
final class Interrupt: Sendable {
  private let flag = Atomic<Bool>(false)
  var requested: Bool { flag.load(ordering: .relaxed) }

  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

  static func install() -> Interrupt {
    let interrupt = Interrupt()
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler {
        if interrupt.flag.exchange(true, ordering: .relaxed) {
          FileHandle.standardError.write(Data("\nunet: stopped without a checkpoint\n".utf8))
          _exit(130)
        }
        FileHandle.standardError.write(Data("\nunet: stopping after this step (Ctrl-C again to quit at once)\n".utf8))
      }
      source.resume()
      sources.append(source)
    }
    return interrupt
  }
}

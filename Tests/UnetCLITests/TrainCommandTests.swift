#if canImport(Glibc)
  import Glibc
#endif
import Foundation
import Shards
import Testing
import UNet
import _TestSupport

/// `unet train` and `unet export` run as a user runs them: a tiny network
/// (4 base channels, depth 1, tile 36 -> output 20, one oneDNN thread) on a
/// tiny dataset (8 synthetic 64x64 samples in 2 shards), so that each step
/// takes milliseconds.
@Suite(.slow) struct TrainCommandTests {
  let dir = makeTemporaryDirectory()

  /// The network and thread options of every run here.
  static let tiny = ["--base-channels", "4", "--depth", "1", "--tile", "36", "--threads", "1"]

  /// One line of metrics.jsonl; non-finite numbers (written as strings) fail to decode.
  struct MetricsLine: Decodable, Equatable {
    var step: Int
    var loss: Double?
    var seconds: Double?
    var lr: Double?
    var elapsed: Double?
    var val_loss: Double?
    var val_pixel_error: Double?
    var val_pixel_error_threshold: Double?
    var val_rand_error: Double?
    var val_rand_error_threshold: Double?
  }

  /// Synthetic sources in DIR/src and their augmented dataset in DIR/shards.
  @discardableResult
  func dataset() throws -> (images: String, labels: String, shards: String) {
    let src = dir + "/src", shards = dir + "/shards"
    if !FileManager.default.fileExists(atPath: shards + "/manifest.json") {
      let s = try unet(["synth", "--out", src, "--count", "8", "--size", "64x64", "--seed", "3", "--cells", "6"])
      #expect(s.status == 0, "\(s.stderr)")
      let a = try unet(
        ["augment", "--images", src + "/images", "--labels", src + "/labels", "--out", shards, "--samples", "8",
         "--per-shard", "4", "--seed", "5", "--jobs", "1"])
      #expect(a.status == 0, "\(a.stderr)")
    }
    return (src + "/images", src + "/labels", shards)
  }

  func train(_ out: String, _ extra: [String], shards: String? = nil) throws -> RunResult {
    let shards = try shards ?? dataset().shards
    return try unet(["train", "--shards", shards, "--out", out] + Self.tiny + extra)
  }

  func metrics(_ out: String) throws -> [MetricsLine] {
    let text = String(decoding: read(out + "/metrics.jsonl"), as: UTF8.self)
    #expect(text.isEmpty || text.hasSuffix("\n"), "metrics.jsonl ends inside a line")
    return try text.split(separator: "\n").map { try JSONDecoder().decode(MetricsLine.self, from: Data($0.utf8)) }
  }

  /// The step records (lines with a loss) of a run.
  func steps(_ out: String) throws -> [MetricsLine] { try metrics(out).filter { $0.loss != nil } }

  func names(_ path: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

  /// Whether two files exist and hold the same bytes (a Bool, so that a
  /// failure does not print whole checkpoints); checkpoints of two runs
  /// differ in their training seconds: see `sameCheckpoint`.
  func sameBytes(_ a: String, _ b: String) -> Bool {
    let x = read(a)
    return !x.isEmpty && x == read(b)
  }

  // MARK: - A complete run

  @Test func aRunWritesMetricsPlotAndPrunedCheckpoints() throws {
    let src = try dataset()
    let out = dir + "/run"
    let r = try train(
      out,
      ["--steps", "6", "--checkpoint-every", "1", "--keep", "2", "--val-images", src.images, "--val-labels", src.labels,
       "--val-every", "3"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("train: 6 steps done"))
    #expect(names(out) == ["last.ckpt", "loss.svg", "metrics.jsonl", "step-000004.ckpt", "step-000005.ckpt"])

    let lines = try metrics(out)
    let records = lines.filter { $0.loss != nil }
    #expect(records.map(\.step) == Array(1...6))
    for record in records {
      #expect(record.loss!.isFinite && record.loss! > 0, "\(record)")
      #expect(record.seconds.map { $0.isFinite && $0 >= 0 } == true, "\(record)")
      #expect(record.lr.map { $0.isFinite && $0 > 0 } == true, "\(record)")
      #expect(record.val_loss == nil && record.val_pixel_error == nil && record.val_rand_error == nil)
    }
    // Every line has the training seconds so far: the step times and the
    // checkpoint writes (one after every step here), not validation.
    var total = 0.0
    for (i, record) in records.enumerated() {
      let elapsed = try #require(record.elapsed)
      #expect(elapsed >= total + record.seconds! && (i > 0 || elapsed == record.seconds!), "\(records)")
      total = elapsed
    }
    // --val-every 3: a validation line after steps 3 and 6, each just after its step's line.
    let validation = lines.filter { $0.val_loss != nil }
    #expect(validation.map(\.step) == [3, 6])
    #expect(lines.map(\.step) == [1, 2, 3, 3, 4, 5, 6, 6])
    for v in validation {
      #expect(v.loss == nil && v.val_loss!.isFinite && v.val_loss! > 0, "\(v)")
      #expect(v.val_pixel_error.map { (0...1).contains($0) } == true, "\(v)")
      #expect(v.val_rand_error.map { (0...1).contains($0) } == true, "\(v)")
      for t in [v.val_pixel_error_threshold, v.val_rand_error_threshold] {
        #expect(t.map { Trainer.validationThresholds.contains($0) } == true, "\(v)")
      }
      #expect(v.elapsed == records.first { $0.step == v.step }!.elapsed, "\(v)")
    }

    let svg = String(decoding: read(out + "/loss.svg"), as: UTF8.self)
    #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
    #expect(svg.contains("</svg>"))

    let last = try Checkpoint.read(from: out + "/last.ckpt")
    #expect(last.step == 6)
    #expect(last.optimizerState.map { Set($0.keys) } == Set(Recipe.default.optimizer.slots) && last.stream != nil, "last.ckpt must be able to resume")
    // The training seconds of step 6, and the threshold of the last validation.
    #expect(last.elapsed == records.last!.elapsed)
    #expect(last.threshold == validation.last!.val_rand_error_threshold)
    let c = last.configuration
    #expect(c.steps == 6 && c.tile == 36 && c.batch == 1)
    #expect(c.architecture.baseChannels == 4 && c.architecture.depth == 1 && c.architecture.inputChannels == 1)
    for step in [4, 5] {
      #expect(try Checkpoint.read(from: out + "/" + Checkpoint.fileName(step: step)).step == step)
    }
  }

  @Test func sameSeedSameBytesOtherSeedOtherWeights() throws {
    let common = ["--steps", "4", "--checkpoint-every", "2"]
    for (name, seed) in [("a", "7"), ("b", "7"), ("c", "8")] {
      let r = try train(dir + "/" + name, common + ["--seed", seed])
      #expect(r.status == 0, "\(r.stderr)")
    }
    #expect(sameCheckpoint(dir + "/a/last.ckpt", dir + "/b/last.ckpt"))
    #expect(sameCheckpoint(dir + "/a/step-000002.ckpt", dir + "/b/step-000002.ckpt"))
    #expect(try steps(dir + "/a").map(\.loss) == steps(dir + "/b").map(\.loss))
    let pa = try Checkpoint.read(from: dir + "/a/last.ckpt"), pc = try Checkpoint.read(from: dir + "/c/last.ckpt")
    #expect(pc.configuration.seed == 8)
    #expect(pa.parameters.count == pc.parameters.count)
    let differ = pa.parameters != pc.parameters
    #expect(differ)
  }

  // MARK: - Interruptions

  /// Kills a run with SIGKILL again and again at random moments, resuming
  /// each time; the result must be the uninterrupted run's, byte for byte.
  @Test func resumeAfterSIGKILLEqualsAnUninterruptedRun() throws {
    let total = 24
    let args = ["--steps", String(total), "--checkpoint-every", "2"]
    let reference = dir + "/reference"
    let shards = try dataset().shards
    let started = Date()
    let r = try train(reference, args)
    let wall = Date().timeIntervalSince(started)
    #expect(r.status == 0, "\(r.stderr)")
    // Kill moments scale with this machine's speed: a step's time, and the
    // start-up (everything but the steps).
    let stepSeconds = try steps(reference).compactMap(\.seconds).reduce(0, +) / Double(total)
    let startup = max(0.02, wall - stepSeconds * Double(total))
    func microseconds(upTo seconds: Double) -> UInt32 { UInt32.random(in: 0...UInt32(seconds * 1e6)) }

    let out = dir + "/killed"
    let command = ["train", "--shards", shards, "--out", out] + Self.tiny + args
    var kills: [String] = []  // where each kill landed, for the failure messages
    var finished = false
    let deadline = Date().addingTimeInterval(120)

    // The first run: killed once it has written a checkpoint.
    var child = try Child(command)
    #expect(waitFor(30) { FileManager.default.fileExists(atPath: out + "/last.ckpt") || !child.isRunning })
    usleep(microseconds(upTo: 2 * stepSeconds))
    if child.kill(SIGKILL) { kills.append("first run near step \(lastStep(out))") }
    #expect(!kills.isEmpty, "the first run ended before it could be killed")

    // Resumed runs, killed during start-up or a step or two after a random
    // step (leaving steps to do), until four kills have landed; then one
    // runs to the end.
    var attempt = 0
    while !finished && Date() < deadline && attempt < 20 {
      attempt += 1
      let from = try Checkpoint.read(from: out + "/last.ckpt").step
      child = try Child(command + ["--resume"])
      if kills.count < 4 {
        if Bool.random() || from + 1 > total - 6 {
          usleep(microseconds(upTo: startup))
          if child.kill(SIGKILL) { kills.append("resume \(attempt) from step \(from), in start-up") }
        } else {
          let target = Int.random(in: (from + 1)...(total - 6))
          _ = waitFor(30) { lastStep(out) >= target || !child.isRunning }
          usleep(microseconds(upTo: 2 * stepSeconds))
          if child.kill(SIGKILL) { kills.append("resume \(attempt) from step \(from), after step \(target)") }
        }
      }
      let status = child.wait(timeout: 60)
      finished = status == .exited(0)
      #expect(finished || status == .signalled(SIGKILL), "resume \(attempt): \(status); kills \(kills)")
    }
    #expect(finished, "kills: \(kills)")
    #expect(kills.count >= 3, "kills: \(kills)")

    #expect(sameCheckpoint(out + "/last.ckpt", reference + "/last.ckpt"), "kills: \(kills)")
    #expect(try Checkpoint.read(from: out + "/last.ckpt").step == total)
    let expected = try metrics(reference)
    let got = try metrics(out)
    #expect(got.map(\.step) == Array(1...total), "kills: \(kills)")
    #expect(got.map(\.loss) == expected.map(\.loss), "kills: \(kills)")
    #expect(got.map(\.lr) == expected.map(\.lr))
    // The training seconds run on over the segments of the killed run.
    let elapsed = got.map { $0.elapsed! }
    #expect(zip(elapsed, elapsed.dropFirst()).allSatisfy { $0 < $1 }, "\(elapsed)")
    // The older checkpoints the reference keeps are there, and the same.
    for name in names(reference) where name.hasPrefix("step-") {
      #expect(sameCheckpoint(out + "/" + name, reference + "/" + name), "\(name); kills: \(kills)")
    }
    let leftovers = names(out).filter { $0.contains(".tmp") || $0.hasPrefix(".") }
    #expect(leftovers.isEmpty, "left behind: \(leftovers); kills: \(kills)")
  }

  /// AtomicFile names its temporary files `.NAME.PID.RANDOM.tmp`; a SIGKILL
  /// while a checkpoint or metrics.jsonl is being written leaves one behind.
  @Test
  func resumeRemovesTemporaryFilesOfAKilledRun() throws {
    let out = dir + "/stale"
    let r = try train(out, ["--steps", "2", "--checkpoint-every", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    let stale = [".last.ckpt.999999.12345.tmp", ".metrics.jsonl.999999.6789.tmp", ".loss.svg.999999.1.tmp"]
    for name in stale { write(Array(read(out + "/last.ckpt").prefix(100)), to: out + "/" + name) }
    let resumed = try train(out, ["--steps", "4", "--checkpoint-every", "2", "--resume"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(names(out).filter { $0.hasPrefix(".") }.isEmpty, "\(names(out))")
  }

  @Test func sigintAndSigtermWriteACheckpointAndExit130() throws {
    let shards = try dataset().shards
    let out = dir + "/interrupted"
    let total = 60
    let command = ["train", "--shards", shards, "--out", out] + Self.tiny + ["--steps", String(total), "--checkpoint-every", "1000"]
    for (signal, resume) in [(SIGINT, false), (SIGTERM, true)] {
      let stdout = dir + "/stdout-\(signal)"
      let child = try Child(command + (resume ? ["--resume"] : []), stdout: stdout)
      let before = lastStep(out)
      #expect(waitFor(30) { lastStep(out) > before || !child.isRunning })
      #expect(child.kill(signal), "signal \(signal): the run ended first")
      let status = child.wait(timeout: 60)
      #expect(status == .exited(130), "signal \(signal)")
      let records = try steps(out)
      let step = try #require(records.last?.step)
      #expect(step > before && step < total, "signal \(signal)")
      #expect(records.map(\.step) == Array(1...step))
      #expect(try Checkpoint.read(from: out + "/last.ckpt").step == step, "signal \(signal)")
      #expect(String(decoding: read(stdout), as: UTF8.self).contains("interrupted after step \(step)"))
    }
    let r = try train(out, ["--steps", String(total), "--resume"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try Checkpoint.read(from: out + "/last.ckpt").step == total)
    #expect(try steps(out).map(\.step) == Array(1...total))
  }

  /// --steps on --resume is "a new total"; without it the run keeps its own.
  @Test
  func resumeWithoutStepsKeepsTheRunsTotal() throws {
    let out = dir + "/total"
    var r = try train(out, ["--steps", "4", "--checkpoint-every", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    try FileManager.default.copyItem(atPath: out + "/last.ckpt", toPath: dir + "/finished.ckpt")
    r = try train(out, ["--resume"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try Checkpoint.read(from: out + "/last.ckpt").configuration.steps == 4)
    #expect(sameBytes(out + "/last.ckpt", dir + "/finished.ckpt"))
    #expect(try steps(out).map(\.step) == [1, 2, 3, 4])
  }

  // MARK: - Export

  @Test func exportWritesTheWeightsUnderPyTorchNames() throws {
    let out = dir + "/exported"
    let r = try train(out, ["--steps", "4", "--checkpoint-every", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    // A depth-1 U-Net with 4 base channels on 1 input channel, 2 classes, as PyTorch shapes it.
    let pytorch: [(String, [Int])] = [
      ("down.0.0.weight", [4, 1, 3, 3]), ("down.0.0.bias", [4]), ("down.0.2.weight", [4, 4, 3, 3]), ("down.0.2.bias", [4]),
      ("down.1.0.weight", [8, 4, 3, 3]), ("down.1.0.bias", [8]), ("down.1.2.weight", [8, 8, 3, 3]), ("down.1.2.bias", [8]),
      ("up.0.weight", [8, 4, 2, 2]), ("up.0.bias", [4]), ("dec.0.0.weight", [4, 8, 3, 3]), ("dec.0.0.bias", [4]),
      ("dec.0.2.weight", [4, 4, 3, 3]), ("dec.0.2.bias", [4]), ("head.weight", [2, 4, 1, 1]), ("head.bias", [2]),
    ]
    for (model, step) in [(out, 4), (out + "/step-000002.ckpt", 2)] {
      let file = dir + "/weights-\(step).safetensors"
      let e = try unet(["export", "--model", model, "--out", file])
      #expect(e.status == 0, "\(e.stderr)")
      #expect(e.stdout.contains("16 tensors, 1650 parameters, step \(step)"), "\(e.stdout)")
      let weights = try SafeTensors.read(from: file)
      let checkpoint = try Checkpoint.read(from: step == 4 ? out + "/last.ckpt" : model)
      let specs = checkpoint.configuration.architecture.parameterSpecs
      #expect(weights.tensors.map(\.name) == specs.map(\.name))
      #expect(weights.tensors.map(\.shape) == specs.map(\.shape))
      #expect(weights.tensors.map(\.name) == pytorch.map(\.0))
      #expect(weights.tensors.map(\.shape) == pytorch.map(\.1))
      let sameValues = weights.tensors.map(\.values) == checkpoint.parameters
      #expect(sameValues)
      #expect(!weights.tensors.contains { $0.name.hasPrefix("momentum") })
      #expect(weights.metadata["step"] == String(step))
      #expect(weights.metadata["format"] == "unetkit-weights")
      #expect(weights.metadata["threshold"] == nil)  // no validation, no threshold
    }
  }

  // MARK: - Bad input

  /// One line `unet: error: …` naming the problem, a failure status, and no
  /// checkpoint (or the one there unchanged).
  func expectRefused(
    _ r: RunResult, _ out: String, mentioning words: [String], checkpoint: [UInt8] = [],
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(r.status != 0 && r.status != 130, "status \(r.status)", sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2 && lines[1].isEmpty && r.stderr.hasPrefix("unet: error: "), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    for word in words {
      #expect(r.stderr.contains(word), "\(word) not in: \(r.stderr)", sourceLocation: sourceLocation)
    }
    let unchanged = read(out + "/last.ckpt") == checkpoint
    #expect(unchanged, "last.ckpt was written or changed", sourceLocation: sourceLocation)
  }

  /// A copy of the dataset in DIR/NAME.
  func copyOfDataset(_ name: String) throws -> String {
    let copy = dir + "/" + name
    try FileManager.default.copyItem(atPath: try dataset().shards, toPath: copy)
    return copy
  }

  @Test func badDatasetsAreRefusedBeforeTraining() throws {
    let shards = try dataset().shards
    let out = dir + "/bad"
    let tiny = ["--steps", "2"]

    expectRefused(try train(out, tiny, shards: dir + "/nowhere"), out, mentioning: ["nowhere/manifest.json"])

    let missing = try copyOfDataset("missing")
    try FileManager.default.removeItem(atPath: missing + "/train-000001.tar")
    expectRefused(try train(out, tiny, shards: missing), out, mentioning: ["missing/train-000001.tar", "missing"])

    let damaged = try copyOfDataset("damaged")
    var bytes = read(damaged + "/train-000000.tar")
    bytes[bytes.count / 2] ^= 0x01
    write(bytes, to: damaged + "/train-000000.tar")
    expectRefused(try train(out, tiny, shards: damaged), out, mentioning: ["damaged/train-000000.tar", "SHA-256"])

    // unet augment has no option to leave out the weights: the same samples without weight.npy.
    let manifest = try Manifest.read(from: shards + "/manifest.json")
    let unweighted = dir + "/unweighted"
    _ = try DatasetWriter(directory: unweighted, plan: manifest.plan, configuration: manifest.configuration, tool: manifest.tool)
      .run { shard, _ in
        try ShardReader.readAll(path: shards + "/" + manifest.plan.fileName(ofShard: shard)).map {
          try ShardSample(key: $0.key, fields: $0.fields.filter { $0.name != "weight.npy" })
        }
      }
    expectRefused(try train(out, tiny, shards: unweighted), out, mentioning: ["unweighted/train-00000", "weight.npy"])

    #expect(names(out).isEmpty, "files left by refused runs: \(names(out))")
  }

  @Test func tilesInvalidForTheDepthNameTheNearestValidOnes() throws {
    let out = dir + "/tiles"
    // Depth 1: any even tile from 18 (tile - 4 must halve). Depth 2: tiles 44, 48, 52, … (4 m + 12, m >= 8).
    for (depth, tile, words) in [("1", "37", ["tile 37", "36 or 38"]), ("2", "50", ["tile 50", "48 or 52"]), ("2", "46", ["44 or 48"])] {
      let r = try train(out, ["--steps", "2", "--depth", depth, "--tile", tile])
      expectRefused(r, out, mentioning: words + ["depth \(depth)"])
    }
  }

  @Test func resumeMistakesAreRefused() throws {
    let out = dir + "/resume"
    expectRefused(try train(out, ["--steps", "2", "--resume"]), out, mentioning: ["\(out): no last.ckpt", "--resume"])

    let r = try train(out, ["--steps", "2", "--checkpoint-every", "2", "--lr", "0.01"])
    #expect(r.status == 0, "\(r.stderr)")
    let checkpoint = read(out + "/last.ckpt"), log = read(out + "/metrics.jsonl")
    // A second run into the same folder, without --resume.
    expectRefused(try train(out, ["--steps", "2"]), out, mentioning: ["already holds a training run", "--resume"], checkpoint: checkpoint)
    // --resume with another learning rate (or another depth).
    expectRefused(
      try train(out, ["--steps", "4", "--resume", "--lr", "0.02"]), out, mentioning: ["--lr 0.02", "0.01"], checkpoint: checkpoint)
    expectRefused(
      try unet(["train", "--shards", try dataset().shards, "--out", out, "--steps", "4", "--resume", "--depth", "2"]), out,
      mentioning: ["--depth 2"], checkpoint: checkpoint)
    let logUnchanged = read(out + "/metrics.jsonl") == log
    #expect(logUnchanged)
  }

  @Test func exportRefusesWhatIsNotACheckpoint() throws {
    let src = try dataset()
    let file = dir + "/export.safetensors"
    for (model, words) in [(dir + "/absent.ckpt", ["absent.ckpt", "no such"]), (src.images + "/cells_000.png", ["cells_000.png"])] {
      let r = try unet(["export", "--model", model, "--out", file])
      expectRefused(r, dir, mentioning: words)
      #expect(!FileManager.default.fileExists(atPath: file))
    }
  }
}

// MARK: - Processes to signal

/// The highest step of a line in OUT/metrics.jsonl (0 when none); a torn
/// last line is ignored.
func lastStep(_ out: String) -> Int {
  String(decoding: read(out + "/metrics.jsonl"), as: UTF8.self).split(separator: "\n")
    .compactMap { try? JSONDecoder().decode(TrainCommandTests.MetricsLine.self, from: Data($0.utf8)).step }.max() ?? 0
}

/// Polls `condition` every millisecond for at most `seconds`; its last value.
func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while !condition() {
    if Date() >= deadline { return false }
    usleep(1000)
  }
  return true
}

/// The `unet` executable running in the background, to be signalled.
final class Child {
  enum Status: Equatable, CustomStringConvertible {
    case exited(Int32), signalled(Int32), stillRunning
    var description: String {
      switch self {
      case .exited(let s): "exit status \(s)"
      case .signalled(let s): "signal \(s)"
      case .stillRunning: "still running"
      }
    }
  }

  private let process = Process()

  /// Starts `unet ARGUMENTS`; stdout goes to the file `stdout` (or nowhere), stderr nowhere.
  init(_ arguments: [String], stdout: String? = nil) throws {
    process.executableURL = URL(fileURLWithPath: unetExecutable)
    process.arguments = arguments
    if let stdout {
      _ = FileManager.default.createFile(atPath: stdout, contents: nil)
      process.standardOutput = FileHandle(forWritingAtPath: stdout)!
    } else {
      process.standardOutput = FileHandle.nullDevice
    }
    process.standardError = FileHandle.nullDevice
    try process.run()
  }

  var isRunning: Bool { process.isRunning }

  /// Sends `signal`; false when the process had already ended.
  func kill(_ signal: Int32) -> Bool {
    guard process.isRunning else { return false }
    return Glibc.kill(process.processIdentifier, signal) == 0 && (wait(timeout: 60) != .exited(0))
  }

  /// Waits for the end, SIGKILLing the process after `timeout` seconds.
  @discardableResult
  func wait(timeout: Double) -> Status {
    if !waitFor(timeout, { !process.isRunning }) {
      Glibc.kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      return .stillRunning
    }
    process.waitUntilExit()
    return process.terminationReason == .exit ? .exited(process.terminationStatus) : .signalled(process.terminationStatus)
  }
}

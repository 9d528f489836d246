import Foundation
import Raster
import Shards
import Testing
import _TestSupport

@testable import UNet

@Suite struct TrainingTests {
  /// A tiny network fed one fixed tile again and again learns it: the loss
  /// falls at least tenfold (the issue's overfitting check).
  @Test(.slow) func tinyModelOverfitsOneSample() throws {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 8, depth: 2, dropout: 0)
    let tile = 68
    let output = try a.validateTile(tile)
    let network = try BackendChoice.default.make(threads: 1).compile(a.graph, batch: 1, inputSize: tile, training: true)
    network.setParameters(a.initialParameters(seed: 5))
    // Bright discs on a dark background, the class is "inside a disc".
    var input = [Float](repeating: 0, count: tile * tile)
    var labels = [Int32](repeating: 0, count: output * output)
    let margin = a.margin
    let centres = [(20.0, 22.0), (45.0, 40.0), (30.0, 50.0)]
    var rng = SplitMix64(seed: 3)
    for y in 0..<tile {
      for x in 0..<tile {
        let inside = centres.contains { (Double(x) - $0.0) * (Double(x) - $0.0) + (Double(y) - $0.1) * (Double(y) - $0.1) < 64 }
        input[y * tile + x] = (inside ? 0.8 : 0.2) + Float(rng.uniform(-0.1, 0.1))
        if inside, (margin..<margin + output).contains(y), (margin..<margin + output).contains(x) {
          labels[(y - margin) * output + x - margin] = 1
        }
      }
    }
    let weights = [Float](repeating: 1, count: output * output)
    var losses: [Double] = []
    for step in 1...150 {
      let logits = try network.forward(input, dropoutSeed: UInt64(step))
      let (loss, gradient) = WeightedCrossEntropy.evaluate(logits: logits, labels: labels, weights: weights, classes: 2, batch: 1)
      losses.append(loss)
      try network.backward(gradient)
      try network.update(.paper, learningRate: Float(0.01 * min(1, Double(step) / 10)), step: step)
    }
    let last = losses.suffix(5).reduce(0, +) / 5
    #expect(last * 10 <= losses[0], "loss \(losses[0]) → \(last)")
  }

  @Test func checkpointRoundTrip() throws {
    let a = Architecture(inputChannels: 2, classes: 3, baseChannels: 2, depth: 1, dropout: 0.5)
    let configuration = TrainingConfiguration(
      architecture: a, tile: 22, batch: 2, steps: 10, learningRate: 0.02, optimizer: .sgd(momentum: 0.9), schedule: .cosine,
      warmupSteps: 2, seed: 42, shuffleBuffer: 4, shards: "/data/shards", normalization: .range)
    let parameters = a.initialParameters(seed: 1)
    let momentum = a.initialParameters(seed: 2)
    let checkpoint = Checkpoint(
      configuration: configuration, step: 7, parameters: parameters, optimizerState: ["momentum": momentum],
      stream: #"{"tiles":7}"#)
    let dir = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try checkpoint.write(to: dir + "/last.ckpt")
    let read = try Checkpoint.read(from: try Checkpoint.resolve(dir))
    #expect(read.configuration == configuration)
    #expect(read.step == 7)
    #expect(read.parameters == parameters)
    #expect(read.optimizerState == ["momentum": momentum])
    #expect(checkpoint.safeTensors.tensors.contains { $0.name == "optimizer.momentum.head.bias" })
    #expect(read.stream == checkpoint.stream)
    // Export: weights only, PyTorch names, architecture in the metadata.
    let export = checkpoint.export
    #expect(export.tensors.map(\.name) == a.parameterSpecs.map(\.name))
    #expect(export.tensors.map(\.shape) == a.parameterSpecs.map(\.shape))
    #expect(export.metadata["architecture"].map { try? JSONDecoder().decode(Architecture.self, from: Data($0.utf8)) } == a)
    // The normalisation as JSON text, the form examples/pytorch reads.
    #expect(export.metadata["normalization"] == #"{"range":{}}"#)
    // Damaged checkpoints are errors naming the file.
    var file = checkpoint.safeTensors
    file.tensors.removeAll { $0.name == "down.1.2.bias" }
    try file.write(to: dir + "/broken.ckpt")
    #expect(throws: FileError.self) { try Checkpoint.read(from: dir + "/broken.ckpt") }
    var foreign = checkpoint.safeTensors
    foreign.metadata["format"] = "something-else"
    try foreign.write(to: dir + "/foreign.ckpt")
    do {
      _ = try Checkpoint.read(from: dir + "/foreign.ckpt")
      Issue.record("a foreign file was accepted")
    } catch {
      #expect("\(error)".contains("foreign.ckpt"))
    }
    #expect(throws: FileError.self) { try Checkpoint.resolve(dir + "/missing") }
  }

  /// A checkpoint of a network with batch normalisation keeps the norm
  /// layer in its configuration, the scales and shifts among the parameters
  /// (with their optimiser slots) and the running statistics.
  @Test func batchNormCheckpointRoundTrip() throws {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0.5, normLayer: .batch)
    let configuration = TrainingConfiguration(architecture: a, tile: 36, steps: 10, shards: "/data/shards")
    let statistics = RunningStatistics(values: a.statisticSpecs.map { [Float](repeating: 0.25, count: $0.count) }, batches: 7)
    let checkpoint = Checkpoint(
      configuration: configuration, step: 7, parameters: a.initialParameters(seed: 1), statistics: statistics,
      optimizerState: ["momentum": a.initialParameters(seed: 2)], stream: "{}")
    let file = checkpoint.safeTensors
    #expect(file.metadata["configuration"]?.contains(#""normLayer":"batch""#) == true)
    #expect(file["optimizer.momentum.dec.0.4.weight"]?.shape == [2])
    #expect(file["down.1.4.num_batches_tracked"]?.integers == [7])
    let read = try Checkpoint(SafeTensors.decode(file.encoded(), path: "c"), path: "c")
    #expect(read.configuration == configuration && read.parameters == checkpoint.parameters)
    #expect(read.statistics == statistics && read.optimizerState == checkpoint.optimizerState)
    #expect(TrainedModel(read).statistics == statistics)
    // Without statistics a new checkpoint has a new network's.
    let fresh = Checkpoint(configuration: configuration, step: 0, parameters: checkpoint.parameters, optimizerState: nil, stream: nil)
    #expect(fresh.statistics == a.initialStatistics)
  }

  @Test func learningRateSchedules() {
    let a = Architecture.paper
    var c = TrainingConfiguration(architecture: a, tile: 572, steps: 100, learningRate: 0.1, warmupSteps: 10, shards: "x")
    #expect(abs(c.learningRate(atStep: 1) - 0.01) < 1e-12)
    #expect(abs(c.learningRate(atStep: 10) - 0.1) < 1e-12)
    #expect(c.learningRate(atStep: 100) == 0.1)
    c.schedule = .cosine
    c.warmupSteps = 0
    #expect(c.learningRate(atStep: 1) == 0.1)
    #expect(abs(c.learningRate(atStep: 100)) < 1e-12)
    c.schedule = .step
    #expect(c.learningRate(atStep: 60) == 0.1)
    #expect(abs(c.learningRate(atStep: 61) - 0.01) < 1e-12)
    #expect(abs(c.learningRate(atStep: 86) - 0.001) < 1e-12)
    // nnU-Net: lr·(1 − epoch/max_epochs)^0.9 with epoch from 0, after the warm-up.
    c.schedule = .poly
    #expect(c.learningRate(atStep: 1) == 0.1)
    #expect(abs(c.learningRate(atStep: 51) - 0.1 * pow(0.5, 0.9)) < 1e-12)
    #expect(abs(c.learningRate(atStep: 100) - 0.1 * pow(0.01, 0.9)) < 1e-12)
    c.warmupSteps = 10
    #expect(abs(c.learningRate(atStep: 5) - 0.1 * pow(0.96, 0.9) * 0.5) < 1e-12)
  }

  /// Overlap-tile prediction does not depend on the tile size, and a tile
  /// that covers the image equals one pass over the mirrored image. With
  /// batch normalisation too: prediction normalises with the running
  /// statistics, not a tile's own.
  @Test(.slow, arguments: [NormLayer.none, .batch])
  func tiledPredictionIsTileInvariant(normLayer: NormLayer) throws {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 4, depth: 2, dropout: 0.5, normLayer: normLayer)
    let parameters = a.initialParameters(seed: 9)
    var rng = SplitMix64(seed: 4)
    let statistics = RunningStatistics(
      values: a.statisticSpecs.map { spec in
        (0..<spec.count).map { _ in Float(spec.role == .mean ? rng.uniform(-0.2, 0.2) : rng.uniform(0.5, 2)) }
      }, batches: 3)
    let image = Image<Float>(width: 45, height: 37, channels: 1, samples: (0..<45 * 37).map { _ in Float(rng.unit()) })
    let backend = BackendChoice.default.make(threads: 1)
    let small = try TiledPredictor(
      architecture: a, parameters: parameters, statistics: statistics, tile: 60, backend: backend)  // output 16
    let large = try TiledPredictor(
      architecture: a, parameters: parameters, statistics: statistics, tile: 108, backend: backend)  // output 64
    let p = try small.probabilities(image)
    let q = try large.probabilities(image)
    #expect(p.count == 2 * 45 * 37)
    let worst = zip(p, q).map { abs($0 - $1) }.max()!
    #expect(worst <= 1e-5, "largest difference \(worst)")
    for i in 0..<45 * 37 { #expect(abs(p[i] + p[45 * 37 + i] - 1) < 1e-5) }
  }

  /// A small dataset of random images with blob masks and weights.
  static func dataset(in directory: String, samples: Int = 6, size: Int = 40) throws {
    let writer = DatasetWriter(
      directory: directory, plan: try ShardPlan(name: "train", totalSamples: samples, samplesPerShard: 2),
      configuration: ["augment": ["normalization": "none"]], tool: ToolInfo(name: "unet", version: "test"))
    _ = try writer.run { _, range in
      try range.map { i in
        var rng = SplitMix64(seed: 100, stream: UInt64(i))
        let cx = rng.uniform(10, 30), cy = rng.uniform(10, 30)
        var image: [Float] = [], mask: [UInt8] = [], weight: [Float] = []
        for y in 0..<size {
          for x in 0..<size {
            let inside = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) < 80
            image.append((inside ? 0.7 : 0.3) + Float(rng.uniform(-0.2, 0.2)))
            mask.append(inside ? 1 : 0)
            weight.append(inside ? 2 : 1)
          }
        }
        return try ShardSample(
          key: String(format: "%08d", i),
          fields: [
            .init(name: "image.npy", bytes: try ImageFile.encoded(AnyImage(Image(width: size, height: size, samples: image)), as: .npy, channelsFirst: true)),
            .init(name: "mask.png", bytes: try ImageFile.encoded(AnyImage(Image(width: size, height: size, samples: mask)), as: .png)),
            .init(name: "weight.npy", bytes: try ImageFile.encoded(AnyImage(Image(width: size, height: size, samples: weight)), as: .npy)),
          ])
      }
    }
  }

  /// Stopping after any step, checkpointing and resuming ends with exactly
  /// the weights, optimiser slots and stream position of an uninterrupted
  /// run, for every optimiser (Adam's bias corrections count the updates
  /// from the checkpoint's step).
  ///
  /// With batch normalisation the running statistics come back too, so the
  /// resumed run normalises its validation and prediction as the
  /// uninterrupted one does.
  @Test(.slow, arguments: [
    (Optimizer.sgd(momentum: 0.99), NormLayer.none), (.sgd(momentum: 0.99, nesterov: true, weightDecay: 3e-5), .none),
    (.adam(weightDecay: 1e-4), .none), (.adamw(), .none), (.sgd(momentum: 0.99), .batch), (.adamw(), .batch),
  ])
  func resumedRunEqualsUninterruptedRun(optimizer: Optimizer, normLayer: NormLayer) throws {
    let root = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    for sub in ["data", "a", "b"] { try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true) }
    try Self.dataset(in: root + "/data")
    let configuration = TrainingConfiguration(
      architecture: .init(inputChannels: 1, classes: 2, baseChannels: 4, depth: 1, dropout: 0.5, normLayer: normLayer),
      tile: 34, batch: 2,
      steps: 9, learningRate: optimizer.name == "sgd" ? 0.01 : 1e-3, optimizer: optimizer, schedule: .poly, warmupSteps: 3,
      seed: 5, shuffleBuffer: 3, shards: root + "/data")
    let backend = BackendChoice.default.make(threads: 1)
    let whole = try Trainer(configuration: configuration, directory: root + "/a", backend: backend, checkpointEvery: 100)
    #expect(try whole.run() == .finished(step: 9))
    let expected = try Checkpoint.read(from: root + "/a/last.ckpt")

    var stops = [2, 5, 6]
    var trainer = try Trainer(configuration: configuration, directory: root + "/b", backend: backend, checkpointEvery: 100)
    while true {
      let stopAt = stops.first ?? .max
      let outcome = try trainer.run(shouldStop: { trainer.step >= stopAt })
      if case .finished = outcome { break }
      var checkpoint = try Checkpoint.read(from: root + "/b/last.ckpt")
      // The training seconds of the last step (the checkpoint's own writing comes after).
      #expect(checkpoint.elapsed == (try MetricsLog.read(from: root + "/b/metrics.jsonl")).last?.elapsed)
      if stops.first == 5 {
        // As an older version wrote it: no elapsed time; the log's step times stand in.
        checkpoint.elapsed = nil
        try checkpoint.write(to: root + "/b/last.ckpt")
      }
      stops.removeFirst()
      trainer = try Trainer(resuming: checkpoint, directory: root + "/b", backend: backend, checkpointEvery: 100)
    }
    let resumed = try Checkpoint.read(from: root + "/b/last.ckpt")
    #expect(resumed.step == 9)
    #expect(resumed.parameters == expected.parameters)
    #expect(resumed.statistics == expected.statistics)
    #expect(resumed.statistics.batches == (normLayer == .batch ? 9 : 0))
    #expect(resumed.statistics.values.count == configuration.architecture.statisticSpecs.count)
    #expect(resumed.optimizerState == expected.optimizerState)
    #expect(resumed.optimizerState.map { Set($0.keys) } == Set(optimizer.slots))
    #expect(resumed.configuration.optimizer == optimizer)
    #expect(resumed.stream == expected.stream)
    let a = try MetricsLog.read(from: root + "/a/metrics.jsonl").map { [$0.step: $0.loss] }
    let b = try MetricsLog.read(from: root + "/b/metrics.jsonl").map { [$0.step: $0.loss] }
    #expect(a == b)
    #expect(a.count == 9)
    // The training seconds run on over the three resumptions: each line's
    // is the one before plus its step's (no checkpoint between them).
    let lines = try MetricsLog.read(from: root + "/b/metrics.jsonl")
    var elapsed = 0.0
    for line in lines {
      elapsed += line.seconds!
      #expect(line.elapsed == elapsed, "step \(line.step)")
    }
    #expect(resumed.elapsed == elapsed && resumed.threshold == nil)
  }
}

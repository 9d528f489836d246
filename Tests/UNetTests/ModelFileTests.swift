import Foundation
import Raster
import Testing

@testable import UNet

/// Weights files, the optimiser in the configuration, checkpoint versions,
/// and the one argmax.
@Suite struct ModelFileTests {
  static let architecture = Architecture(inputChannels: 1, classes: 3, baseChannels: 2, depth: 1, dropout: 0.25)

  @Test func weightsFileRoundTrip() throws {
    let model = TrainedModel(
      architecture: Self.architecture, parameters: Self.architecture.initialParameters(seed: 3), tile: 36,
      normalization: .range, step: 12, threshold: 0.35)
    let file = model.weightsFile
    #expect(file.metadata["format"] == "unetkit-weights")
    #expect(file.metadata["normalization"] == #"{"range":{}}"#)
    #expect(file.metadata["tile"] == "36" && file.metadata["step"] == "12" && file.metadata["threshold"] == "0.35")
    let read = try TrainedModel(weightsFile: SafeTensors.decode(file.encoded(), path: "m"), path: "m")
    #expect(read.architecture == model.architecture)
    #expect(read.parameters == model.parameters)
    #expect(read.tile == 36 && read.step == 12 && read.normalization == .range && read.threshold == 0.35)
  }

  /// Metadata as examples/pytorch/train.py writes it (Python's json.dumps:
  /// integral floats as `0.0`, keys in any order) reads the same.
  @Test func pythonWrittenMetadataReads() throws {
    var file = TrainedModel(
      architecture: Self.architecture, parameters: Self.architecture.initialParameters(seed: 1), tile: nil,
      normalization: nil, step: nil
    ).weightsFile
    file.metadata["architecture"] = #"{"baseChannels": 2, "classes": 3, "depth": 1, "dropout": 0.25, "inputChannels": 1}"#
    file.metadata["normalization"] = #"{"percentile": {"highPercent": 99.8, "lowPercent": 1.0}}"#
    let model = try TrainedModel(weightsFile: file, path: "p")
    #expect(model.architecture == Self.architecture)
    #expect(model.normalization == .standard)
    #expect(model.tile == nil && model.step == nil)
  }

  @Test(arguments: [
    ("format", "something", "not a UNetKit checkpoint or weights file"),
    ("architecture", "{}", "architecture metadata"),
    ("architecture", #"{"baseChannels":2,"classes":1,"depth":1,"dropout":0,"inputChannels":1}"#, "classes 1"),
    (
      "architecture", #"{"baseChannels":2,"classes":2,"depth":1,"dropout":0,"inputChannels":1,"normLayer":"group"}"#,
      #"an architecture UNetKit does not know: normLayer "group" is not one this version knows (none, batch)"#
    ),
    ("tile", "37", "tile 37"),
    ("step", "-1", "step -1"),
    ("normalization", #"{"zscore":{}}"#, "normalization"),
    ("threshold", "1.5", "threshold 1.5"),
  ])
  func badMetadataIsRefusedNamingTheFile(key: String, value: String, words: String) throws {
    var file = TrainedModel(
      architecture: Self.architecture, parameters: Self.architecture.initialParameters(seed: 1), tile: 36,
      normalization: .standard, step: 1
    ).weightsFile
    file.metadata[key] = value
    let error = try #require(throws: FileError.self) { try TrainedModel(weightsFile: file, path: "/m.safetensors") }
    #expect(error.path == "/m.safetensors" && error.description.contains(words), "\(error)")
  }

  @Test func missingOrMisshapenTensorsAreRefused() throws {
    let good = TrainedModel(
      architecture: Self.architecture, parameters: Self.architecture.initialParameters(seed: 1), tile: 36,
      normalization: nil, step: nil
    ).weightsFile
    var missing = good
    missing.tensors.removeAll { $0.name == "head.bias" }
    #expect(throws: FileError(.corrupt, path: "m", "parameter head.bias is missing")) {
      try TrainedModel(weightsFile: missing, path: "m")
    }
    var misshapen = good
    misshapen.tensors[0].shape = [misshapen.tensors[0].values.count]
    let error = try #require(throws: FileError.self) { try TrainedModel(weightsFile: misshapen, path: "m") }
    #expect(error.description.contains("down.0.0.weight has shape"))
  }

  /// A model with batch normalisation: its weights file holds PyTorch's
  /// BatchNorm2d state (weight, bias, running_mean, running_var and an I64
  /// num_batches_tracked per layer) and reads back whole; damaged running
  /// statistics are refused naming the file and the tensor.
  @Test func batchNormWeightsFileRoundTrip() throws {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0, normLayer: .batch)
    var rng = SplitMix64(seed: 5)
    let statistics = RunningStatistics(
      values: a.statisticSpecs.map { spec in (0..<spec.count).map { _ in Float(rng.uniform(0.1, 2)) } }, batches: 42)
    let model = TrainedModel(
      architecture: a, parameters: a.initialParameters(seed: 2), statistics: statistics, tile: 36, normalization: nil,
      step: 42)
    let file = model.weightsFile
    #expect(file.metadata["architecture"]?.contains(#""normLayer":"batch""#) == true)
    let counts = file.tensors.filter { $0.name.hasSuffix(".num_batches_tracked") }
    #expect(counts.map(\.name) == a.normLayerNames.map { $0 + ".num_batches_tracked" })
    #expect(counts.allSatisfy { $0.dtype == .i64 && $0.shape == [] && $0.integers == [42] })
    #expect(file["down.0.1.running_var"]?.values == statistics.values[1])
    let read = try TrainedModel(weightsFile: SafeTensors.decode(file.encoded(), path: "m"), path: "m")
    #expect(read.architecture == a && read.parameters == model.parameters && read.statistics == statistics)

    // PyTorch reads state dicts without num_batches_tracked as 0; so do we.
    var uncounted = file
    uncounted.tensors.removeAll { $0.name.hasSuffix(".num_batches_tracked") }
    #expect(try TrainedModel(weightsFile: uncounted, path: "m").statistics == RunningStatistics(values: statistics.values, batches: 0))
    var missing = file
    missing.tensors.removeAll { $0.name == "dec.0.4.running_mean" }
    #expect(throws: FileError(.corrupt, path: "m", "running statistic dec.0.4.running_mean is missing")) {
      try TrainedModel(weightsFile: missing, path: "m")
    }
    var negative = file
    negative.tensors[negative.tensors.firstIndex { $0.name == "down.1.1.running_var" }!].values[0] = -1
    let error = try #require(throws: FileError.self) { try TrainedModel(weightsFile: negative, path: "m") }
    #expect(error.description.contains("down.1.1.running_var holds a negative"), "\(error)")
    var integer = file
    let weight = integer.tensors.firstIndex { $0.name == "down.0.0.weight" }!
    integer.tensors[weight] = .init(name: "down.0.0.weight", shape: integer.tensors[weight].shape, integers: [Int64](
      repeating: 1, count: integer.tensors[weight].values.count))
    #expect(throws: FileError(.corrupt, path: "m", "tensor down.0.0.weight has dtype I64, expected F32")) {
      try TrainedModel(weightsFile: integer, path: "m")
    }
    // A model without normalisation layers has no such tensors.
    let plain = TrainedModel(architecture: Self.architecture, parameters: Self.architecture.initialParameters(seed: 1), tile: nil, normalization: nil, step: nil)
    #expect(plain.weightsFile.tensors.count == Self.architecture.parameterSpecs.count)
    #expect(plain.weightsFile.metadata["architecture"]?.contains("normLayer") == false)
  }

  /// The configuration names its optimiser; version 1's `momentum` and
  /// normalisation text still decode.
  @Test func configurationCodingOldAndNew() throws {
    let configuration = TrainingConfiguration(
      architecture: Self.architecture, tile: 36, steps: 5, optimizer: .sgd(momentum: 0.9), shards: "s",
      normalization: .standard)
    let json = Checkpoint.json(configuration)
    #expect(json.contains(#""optimizer":{"momentum":0.9,"name":"sgd"}"#), "\(json)")
    #expect(json.contains(#""normalization":{"percentile":{"highPercent":99.8,"lowPercent":1}}"#), "\(json)")
    #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8)) == configuration)
    let versionOne = #"""
      {"architecture":{"baseChannels":2,"classes":3,"depth":1,"dropout":0.25,"inputChannels":1},"batch":1,
      "learningRate":0.001,"momentum":0.9,"normalization":"{\"percentile\":{\"highPercent\":99.8,\"lowPercent\":1}}",
      "schedule":"constant","seed":0,"shards":"s","shuffleBuffer":16,"steps":5,"tile":36,"warmupSteps":0}
      """#
    #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: Data(versionOne.utf8)) == configuration)
    let unknown = json.replacingOccurrences(of: #""name":"sgd""#, with: #""name":"lion""#)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(TrainingConfiguration.self, from: Data(unknown.utf8)) }
    #expect(Optimizer.sgd(momentum: 1).problem?.description == "invalid momentum 1.0: must be in [0, 1)")
  }

  /// A checkpoint with part of its optimiser state is damaged; one without
  /// any holds weights only and cannot resume.
  @Test func optimizerStateIsAllOrNothing() throws {
    let configuration = TrainingConfiguration(architecture: Self.architecture, tile: 36, steps: 5, shards: "/nowhere")
    let parameters = Self.architecture.initialParameters(seed: 1)
    let checkpoint = Checkpoint(
      configuration: configuration, step: 2, parameters: parameters, optimizerState: ["momentum": parameters],
      stream: "{}")
    var partial = checkpoint.safeTensors
    partial.tensors.removeAll { $0.name == "optimizer.momentum.head.bias" }
    #expect(throws: FileError(.corrupt, path: "c", "tensor optimizer.momentum.head.bias is missing")) {
      try Checkpoint(partial, path: "c")
    }
    var weightsOnly = checkpoint
    weightsOnly.optimizerState = nil
    let read = try Checkpoint(weightsOnly.safeTensors, path: "c")
    #expect(read.optimizerState == nil && read.parameters == parameters)
    let refused = try #require(throws: FileError.self) {
      try Trainer(resuming: read, directory: "/run", backend: BackendChoice.default.make(threads: 1))
    }
    #expect(refused.description == "/run/last.ckpt: holds weights only; it cannot resume training")
    // A weights file is not a checkpoint, and says so.
    let error = try #require(throws: FileError.self) { try Checkpoint(checkpoint.export, path: "w") }
    #expect(error.code == .unsupported && error.reason.contains("holds weights only"))
  }

  /// The argmax of class planes against a per-pixel loop over classes;
  /// ties go to the lower class.
  @Test func argmaxOfClassPlanes() {
    var rng = SplitMix64(seed: 17)
    for k in [2, 3, 7] {
      let plane = 50
      // Few distinct values, so that ties occur.
      let planes = (0..<k * plane).map { _ in Float(rng.next() % 4) }
      let got = ClassPlanes.argmax(planes, classes: k)
      for p in 0..<plane {
        let values = (0..<k).map { planes[$0 * plane + p] }
        let best = values.firstIndex(of: values.max()!)!
        #expect(Int(got[p]) == best, "k \(k), pixel \(p): \(values)")
      }
    }
  }
}

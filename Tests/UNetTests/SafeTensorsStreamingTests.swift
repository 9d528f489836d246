import Foundation
import Testing
import _TestSupport
import _Support

@testable import UNet

/// Files written tensor by tensor against the writer that assembled the
/// whole file in memory first (kept here, unchanged, as the reference):
/// the bytes are the same, checkpoints included, and a failure half-way
/// leaves nothing behind.
@Suite struct SafeTensorsStreamingTests {
  /// The file's bytes as the in-memory writer made them, value by value.
  static func reference(_ file: SafeTensors) -> [UInt8] {
    var header: [String: JSONValue] = [:]
    if !file.metadata.isEmpty { header["__metadata__"] = .object(file.metadata.mapValues { .string($0) }) }
    var offset = 0
    for tensor in file.tensors {
      let end = offset + (tensor.dtype == .f32 ? 4 * tensor.values.count : 8 * tensor.integers.count)
      header[tensor.name] = [
        "dtype": .string(tensor.dtype.rawValue),
        "shape": .array(tensor.shape.map { .int(Int64($0)) }),
        "data_offsets": [.int(Int64(offset)), .int(Int64(end))],
      ]
      offset = end
    }
    var json = Array(JSONValue.object(header).serialized(indent: 0).utf8)
    json += [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
    out += json
    for tensor in file.tensors {
      for value in tensor.values {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
      }
      for value in tensor.integers {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
      }
    }
    return out
  }

  static let files: [SafeTensors] = [
    SafeTensorsTests.sample,
    SafeTensors(tensors: []),
    SafeTensors(metadata: ["k": "v"], tensors: []),
    SafeTensors(tensors: [
      .init(name: "n", shape: [], integers: [-2]),
      .init(name: "a", shape: [], values: [0.5]),
      .init(name: "big", shape: [2], integers: [.max, 1 << 40]),
    ]),
    // Larger than one write of the pieces a big-endian machine writes.
    SafeTensors(
      metadata: ["format": "x"],
      tensors: [
        .init(name: "w", shape: [3, 70_001], values: (0..<210_003).map { Float($0) * 1e-3 - 5 }),
        .init(name: "z", shape: [0], values: []),
        .init(name: "b", shape: [17], values: (0..<17).map { -Float($0) }),
      ]),
  ]

  @Test func streamedBytesEqualTheInMemoryWritersBytes() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (i, file) in Self.files.enumerated() {
      let expected = Self.reference(file)
      #expect(file.encoded() == expected, "file \(i)")
      try file.write(to: dir + "/a")
      #expect(try readFile(dir + "/a") == expected, "file \(i)")
      // Each tensor is asked for once, in order.
      var asked: [Int] = []
      try SafeTensors.write(to: dir + "/b", metadata: file.metadata, entries: file.tensors.map(\.entry)) {
        asked.append($0)
        return file.tensors[$0]
      }
      #expect(asked == Array(file.tensors.indices))
      #expect(try readFile(dir + "/b") == expected, "file \(i)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["a", "b"])
  }

  /// Data handed over in pieces of any size (none, one byte, a few, the
  /// rest) make the bytes of the whole tensors.
  @Test func piecewiseBytesEqualTheInMemoryWritersBytes() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (i, file) in Self.files.enumerated() {
      try SafeTensors.write(to: dir + "/c", metadata: file.metadata, entries: file.tensors.map(\.entry)) { index, write in
        try file.tensors[index].withDataBytes { bytes in
          var start = 0
          for size in [0, 1, 3, 0, 4096] + [bytes.count] {
            let end = min(bytes.count, start + size)
            try write(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
          }
        }
      }
      #expect(try readFile(dir + "/c") == Self.reference(file), "file \(i)")
    }
  }

  /// Float32 values lent as a buffer are written as the tensor of those
  /// values is.
  @Test func floatBytesAreThoseOfTheTensor() {
    let tensor = SafeTensors.Tensor(name: "w", shape: [5], values: [1, -0.5, .pi, 0, -0])
    var expected: [UInt8] = []
    tensor.withDataBytes { expected += $0 }
    var bytes: [UInt8] = []
    tensor.values.withUnsafeBufferPointer { values in SafeTensors.withDataBytes(of: values) { bytes += $0 } }
    #expect(bytes == expected && bytes.count == 20)
  }

  /// A tensor that throws, or that is not the one its header entry
  /// announced, stops the write: the old file stays, no temporary file is
  /// left.
  @Test func aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws {
    struct Boom: Error {}
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/model.safetensors"
    let file = SafeTensorsTests.sample
    try file.write(to: path)
    let before = try readFile(path)
    let entries = file.tensors.map(\.entry)

    #expect(throws: Boom.self) {
      try SafeTensors.write(to: path, metadata: [:], entries: entries) { i in
        if i == 2 { throw Boom() }
        return file.tensors[i]
      }
    }
    var wrong = file.tensors[1]
    wrong.shape = [1, 2]
    let mismatch = try #require(throws: FileError.self) {
      try SafeTensors.write(to: path, metadata: [:], entries: entries) { $0 == 1 ? wrong : file.tensors[$0] }
    }
    #expect(mismatch.code == .unsupported && mismatch.path == path)
    #expect(mismatch.reason.contains("is not the header's \"down.0.0.bias\" F32 [2]"), "\(mismatch)")
    var short = file.tensors[0]
    short.values.removeLast()
    short.shape = file.tensors[0].shape
    let count = try #require(throws: FileError.self) {
      try SafeTensors.write(to: path, metadata: [:], entries: entries) { $0 == 0 ? short : file.tensors[$0] }
    }
    #expect(count.reason == "cannot write: tensor \"down.0.0.weight\" has 17 values for shape [2, 1, 3, 3]")
    let duplicate = try #require(throws: FileError.self) {
      try SafeTensors.write(to: path, metadata: [:], entries: [entries[0], entries[0]]) { _ in file.tensors[0] }
    }
    #expect(duplicate.reason == "cannot write: duplicate tensor name \"down.0.0.weight\"")
    // Pieces of more or fewer bytes than the entry announces.
    for extra in [-4, 4] {
      let pieces = try #require(throws: FileError.self) {
        try SafeTensors.write(to: path, metadata: [:], entries: entries) { index, write in
          try file.tensors[index].withDataBytes { bytes in
            let count = index == 1 ? bytes.count + min(extra, 0) : bytes.count
            try write(UnsafeRawBufferPointer(rebasing: bytes.prefix(count)))
            if index == 1, extra > 0 { try write(UnsafeRawBufferPointer(rebasing: bytes.prefix(extra))) }
          }
        }
      }
      #expect(pieces.code == .unsupported && pieces.path == path)
      #expect(
        pieces.reason == "cannot write: tensor \"down.0.0.bias\" has \(8 + extra) bytes of data for F32 [2] (8 bytes)",
        "\(pieces)")
    }

    #expect(try readFile(path) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.safetensors"])
  }

  /// A checkpoint written tensor by tensor has the bytes of its file
  /// assembled in memory: with SGD's and Adam's slots, running statistics
  /// (I64 counts) and without optimiser state.
  @Test func checkpointBytesEqualTheInMemoryWritersBytes() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0.5, normLayer: .batch)
    let statistics = RunningStatistics(values: a.statisticSpecs.map { [Float](repeating: 0.25, count: $0.count) }, batches: 7)
    for optimizer in [Optimizer.sgd(momentum: 0.99), .adam()] {
      let configuration = TrainingConfiguration(architecture: a, tile: 36, steps: 10, optimizer: optimizer, shards: "/d")
      let state = Dictionary(uniqueKeysWithValues: optimizer.slots.enumerated().map { ($1, a.initialParameters(seed: UInt64(2 + $0))) })
      for optimizerState in [state, nil] {
        var checkpoint = Checkpoint(
          configuration: configuration, step: 7, parameters: a.initialParameters(seed: 1), statistics: statistics,
          optimizerState: optimizerState, stream: "{}")
        checkpoint.elapsed = 12.5
        checkpoint.threshold = 0.45
        try checkpoint.write(to: dir + "/c.ckpt")
        #expect(try readFile(dir + "/c.ckpt") == Self.reference(checkpoint.safeTensors), "\(optimizer.name)")
        #expect(try Checkpoint.read(from: dir + "/c.ckpt").optimizerState == optimizerState)
      }
    }
  }

  /// A training run writes its checkpoints from the network, one tensor at
  /// a time: the bytes are those of its state assembled in memory, before
  /// the first step (the optimiser's zero slots included) and after steps.
  @Test(arguments: [Optimizer.sgd(momentum: 0.99), .adam()])
  func trainingCheckpointsEqualTheirStateInMemory(optimizer: Optimizer) throws {
    let root = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    for sub in ["data", "run"] { try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true) }
    try TrainingTests.dataset(in: root + "/data")
    let configuration = TrainingConfiguration(
      architecture: .init(inputChannels: 1, classes: 2, baseChannels: 4, depth: 1, dropout: 0.5),
      tile: 34, steps: 3, learningRate: 1e-3, optimizer: optimizer, seed: 5, shuffleBuffer: 3, shards: root + "/data")
    let trainer = try Trainer(
      configuration: configuration, directory: root + "/run", backend: DNNLBackend(threads: 1), checkpointEvery: 100)
    let last = root + "/run/" + Checkpoint.lastName
    func expected() throws -> [UInt8] {
      // The elapsed time goes on after the file is written.
      var state = trainer.checkpoint
      state.elapsed = try Checkpoint.read(from: last).elapsed
      return Self.reference(state.safeTensors)
    }
    #expect(try trainer.run(shouldStop: { true }) == .interrupted(step: 0))
    #expect(try readFile(last) == expected())
    let zeros = try #require(try Checkpoint.read(from: last).optimizerState)
    #expect(Set(zeros.keys) == Set(optimizer.slots) && zeros.values.allSatisfy { $0.joined().allSatisfy { $0 == 0 } })
    #expect(try trainer.run() == .finished(step: 3))
    #expect(try readFile(last) == expected())
  }

  /// The tensors a training graph lends (converted in its activations'
  /// memory, idle between steps) are those of its copies, after a step as
  /// before, in blocked layouts and plain ones.
  @Test(arguments: [2, 16])
  func lentTensorsEqualTheCopies(baseChannels: Int) throws {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: baseChannels, depth: 1, dropout: 0.5)
    let tile = (1...200).first { a.outputSize(forTile: $0) != nil }!
    let output = a.outputSize(forTile: tile)!
    let network = try DNNLBackend(threads: 1).compile(a.graph, batch: 1, inputSize: tile, training: true)
    network.setParameters(a.initialParameters(seed: 3))
    func check(_ when: String) {
      for i in a.parameterSpecs.indices {
        #expect(network.withParameter(i) { Array($0) } == network.parameter(i), "\(when): parameter \(i)")
        for slot in network.optimizerSlots {
          #expect(
            network.withOptimizerState(slot, parameter: i) { Array($0) } == network.optimizerState(slot, parameter: i),
            "\(when): \(slot) \(i)")
        }
      }
    }
    check("before a step")
    var rng = SplitMix64(seed: 4)
    let logits = try network.forward((0..<tile * tile).map { _ in Float(rng.uniform(-1, 1)) }, dropoutSeed: 1)
    let labels = [Int32](repeating: 1, count: output * output), weights = [Float](repeating: 1, count: output * output)
    try network.backward(
      WeightedCrossEntropy.evaluate(logits: logits, labels: labels, weights: weights, classes: 2, batch: 1).gradient)
    try network.update(.adam(), learningRate: 1e-3, step: 1)
    #expect(network.optimizerSlots.count == 2)
    check("after a step")
  }

  /// Writing checkpoints between steps, which converts the weights in the
  /// activations' memory, leaves training as it was: a run that writes one
  /// after every step ends with the weights and optimiser state of one that
  /// writes none until the end.
  @Test func checkpointsBetweenStepsLeaveTrainingAsItWas() throws {
    let root = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: root) }
    for sub in ["data", "a", "b"] { try FileManager.default.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true) }
    try TrainingTests.dataset(in: root + "/data")
    let configuration = TrainingConfiguration(
      architecture: .init(inputChannels: 1, classes: 2, baseChannels: 16, depth: 1, dropout: 0.5),
      tile: 34, steps: 3, learningRate: 1e-3, optimizer: .adam(), seed: 5, shuffleBuffer: 3, shards: root + "/data")
    var states: [Checkpoint] = []
    for (run, every) in [("a", 1), ("b", 100)] {
      let trainer = try Trainer(
        configuration: configuration, directory: root + "/" + run, backend: DNNLBackend(threads: 1), checkpointEvery: every)
      #expect(try trainer.run() == .finished(step: 3))
      states.append(trainer.checkpoint)
    }
    #expect(states[0].parameters == states[1].parameters)
    #expect(states[0].optimizerState == states[1].optimizerState)
  }
}

import Raster
import Testing
import _TestSupport

@_spi(Diagnostics) @testable import UNet

/// The oneDNN backend against the double-precision reference network, which
/// is itself checked against finite differences (ReferenceTests).
///
/// Tolerance: float32 against float64 through up to 23 layers; every tensor
/// (logits, each parameter gradient) must satisfy
/// max|fast − reference| ≤ 2e-4 · max|reference| + 1e-7.
@Suite(.slow) struct BackendTests {
  struct Case {
    var architecture: Architecture
    var batch: Int
    var extraTile = 0
  }

  static let cases: [Case] = [
    // Few channels: plain layouts, concatenation splits that cut no block.
    Case(architecture: .init(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0.5), batch: 2),
    Case(architecture: .init(inputChannels: 2, classes: 3, baseChannels: 3, depth: 2, dropout: 0.5), batch: 1, extraTile: 4),
    // 16 and more channels: oneDNN's blocked layouts (nChw16c) end to end.
    Case(architecture: .init(inputChannels: 1, classes: 2, baseChannels: 16, depth: 2, dropout: 0.5), batch: 2),
    // Batch normalisation after each 3×3 convolution, in plain and blocked layouts.
    Case(architecture: .init(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0.5, normLayer: .batch), batch: 2),
    Case(
      architecture: .init(inputChannels: 2, classes: 3, baseChannels: 3, depth: 2, dropout: 0.5, normLayer: .batch), batch: 1,
      extraTile: 4),
    Case(architecture: .init(inputChannels: 1, classes: 2, baseChannels: 16, depth: 2, dropout: 0.5, normLayer: .batch), batch: 2),
  ]

  static func tile(_ a: Architecture, extra: Int) -> Int {
    let smallest = (1...400).first { a.outputSize(forTile: $0) != nil }!
    return smallest + extra
  }

  func maxError(_ fast: [Float], _ reference: [Double]) -> (error: Double, scale: Double) {
    #expect(fast.count == reference.count)
    var error = 0.0
    var scale = 0.0
    for (f, r) in zip(fast, reference) {
      error = max(error, abs(Double(f) - r))
      scale = max(scale, abs(r))
    }
    return (error, scale)
  }

  /// Every case with each way of computing the 3×3 weight gradients
  /// (oneDNN's primitive, and nine matrix products per image), whatever
  /// the machine's instruction set would choose.
  @Test(arguments: 0..<cases.count, [DNNLBackend.WeightGradient.primitive, .gemm])
  func gradientsMatchReference(_ index: Int, weightGradient: DNNLBackend.WeightGradient) throws {
    let c = Self.cases[index]
    let a = c.architecture
    let tile = Self.tile(a, extra: c.extraTile)
    let output = try a.validateTile(tile)
    let graph = a.graph
    let network = try BackendChoice.default.make(threads: 1, weightGradient: weightGradient).compile(
      graph, batch: c.batch, inputSize: tile, training: true)
    let kernels = network.kernels.map(\.implementation)
    #expect(kernels.contains { $0.hasPrefix("gemm:sgemm") } == (weightGradient == .gemm))
    var rng = SplitMix64(seed: 11)
    let parameters = Self.parameters(a, using: &rng)
    network.setParameters(parameters)
    #expect(network.parameters() == parameters)

    let input = (0..<c.batch * a.inputChannels * tile * tile).map { _ in Float(rng.uniform(-1, 1)) }
    let labels = (0..<c.batch * output * output).map { _ in Int32(rng.next() % UInt64(a.classes)) }
    let weights = (0..<c.batch * output * output).map { _ in Float(rng.uniform(0.5, 3)) }

    let seed: UInt64 = 99
    let logits = try network.forward(input, dropoutSeed: seed)
    let (loss, gradient) = WeightedCrossEntropy.evaluate(
      logits: logits, labels: labels, weights: weights, classes: a.classes, batch: c.batch)
    try network.backward(gradient)
    let gradients = network.gradients()

    // The same dropout mask: the dropout operation's output tensor is its stream.
    let dropoutOutput = graph.operations.firstIndex { if case .dropout = $0 { return true } else { return false } }! + 1
    let shapes = graph.shapes(inputSize: tile)!
    let bottom = shapes[dropoutOutput]
    let mask = Graph.dropoutMask(
      seed: seed, stream: UInt64(dropoutOutput), count: c.batch * bottom.channels * bottom.extent.reduce(1, *),
      probability: a.dropout)
    let reference = ReferenceNetwork(architecture: a).lossAndGradients(
      parameters: parameters.map { $0.map(Double.init) }, input: input.map(Double.init), batch: c.batch, tile: tile,
      labels: labels, weights: weights.map(Double.init), dropoutMask: mask.map(Double.init))

    let (logitError, logitScale) = maxError(logits, reference.logits)
    #expect(logitError <= 2e-4 * logitScale + 1e-7, "logits: \(logitError) of \(logitScale)")
    #expect(abs(loss - reference.loss) <= 1e-5 * reference.loss)
    for (i, spec) in a.parameterSpecs.enumerated() {
      let (error, scale) = maxError(gradients[i], reference.parameterGradients[i])
      #expect(scale > 0, "\(spec.name) has no gradient")
      #expect(error <= 2e-4 * scale + 1e-7, "\(spec.name): \(error) of \(scale)")
    }

    // The running statistics moved once from (0, 1) towards the batch's, as
    // PyTorch moves them: r ← 0.1·s + 0.9·r, the variance unbiased by m/(m − 1).
    let statistics = network.runningStatistics()
    #expect(statistics.batches == (a.normLayer == .none ? 0 : 1))
    let batchStatistics = ReferenceNetwork(architecture: a).forward(
      parameters: parameters.map { $0.map(Double.init) }, input: input.map(Double.init), batch: c.batch, tile: tile,
      dropoutMask: mask.map(Double.init)
    ).cache.normStatistics
    #expect(statistics.values.count == a.statisticSpecs.count && batchStatistics.count == a.statisticSpecs.count)
    let sizes = graph.operations.enumerated().compactMap { i, op -> Int? in
      if case .batchNorm = op { return shapes[i + 1].extent[0] } else { return nil }
    }
    for (k, spec) in a.statisticSpecs.enumerated() {
      let m = Double(c.batch * sizes[k / 2] * sizes[k / 2])
      let expected = batchStatistics[k].map { spec.role == .mean ? 0.1 * $0 : 0.9 + 0.1 * $0 * m / (m - 1) }
      let (error, scale) = maxError(statistics.values[k], expected)
      #expect(error <= 2e-4 * scale + 1e-7, "\(spec.name): \(error) of \(scale)")
    }
  }

  /// Weights with non-zero biases and shifts and scales other than 1, so
  /// that their use in the forward pass and their gradients are exercised.
  static func parameters(_ a: Architecture, using rng: inout SplitMix64) -> [[Float]] {
    var parameters = a.initialParameters(seed: 7)
    for (i, spec) in a.parameterSpecs.enumerated() {
      switch spec.role {
      case .bias, .normShift: parameters[i] = parameters[i].map { _ in Float(rng.uniform(-0.1, 0.1)) }
      case .normScale: parameters[i] = parameters[i].map { _ in Float(rng.uniform(0.5, 1.5)) }
      case .convolutionWeight, .upConvolutionWeight: break
      }
    }
    return parameters
  }

  /// An inference graph normalises with the running statistics it is given
  /// (PyTorch's eval mode), whatever the batch holds.
  @Test(arguments: [2, 16])
  func inferenceUsesTheRunningStatistics(baseChannels: Int) throws {
    let a = Architecture(
      inputChannels: 1, classes: 2, baseChannels: baseChannels, depth: 2, dropout: 0.5, normLayer: .batch)
    let tile = Self.tile(a, extra: 8)
    var rng = SplitMix64(seed: 21)
    let parameters = Self.parameters(a, using: &rng)
    let statistics = RunningStatistics(
      values: a.statisticSpecs.map { spec in
        (0..<spec.count).map { _ in Float(spec.role == .mean ? rng.uniform(-0.5, 0.5) : rng.uniform(0.5, 2)) }
      }, batches: 17)
    let network = try BackendChoice.default.make(threads: 1).compile(a.graph, batch: 2, inputSize: tile, training: false)
    network.setParameters(parameters)
    try network.setRunningStatistics(statistics)
    #expect(network.runningStatistics() == statistics)
    let input = (0..<2 * tile * tile).map { _ in Float(rng.uniform(-1, 1)) }
    let logits = try network.forward(input, dropoutSeed: 0)
    // Inference changes nothing.
    #expect(network.runningStatistics() == statistics)
    let reference = ReferenceNetwork(architecture: a).forward(
      parameters: parameters.map { $0.map(Double.init) }, input: input.map(Double.init), batch: 2, tile: tile,
      dropoutMask: nil, statistics: statistics.values.map { $0.map(Double.init) })
    let (error, scale) = maxError(logits, reference.logits)
    #expect(error <= 2e-4 * scale + 1e-7, "logits: \(error) of \(scale)")

    #expect(throws: TrainingError.self) { try network.setRunningStatistics(.empty) }
    var misshapen = statistics
    misshapen.values[0].removeLast()
    #expect(throws: TrainingError.self) { try network.setRunningStatistics(misshapen) }
  }

  @Test(arguments: [NormLayer.none, .batch])
  func paperConfigurationKeepsBlockedLayouts(normLayer: NormLayer) throws {
    var a = Architecture.paper
    a.normLayer = normLayer
    let network = try DNNLGraph(a.graph, batch: 1, input: [572, 572], training: true)
    #expect(network.layoutConversions == 0)
    #expect(network.outputShape.channels == 2 && network.outputShape.extent == [388, 388])
  }

  /// A compiled graph holds its steps as closures; none may keep the graph
  /// (and its buffers) alive once its owner lets go.
  @Test func compiledGraphsAreFreed() throws {
    weak var released: DNNLGraph?
    do {
      let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 4, depth: 1, dropout: 0.5)
      let graph = try DNNLGraph(a.graph, batch: 1, input: [36, 36], training: true)
      _ = try graph.forward([Float](repeating: 0.5, count: 36 * 36), dropoutSeed: 1)
      released = graph
      #expect(released != nil)
    }
    #expect(released == nil)
  }

  @Test func sgdMatchesPyTorchsRule() throws {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0)
    let tile = Self.tile(a, extra: 0)
    let output = a.outputSize(forTile: tile)!
    let network = try BackendChoice.default.make(threads: 1).compile(a.graph, batch: 1, inputSize: tile, training: true)
    let p0 = a.initialParameters(seed: 1)
    network.setParameters(p0)
    let v0 = p0.map { $0.map { $0 * 0.5 } }
    try network.setOptimizerState(["momentum": v0])
    #expect(network.optimizerState() == ["momentum": v0])
    var rng = SplitMix64(seed: 2)
    let input = (0..<tile * tile).map { _ in Float(rng.uniform(-1, 1)) }
    let logits = try network.forward(input, dropoutSeed: 0)
    let labels = [Int32](repeating: 1, count: output * output)
    let weights = [Float](repeating: 1, count: output * output)
    try network.backward(WeightedCrossEntropy.evaluate(logits: logits, labels: labels, weights: weights, classes: 2, batch: 1).gradient)
    let g = network.gradients()
    try network.update(.sgd(momentum: 0.9), learningRate: 0.1, step: 1)
    let p1 = network.parameters()
    let v1 = try #require(network.optimizerState()["momentum"])
    for i in p0.indices {
      for k in p0[i].indices {
        let v = 0.9 * v0[i][k] + g[i][k]
        #expect(abs(v1[i][k] - v) <= 1e-6 * max(1, abs(v)))
        #expect(abs(p1[i][k] - (p0[i][k] - 0.1 * v)) <= 1e-6 * max(1, abs(p0[i][k])))
      }
    }
  }
}

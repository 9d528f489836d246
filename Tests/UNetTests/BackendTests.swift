import Raster
import Testing

@_spi(Diagnostics) @testable import UNet

/// The oneDNN backend against the double-precision reference network, which
/// is itself checked against finite differences (ReferenceTests).
///
/// Tolerance: float32 against float64 through up to 23 layers; every tensor
/// (logits, each parameter gradient) must satisfy
/// max|fast − reference| ≤ 2e-4 · max|reference| + 1e-7.
@Suite struct BackendTests {
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

  @Test(arguments: 0..<cases.count)
  func gradientsMatchReference(_ index: Int) throws {
    let c = Self.cases[index]
    let a = c.architecture
    let tile = Self.tile(a, extra: c.extraTile)
    let output = try a.validateTile(tile)
    let graph = a.graph
    let network = try DNNLBackend(threads: 1).compile(graph, batch: c.batch, inputSize: tile, training: true)
    // Biases non-zero so that their gradients and the forward pass are exercised.
    var parameters = a.initialParameters(seed: 7)
    var rng = SplitMix64(seed: 11)
    for (i, spec) in a.parameterSpecs.enumerated() where spec.role == .bias {
      parameters[i] = parameters[i].map { _ in Float(rng.uniform(-0.1, 0.1)) }
    }
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
      seed: seed, stream: UInt64(dropoutOutput), count: c.batch * bottom.channels * bottom.size * bottom.size,
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
  }

  @Test func paperConfigurationKeepsBlockedLayouts() throws {
    let network = try DNNLGraph(Architecture.paper.graph, batch: 1, inputSize: 572, training: true)
    #expect(network.layoutConversions == 0)
    #expect(network.outputShape == (channels: 2, size: 388) as (channels: Int, size: Int))
  }

  /// A compiled graph holds its steps as closures; none may keep the graph
  /// (and its buffers) alive once its owner lets go.
  @Test func compiledGraphsAreFreed() throws {
    weak var released: DNNLGraph?
    do {
      let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 4, depth: 1, dropout: 0.5)
      let graph = try DNNLGraph(a.graph, batch: 1, inputSize: 36, training: true)
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
    let network = try DNNLBackend(threads: 1).compile(a.graph, batch: 1, inputSize: tile, training: true)
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

import Foundation
import Testing
import Raster

@_spi(Diagnostics) @testable import UNet

/// Each optimiser of the oneDNN backend against a slow, double-precision
/// transcription of PyTorch's documented update rule (the pseudo-code of
/// `torch.optim.SGD`, `Adam` and `AdamW`), over several steps from random
/// parameters and random slots, with the network's own gradients.
///
/// Tolerance: float32 against float64 over 6 steps; every parameter and
/// slot value must satisfy |fast − reference| ≤ 1e-5·max(1, |reference|).
@Suite struct OptimizerTests {
  /// PyTorch's rules, one value at a time, in Double.
  struct Reference {
    var optimizer: Optimizer
    var parameters: [[Double]]
    var slots: [String: [[Double]]]

    mutating func step(gradients: [[Float]], learningRate lr: Double, t: Int) {
      for i in parameters.indices {
        for k in parameters[i].indices {
          var p = parameters[i][k]
          var g = Double(gradients[i][k])
          switch optimizer {
          case .sgd(let mu, let nesterov, let lambda):
            // torch.optim.SGD (dampening 0): g ← g + λθ; b ← μb + g; g ← g + μb if nesterov else b; θ ← θ − γg.
            g += lambda * p
            let b = mu * slots["momentum"]![i][k] + g
            slots["momentum"]![i][k] = b
            g = nesterov ? g + mu * b : b
            p -= lr * g
          case .adam(let b1, let b2, let eps, let lambda), .adamw(let b1, let b2, let eps, let lambda):
            if case .adamw = optimizer { p -= lr * lambda * p } else { g += lambda * p }
            let m = b1 * slots["moment1"]![i][k] + (1 - b1) * g
            let v = b2 * slots["moment2"]![i][k] + (1 - b2) * g * g
            slots["moment1"]![i][k] = m
            slots["moment2"]![i][k] = v
            let mHat = m / (1 - pow(b1, Double(t)))
            let vHat = v / (1 - pow(b2, Double(t)))
            p -= lr * mHat / (vHat.squareRoot() + eps)
          }
          parameters[i][k] = p
        }
      }
    }
  }

  static func close(_ fast: [[Float]], _ reference: [[Double]]) -> Bool {
    zip(fast, reference).allSatisfy { a, b in
      zip(a, b).allSatisfy { x, y in abs(Double(x) - y) <= 1e-5 * max(1, abs(y)) }
    }
  }

  @Test(arguments: [
    Optimizer.sgd(momentum: 0.9), .sgd(momentum: 0.99, nesterov: true), .sgd(momentum: 0.9, nesterov: true, weightDecay: 0.05),
    .adam(), .adam(beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.05), .adamw(), .adamw(weightDecay: 0.3),
  ])
  func updateMatchesPyTorchsRule(optimizer: Optimizer) throws {
    // 16 base channels: blocked layouts and a zero-padded first convolution.
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 16, depth: 1, dropout: 0)
    let tile = (1...400).first { a.outputSize(forTile: $0) != nil }!
    let output = a.outputSize(forTile: tile)!
    let network = try BackendChoice.default.make(threads: 1).compile(a.graph, batch: 1, inputSize: tile, training: true)
    let p0 = a.initialParameters(seed: 1)
    network.setParameters(p0)
    // Mid-run state: random slots (second moments non-negative), from update 4 on.
    var rng = SplitMix64(seed: 3)
    var slots: [String: [[Float]]] = [:]
    for name in optimizer.slots {
      slots[name] = p0.map { $0.map { _ in Float(name == "moment2" ? rng.uniform(0, 1e-3) : rng.uniform(-0.01, 0.01)) } }
    }
    try network.setOptimizerState(slots)
    var reference = Reference(
      optimizer: optimizer, parameters: network.parameters().map { $0.map(Double.init) },
      slots: slots.mapValues { $0.map { $0.map(Double.init) } })
    for t in 4..<10 {
      let input = (0..<tile * tile).map { _ in Float(rng.uniform(-1, 1)) }
      let labels = (0..<output * output).map { _ in Int32(rng.uniform(0, 1) < 0.5 ? 0 : 1) }
      let weights = [Float](repeating: 1, count: output * output)
      let logits = try network.forward(input, dropoutSeed: 0)
      try network.backward(
        WeightedCrossEntropy.evaluate(logits: logits, labels: labels, weights: weights, classes: 2, batch: 1).gradient)
      let g = network.gradients()
      let lr = 0.01 / Double(t)
      try network.update(optimizer, learningRate: Float(lr), step: t)
      reference.step(gradients: g, learningRate: Double(Float(lr)), t: t)
      #expect(Self.close(network.parameters(), reference.parameters), "parameters after update \(t)")
      let state = network.optimizerState()
      #expect(Set(state.keys) == Set(optimizer.slots))
      for name in optimizer.slots {
        #expect(Self.close(try #require(state[name]), reference.slots[name]!), "\(name) after update \(t)")
      }
    }
    // The parameters moved: the comparison is not of unchanged values.
    #expect(network.parameters() != p0)
  }

  /// New runs start each slot at zero; the first Adam step then moves
  /// every parameter with a gradient by about the learning rate.
  @Test func adamsFirstStepIsAboutTheLearningRate() throws {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0)
    let tile = (1...400).first { a.outputSize(forTile: $0) != nil }!
    let output = a.outputSize(forTile: tile)!
    let network = try BackendChoice.default.make(threads: 1).compile(a.graph, batch: 1, inputSize: tile, training: true)
    let p0 = a.initialParameters(seed: 2)
    network.setParameters(p0)
    var rng = SplitMix64(seed: 4)
    let logits = try network.forward((0..<tile * tile).map { _ in Float(rng.uniform(-1, 1)) }, dropoutSeed: 0)
    try network.backward(
      WeightedCrossEntropy.evaluate(
        logits: logits, labels: [Int32](repeating: 1, count: output * output),
        weights: [Float](repeating: 1, count: output * output), classes: 2, batch: 1
      ).gradient)
    let g = network.gradients()
    try network.update(.adam(), learningRate: 1e-3, step: 1)
    for (i, p) in network.parameters().enumerated() {
      for k in p.indices where abs(g[i][k]) > 1e-4 {
        // m̂/√v̂ = g/|g| at t = 1: a step of η·sign(g) up to ε.
        #expect(abs((p0[i][k] - p[k]) - 1e-3 * (g[i][k] > 0 ? 1 : -1)) < 1e-6)
      }
    }
  }

  @Test func rangesAndJSON() throws {
    #expect(Optimizer.adam(beta1: 1).problem?.description == "invalid betas 1.0,0.999: must be in [0, 1), both")
    #expect(Optimizer.adamw(epsilon: 0).problem?.description == "invalid epsilon 0.0: must be finite and > 0")
    #expect(Optimizer.sgd(momentum: 0.9, weightDecay: -1).problem?.setting == "weightDecay")
    #expect(Optimizer.sgd(momentum: 0, nesterov: true).problem != nil)
    for optimizer in [Optimizer.paper, .sgd(momentum: 0.9, nesterov: true, weightDecay: 1e-4), .adam(), .adamw(weightDecay: 0.1)] {
      let data = try JSONEncoder().encode(optimizer)
      #expect(try JSONDecoder().decode(Optimizer.self, from: data) == optimizer)
    }
    // The paper's SGD writes what checkpoints always held.
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    #expect(String(decoding: try encoder.encode(Optimizer.paper), as: UTF8.self) == #"{"momentum":0.99,"name":"sgd"}"#)
  }
}

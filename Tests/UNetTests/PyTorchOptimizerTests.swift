import Foundation
import Raster
import Testing
import _TestSupport

@_spi(Diagnostics) import UNet

/// The optimisers against PyTorch's. Runs only where a Python with torch is
/// found (see `torchPython`); the comment is the reason printed with each
/// skipped test.
@Suite(
  .slow,
  .enabled(
    if: torchPython.isAvailable,
    "needs a Python importing torch, numpy, safetensors, webdataset and PIL: set UNETKIT_TORCH_PYTHON"))
struct PyTorchOptimizerTests {
  let dir = makeTemporaryDirectory()

  /// Each optimiser of the oneDNN backend against torch.optim itself: the
  /// same initial parameters, the network's gradients and a changing
  /// learning rate over 5 steps (from zero state, as a new run starts),
  /// replayed by Tests/python/torch_optimizers.py. Tolerance: both in
  /// float32; |ours − torch| ≤ 1e-5·max(1, |torch|) for every parameter.
  @Test(arguments: [
    Optimizer.paper, .sgd(momentum: 0.9, nesterov: true, weightDecay: 0.05), .adam(), .adam(weightDecay: 0.05),
    .adamw(), .adamw(beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.3),
  ])
  func optimizersEqualTorchOptim(optimizer: Optimizer) throws {
    try torchPython.checkImports()
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 16, depth: 1, dropout: 0)
    let tile = (1...400).first { a.outputSize(forTile: $0) != nil }!
    let output = a.outputSize(forTile: tile)!
    let network = try BackendChoice.default.make(threads: 1).compile(a.graph, batch: 1, inputSize: tile, training: true)
    let p0 = a.initialParameters(seed: 6)
    network.setParameters(p0)
    var rng = SplitMix64(seed: 7)
    var gradients: [[[Float]]] = []
    var rates: [Float] = []
    for t in 1...5 {
      let logits = try network.forward((0..<tile * tile).map { _ in Float(rng.uniform(-1, 1)) }, dropoutSeed: 0)
      let labels = (0..<output * output).map { _ in Int32(rng.uniform(0, 1) < 0.5 ? 0 : 1) }
      try network.backward(
        WeightedCrossEntropy.evaluate(
          logits: logits, labels: labels, weights: [Float](repeating: 1, count: output * output), classes: 2, batch: 1
        ).gradient)
      gradients.append(network.gradients())
      rates.append(Float(0.01 / Double(t)))
      try network.update(optimizer, learningRate: rates.last!, step: t)
    }
    let input = dir + "/run.json"
    let run: [String: Any] = [
      "optimizer": try JSONSerialization.jsonObject(with: JSONEncoder().encode(optimizer)),
      "parameters": p0.map { $0.map(Double.init) }, "rates": rates.map(Double.init),
      "gradients": gradients.map { $0.map { $0.map(Double.init) } },
    ]
    try JSONSerialization.data(withJSONObject: run).write(to: URL(fileURLWithPath: input))
    let py = try torchPython.python([pythonScriptsFolder + "/torch_optimizers.py", input])
    try #require(py.status == 0, "\(py.stderr)")
    let torch = try #require(try JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [[Double]])
    let ours = network.parameters()
    #expect(torch.map(\.count) == ours.map(\.count))
    var worst = 0.0
    for (x, y) in zip(ours, torch) {
      for (u, v) in zip(x, y) { worst = max(worst, abs(Double(u) - v) / max(1, abs(v))) }
    }
    #expect(worst <= 1e-5, "largest difference \(worst)")
    #expect(ours != p0)
  }
}

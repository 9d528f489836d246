import Foundation
import Testing
import _Support
import _TestSupport

@_spi(Diagnostics) import UNet

/// The 3-D U-Net (Çiçek et al. 2016) on the oneDNN backend against the same
/// network in PyTorch (examples/pytorch's module with `dimensions=3`, run
/// in float64 by Tests/python/torch_unet_step.py): one training step's
/// logits, loss and every parameter's gradient, with and without batch
/// normalisation and in-plane poolings, at a tile whose three sizes differ
/// (so that no two axes can be confused).
///
/// Tolerances: the backend computes in float32. A float32 sum of n terms
/// errs typically by √n·u (u = 6e-8); the longest sums here are the weight
/// gradients' (n = batch · output voxels ≤ 2·40³ ≈ 1.3e5, √n·u ≈ 2e-5) and
/// the convolutions' (n ≤ 27·16). Over the network's dozen layers that is
/// below 1e-4 of a tensor's largest value; 2e-4 leaves a factor 2. A wrong
/// kernel, axis or layout differs by the whole value.
@Suite(
  .slow,
  .enabled(
    if: torchPython.isAvailable,
    "needs a Python importing torch, numpy, safetensors, webdataset and PIL: set UNETKIT_TORCH_PYTHON"))
struct VolumeNetworkTests {
  let dir = makeTemporaryDirectory()

  struct Case: Sendable, CustomStringConvertible {
    var normLayer: NormLayer
    var inPlanePoolings: Int
    var batch: Int
    var description: String { "\(normLayer) normalisation, \(inPlanePoolings) in-plane poolings, batch \(batch)" }
  }

  @Test(arguments: [
    Case(normLayer: .none, inPlanePoolings: 0, batch: 1), Case(normLayer: .batch, inPlanePoolings: 1, batch: 2),
  ])
  func aTrainingStepEqualsPyTorchs(_ c: Case) throws {
    try torchPython.checkImports()
    let a = Architecture(
      inputChannels: 1, classes: 3, baseChannels: 4, depth: 2, dropout: 0, normLayer: c.normLayer, dimensions: 3,
      inPlanePoolings: c.inPlanePoolings)
    // The smallest valid size from 20 up along z, then two larger along y and x.
    func valid(from start: Int, axis: Int) -> Int { (start...400).first { a.outputSize(forTile: $0, axis: axis) != nil }! }
    let z = valid(from: 20, axis: 0)
    let y = valid(from: valid(from: 20, axis: 1) + 1, axis: 1)
    let x = valid(from: y + 1, axis: 2)
    let extent = [z, y, x]
    let output = try #require(a.outputExtent(forTile: extent))
    let network = try BackendChoice.default.make(threads: 2).compile(a.graph, batch: c.batch, input: extent, training: true)
    #expect(network.outputShape.channels == 3 && network.outputShape.extent == output)
    #expect(network.kernels.filter(\.isReference).isEmpty, "reference kernels: \(network.kernels.filter(\.isReference))")

    let parameters = a.initialParameters(seed: 3)
    network.setParameters(parameters)
    var rng = SplitMix64(seed: 5)
    let input = (0..<c.batch * extent.reduce(1, *)).map { _ in Float(rng.uniform(-1, 1)) }
    let voxels = c.batch * output.reduce(1, *)
    let labels = (0..<voxels).map { _ in Int32(rng.uniform(0, 3)) }
    let weights = (0..<voxels).map { _ in Float(rng.uniform(0, 2)) }
    let logits = try network.forward(input, dropoutSeed: 0)
    let (loss, gradient) = WeightedCrossEntropy.evaluate(
      logits: logits, labels: labels, weights: weights, classes: 3, batch: c.batch)
    try network.backward(gradient)
    let gradients = network.gradients()

    let path = dir + "/step.json"
    let architecture = try JSONSerialization.jsonObject(with: JSONEncoder().encode(a)) as! [String: Any]
    let names = a.parameterSpecs.map(\.name)
    let run: [String: Any] = [
      "architecture": architecture, "batch": c.batch, "extent": extent,
      "parameters": Dictionary(uniqueKeysWithValues: zip(names, parameters.map { $0.map(Double.init) })),
      "input": input.map(Double.init), "labels": labels.map(Int.init), "weights": weights.map(Double.init),
    ]
    try JSONSerialization.data(withJSONObject: run).write(to: URL(fileURLWithPath: path))
    let py = try torchPython.python([pythonScriptsFolder + "/torch_unet_step.py", path])
    try #require(py.status == 0, "\(py.stderr)")
    let torch = try #require(try JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: Any])
    let torchLoss = try #require(torch["loss"] as? Double)
    let torchLogits = try #require(torch["logits"] as? [Double])
    let torchGradients = try #require(torch["gradients"] as? [String: [Double]])

    // With batch normalisation an up-convolution's bias has no gradient:
    // a constant shift of a channel becomes a constant shift of the next
    // convolution's outputs, which the normalisation removes. PyTorch's
    // float64 value is then rounding (1e-17); ours is float32 rounding of
    // terms of the size of the other gradients (1e-8).
    let vanishing = Set(a.normLayer == .batch ? names.filter { $0.hasPrefix("up.") && $0.hasSuffix(".bias") } : [])
    func check(_ ours: [Float], _ exact: [Double], _ what: String) {
      #expect(ours.count == exact.count, "\(what): \(ours.count) values, PyTorch \(exact.count)")
      let scale = exact.map(abs).max() ?? 0
      let error = zip(ours, exact).map { abs(Double($0) - $1) }.max() ?? 0
      if vanishing.contains(what) {
        #expect(scale < 1e-12 && error < 1e-6, "\(what): \(error) from PyTorch's \(scale)")
        return
      }
      #expect(scale > 0, "\(what) is zero")
      #expect(error <= 2e-4 * scale, "\(what): largest difference \(error) of \(scale)")
    }
    #expect(abs(loss - torchLoss) <= 2e-4 * torchLoss, "loss \(loss), PyTorch \(torchLoss)")
    check(logits, torchLogits, "logits")
    for (i, name) in names.enumerated() {
      check(gradients[i], try #require(torchGradients[name]), name)
    }
  }

  /// The tile rule along each axis, with the slice axis pooled from level
  /// `inPlanePoolings` on: the sizes PyTorch's module accepts are those the
  /// architecture calls valid, and the output sizes agree.
  @Test func tileGeometryPerAxis() throws {
    let a = Architecture(
      inputChannels: 1, classes: 2, baseChannels: 4, depth: 3, dropout: 0, dimensions: 3, inPlanePoolings: 1)
    #expect(a.margins == [a.margin(axis: 0), a.margin, a.margin])
    // In-plane: 4·(2^3 − 1) + 2·2^3 = 44; along z the first level does not
    // pool, so its scale doubles once less: (4 + 4 + 8 + 16 + 8 + 4 + 4) / 2 = 24.
    #expect(a.margin == 44 && a.margin(axis: 0) == 24)
    for t in 20...140 {
      if let o = a.outputSize(forTile: t, axis: 0) { #expect(o == t - 48) }
      if let o = a.outputSize(forTile: t, axis: 1) { #expect(o == t - 88) }
    }
    #expect(throws: TrainingError.self) { try a.validateTile(TileSize(square: 116)) }
    do {
      _ = try a.validateTile(TileSize(width: 116, height: 117, depth: 44))
      Issue.record("117 accepted")
    } catch {
      #expect("\(error)".contains("nearest valid tiles: 116x116x"), "\(error)")
    }
  }
}

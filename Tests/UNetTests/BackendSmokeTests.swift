import Testing
@testable import UNet

@Suite struct BackendSmokeTests {
  @Test func tinyGradientsMatchFiniteDifferences() throws {
    let arch = Architecture(inputChannels: 1, classes: 2, baseChannels: 2, depth: 1, dropout: 0)
    let tile = (1...100).first { arch.outputSize(forTile: $0) != nil }!
    let out = arch.outputSize(forTile: tile)!
    let net = try DNNLBackend(threads: 1).compile(arch.graph, batch: 1, inputSize: tile, training: true)
    var params = arch.initialParameters(seed: 3)
    net.setParameters(params)
    var rng = SplitMixForTests(1)
    let input = (0..<tile * tile).map { _ in Float(rng.unit() * 2 - 1) }
    let labels = (0..<out * out).map { _ in Int32(rng.unit() < 0.5 ? 0 : 1) }
    let weights = (0..<out * out).map { _ in Float(0.5 + rng.unit()) }
    func loss(_ p: [[Float]]) -> Double {
      net.setParameters(p)
      let z = net.forward(input, dropoutSeed: 0)
      return WeightedCrossEntropy.evaluate(logits: z, labels: labels, weights: weights, classes: 2, batch: 1).loss
    }
    net.setParameters(params)
    let z = net.forward(input, dropoutSeed: 0)
    let (l0, g) = WeightedCrossEntropy.evaluate(logits: z, labels: labels, weights: weights, classes: 2, batch: 1)
    net.backward(g)
    let grads = net.gradients()
    print("tile", tile, "out", out, "loss", l0)
    for (pi, spec) in arch.parameterSpecs.enumerated() {
      for k in [0, spec.count / 2, spec.count - 1] {
        let h: Float = 1e-2
        var pp = params; pp[pi][k] += h
        let lp = loss(pp)
        pp[pi][k] -= 2 * h
        let lm = loss(pp)
        let fd = (lp - lm) / Double(2 * h)
        print(spec.name, k, grads[pi][k], fd)
      }
    }
    params[0][0] += 0
  }
}

struct SplitMixForTests {
  var s: UInt64
  init(_ s: UInt64) { self.s = s }
  mutating func next() -> UInt64 { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) }
  mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

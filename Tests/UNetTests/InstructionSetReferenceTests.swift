import Foundation
import Raster
import Testing
import _TestSupport

@testable import UNet

/// One training step of `unet bench` at every instruction-set tier this
/// machine can reach, against the double-precision reference network
/// (itself checked against finite differences, ReferenceTests). oneDNN
/// reads ONEDNN_MAX_CPU_ISA once per process, so each tier runs the built
/// `unet bench --gradients` in its own process: natively, capped at AVX2 (a
/// CPU without AVX-512) and at SSE4.1 (one without AVX); the reference
/// computes the same step from the same seed in this process.
///
/// The networks are the main job's (16 base channels, depth 3), without
/// and with batch normalisation, at the smallest tile of depth 3, 92: the
/// same layers, channel counts and so kernels as at the main job's tile,
/// 188, with a twentieth of the reference's work.
///
/// Tolerances. The loss, a forward pass, must be within 2e-4 of the
/// reference's value: it is built from float32 sums, over the
/// K = 9·C_in ≤ 1152 terms of a 3×3 convolution and the ≤ 90² pixels of a
/// batch's statistics, and a sum of n terms typically errs by √n·u of its
/// terms' magnitudes, at most n·u (u = 2⁻²⁴; Higham, "Accuracy and
/// Stability of Numerical Algorithms", 2002, §2.8, §4.2): at most
/// √8100·u ≈ 5e-6 here, and through the 14 layers of the pass, adding in
/// quadrature, about √14 · 5e-6 ≈ 2e-5; a wrong kernel differs by the
/// whole value. Each parameter gradient must be within 5e-2 of the
/// reference's in the Euclidean norm, ‖tier − reference‖ ≤ 5e-2 ·
/// ‖reference‖ + 1e-7·√count. Rounding alone leaves it near the loss's
/// 2e-5, but the backward pass is not continuous where the forward pass
/// has a near-tie: a ReLU whose input is within rounding of 0, or a max
/// pooling whose two largest inputs are, routes a pixel's gradient one way
/// at one tier and the other way at another. One such pixel changes a
/// weight gradient, a sum over the ≤ 90² pixels of its layer, by about
/// 1/√8100 ≈ 1.1 % of its norm (seen: 0.4 % in the first layers' weight
/// gradients at AVX2 and SSE4.1, against the native kernels' 1e-5); 5e-2
/// allows a few such flips, and a wrong kernel (another layout, a missing
/// term) still differs by the whole value. The absolute term is for
/// gradients whose exact value is 0: with batch normalisation after the
/// next convolution, an up-convolution's bias only shifts every pixel of a
/// channel alike, which the normalisation removes, and float32 leaves
/// noise of about 1e-9 there.
///
/// Why not at the main job's tile: there the batch normalisation's
/// projections cancel far more (a channel's statistics span 184² pixels
/// whose gradients nearly sum to zero), and float32 kernels at any tier
/// differ from the exact gradients by up to 1.3e-2 of a tensor's largest
/// value: the data's conditioning, not a kernel's fault.
@Suite(.serialized, .slow) struct InstructionSetReferenceTests {
  /// nil: the machine's own; the others as ONEDNN_MAX_CPU_ISA spells them.
  static let tiers: [String?] = [nil, "AVX2", "SSE41"]
  static let tile = 92

  @Test(arguments: [NormLayer.none, .batch])
  func aStepAtEveryTierEqualsTheReference(_ normLayer: NormLayer) throws {
    let a = Architecture(
      inputChannels: 1, classes: 2, baseChannels: 16, depth: 3, dropout: Architecture.paper.dropout, normLayer: normLayer)
    let tile = Self.tile
    let output = try a.validateTile(tile)
    // `unet bench`'s first step: the seed's initial weights and random
    // data, and dropout seeded by the step's index, 0.
    let seed: UInt64 = 0
    let parameters = a.initialParameters(seed: seed)
    var rng = SplitMix64(seed: seed, stream: 1)
    let input = (0..<tile * tile).map { _ in Float(rng.gaussian()) }
    let labels = (0..<output * output).map { _ in Int32(rng.next() % 2) }
    let weights = (0..<output * output).map { _ in Float(0.5 + rng.unit()) }
    let graph = a.graph
    let dropout = graph.operations.firstIndex { if case .dropout = $0 { return true } else { return false } }! + 1
    let bottom = graph.shapes(inputSize: tile)![dropout]
    let mask = Graph.dropoutMask(
      seed: 0, stream: UInt64(dropout), count: bottom.channels * bottom.extent.reduce(1, *), probability: a.dropout)
    let reference = ReferenceNetwork(architecture: a).lossAndGradients(
      parameters: parameters.map { $0.map(Double.init) }, input: input.map(Double.init), batch: 1, tile: tile,
      labels: labels, weights: weights.map(Double.init), dropoutMask: mask.map(Double.init))
    let expected = [("loss", [reference.loss])] + zip(a.parameterSpecs.map(\.name), reference.parameterGradients).map { ($0, $1) }

    let dir = makeTemporaryDirectory()
    for tier in Self.tiers {
      let path = dir + "/\(tier ?? "native").safetensors"
      let arguments = [
        "bench", "--steps", "0", "--warmup", "1", "--tile", "\(tile)", "--base-channels", "16", "--depth", "3",
        "--norm-layer", normLayer.rawValue, "--seed", "\(seed)", "--gradients", path,
      ]
      let r = try run(unetExecutable, arguments, environment: tier.map { ["ONEDNN_MAX_CPU_ISA": $0] } ?? [:])
      #expect(r.status == 0, "\(normLayer) at \(tier ?? "native"): unet bench exited \(r.status): \(r.stderr)")
      let step = try SafeTensors.read(from: path)
      #expect(step.tensors.map(\.name) == expected.map(\.0))
      for (tensor, (name, exact)) in zip(step.tensors, expected) {
        let at = "\(normLayer) at \(tier ?? "native"): \(name)"
        if name == "loss" {
          #expect(abs(Double(tensor.values[0]) - exact[0]) <= 2e-4 * exact[0], "\(at) \(tensor.values[0]), reference \(exact[0])")
          continue
        }
        let difference = zip(tensor.values, exact).map { (Double($0) - $1) * (Double($0) - $1) }.reduce(0, +).squareRoot()
        let norm = exact.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(
          difference <= 5e-2 * norm + 1e-7 * Double(exact.count).squareRoot(),
          "\(at) differs from the reference by \(difference) in norm (its norm \(norm))")
      }
    }
  }
}

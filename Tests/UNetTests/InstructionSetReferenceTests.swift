import Foundation
import Raster
import Testing

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
/// Tolerance, per tensor (the loss and each parameter gradient):
/// max|tier − reference| ≤ 2e-4 · max|reference| + 1e-7, as in BackendTests.
/// It follows from float32 rounding (u = 2⁻²⁴ ≈ 6e-8). Each value is built
/// from float32 sums: over the K = 9·C_in ≤ 1152 terms of a 3×3
/// convolution, and over the ≤ 88² pixels of a weight gradient or of a
/// batch's statistics. A sum of n terms errs by at most n·u of its terms'
/// magnitudes, and typically by √n·u, its roundings being of either sign
/// (Higham, "Accuracy and Stability of Numerical Algorithms", 2002, §2.8,
/// §4.2): at most √7744·u ≈ 5e-6 here. A tensor's value passes through at
/// most 2 × 14 layers between the input and the loss, whose independent
/// errors add in quadrature to √28 · 5e-6 ≈ 3e-5 of its largest value.
/// The 2e-4 leaves a margin of about 7 for the cancellation in the softmax,
/// the loss's weights and the batch normalisation's backward pass (which
/// subtracts a channel's gradient's projections on its mean and normalised
/// input); a wrong kernel differs by the whole value. The absolute 1e-7 is
/// for gradients whose exact value is 0: with batch normalisation after
/// the next convolution, an up-convolution's bias only shifts every pixel
/// of a channel alike, which the normalisation removes, so float32 leaves
/// only noise of about 1e-9 there.
///
/// Why not at the main job's tile: there the batch normalisation's
/// projections cancel far more (a channel's statistics span 184² pixels
/// whose gradients nearly sum to zero), and float32 kernels at any tier
/// differ from the exact gradients by up to 1.3e-2 of a tensor's largest
/// value; that is the data's conditioning, not a kernel's fault, and a
/// tolerance wide enough for it would no longer tell kernels apart.
@Suite(.serialized) struct InstructionSetReferenceTests {
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
      seed: 0, stream: UInt64(dropout), count: bottom.channels * bottom.size * bottom.size, probability: a.dropout)
    let reference = ReferenceNetwork(architecture: a).lossAndGradients(
      parameters: parameters.map { $0.map(Double.init) }, input: input.map(Double.init), batch: 1, tile: tile,
      labels: labels, weights: weights.map(Double.init), dropoutMask: mask.map(Double.init))
    let expected = [("loss", [reference.loss])] + zip(a.parameterSpecs.map(\.name), reference.parameterGradients).map { ($0, $1) }

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unetkit-isa-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for tier in Self.tiers {
      let path = dir + "/\(tier ?? "native").safetensors"
      let arguments = [
        "bench", "--steps", "0", "--warmup", "1", "--tile", "\(tile)", "--base-channels", "16", "--depth", "3",
        "--norm-layer", normLayer.rawValue, "--seed", "\(seed)", "--gradients", path,
      ]
      let status = try runUnet(arguments, environment: tier.map { ["ONEDNN_MAX_CPU_ISA": $0] } ?? [:])
      #expect(status == 0, "\(normLayer) at \(tier ?? "native"): unet bench exited \(status)")
      let step = try SafeTensors.read(from: path)
      #expect(step.tensors.map(\.name) == expected.map(\.0))
      for (tensor, (name, exact)) in zip(step.tensors, expected) {
        let scale = exact.map(abs).max() ?? 0
        let error = zip(tensor.values, exact).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(
          error <= 2e-4 * scale + 1e-7,
          "\(normLayer) at \(tier ?? "native"): \(name) differs from the reference by \(error) (largest value \(scale))")
      }
    }
  }

  /// Runs the `unet` built beside this test bundle; its exit status.
  private func runUnet(_ arguments: [String], environment: [String: String]) throws -> Int32 {
    let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    let process = Process()
    process.executableURL = bundle.deletingLastPathComponent().appendingPathComponent("unet")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }
}

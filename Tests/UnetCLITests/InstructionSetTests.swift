import Foundation
import Testing
import UNet
import _TestSupport

/// oneDNN's kernels at every instruction-set tier this machine can reach.
/// oneDNN reads ONEDNN_MAX_CPU_ISA once per process, so each tier runs the
/// built `unet bench` in its own process: natively, capped at AVX2 (a CPU
/// without AVX-512) and at SSE4.1 (one without AVX).
///
/// At each tier no primitive of a training step may be one of oneDNN's
/// reference implementations, for the paper's network (572 tile, 64 base
/// channels, depth 4) and the main job's (188, 16, depth 3), also with
/// batch normalisation after each 3×3 convolution (`--norm-layer batch`),
/// and for the 3-D U-Net (92×92×52, 16 base channels, depth 3, the first
/// pooling in-plane), with and without batch normalisation.
///
/// And one step's loss and parameter gradients must equal the native ones
/// for the main job's network, for the paper's at its smallest tile,
/// 188, which has all its layers and channel counts at a ninth of the 572
/// tile's work, and for a 3-D U-Net of depth 2 at 52×52×52: the loss within 2e-4 of the native one, each gradient
/// within 5e-2 in the Euclidean norm, ‖tier − native‖ ≤ 5e-2 · ‖native‖
/// + 1e-7·√count. These tolerances are derived in
/// Tests/UNetTests/InstructionSetReferenceTests.swift, which compares
/// every tier with the double-precision reference network at tile 92, with
/// and without batch normalisation: the loss is a continuous float32
/// function of the weights, whose rounding stays far below 2e-4, while the
/// backward pass routes a pixel's gradient by ReLU and max-pooling
/// decisions that a near-tie in the forward pass can flip between tiers
/// (about 1/√n of a weight gradient's norm per flipped pixel, n its
/// layer's pixels). A wrong kernel differs by the whole value.
@Suite(.serialized) struct InstructionSetTests {
  struct Configuration: CustomTestStringConvertible, Sendable {
    var name: String
    var tile: String
    var baseChannels: Int
    var depth: Int
    var normLayer = "none"
    var inPlanePoolings: Int?
    var arguments: [String] {
      ["--tile", tile, "--base-channels", "\(baseChannels)", "--depth", "\(depth)", "--norm-layer", normLayer]
        + (inPlanePoolings.map { ["--in-plane-poolings", "\($0)"] } ?? [])
    }
    var testDescription: String { name }
  }

  static let paper = Configuration(name: "paper", tile: "572", baseChannels: 64, depth: 4)
  static let mainJob = Configuration(name: "main job", tile: "188", baseChannels: 16, depth: 3)
  static let paperSmallTile = Configuration(name: "paper at tile 188", tile: "188", baseChannels: 64, depth: 4)
  static let mainJobBatchNorm = Configuration(
    name: "main job with batch norm", tile: "188", baseChannels: 16, depth: 3, normLayer: "batch")
  /// The 3-D U-Net of the 3-D benchmark's size (depth 3, 16 base channels),
  /// with the first pooling in-plane, with and without batch norm; and a
  /// smaller isotropic one whose step every tier runs.
  static let volume = Configuration(
    name: "3-D", tile: "92x92x52", baseChannels: 16, depth: 3, inPlanePoolings: 1)
  static let volumeBatchNorm = Configuration(
    name: "3-D with batch norm", tile: "92x92x52", baseChannels: 16, depth: 3, normLayer: "batch", inPlanePoolings: 1)
  static let smallVolume = Configuration(name: "3-D at depth 2", tile: "52x52x52", baseChannels: 16, depth: 2)

  /// nil: the machine's own; the others as ONEDNN_MAX_CPU_ISA spells them.
  static let tiers: [String?] = [nil, "AVX2", "SSE41"]

  struct Report: Decodable {
    var isa: String
    var kernels: [Kernel]
    var loss: Double
  }

  let dir = makeTemporaryDirectory()

  func bench(_ configuration: Configuration, tier: String?, extra: [String]) throws -> Report {
    let environment = tier.map { ["ONEDNN_MAX_CPU_ISA": $0] } ?? [:]
    let r = try unet(["bench", "--json"] + configuration.arguments + extra, environment: environment)
    #expect(r.status == 0, "\(configuration.name) at \(tier ?? "native"): exit \(r.status): \(r.stderr)")
    return try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
  }

  @Test(.slow, arguments: [paper, mainJob, mainJobBatchNorm, volume, volumeBatchNorm], tiers)
  func noReferenceKernelInATrainingStep(_ configuration: Configuration, tier: String?) throws {
    let report = try bench(configuration, tier: tier, extra: ["--steps", "0", "--warmup", "0"])
    #expect(report.kernels.count > 50)
    let slow = report.kernels.filter(\.isReference)
    #expect(slow.isEmpty, "\(configuration.name) at \(report.isa): \(slow.map { "\($0.operation): \($0.implementation)" })")
    if let tier, report.isa.hasPrefix("AVX512") {
      // A machine with AVX-512 honours both caps.
      #expect(report.isa == tier)
    }
  }

  @Test(.slow, arguments: [mainJob, paperSmallTile, smallVolume])
  func aStepAtEveryTierEqualsTheNativeOne(_ configuration: Configuration) throws {
    var native: SafeTensors?
    for tier in Self.tiers {
      let path = dir + "/\(tier ?? "native").safetensors"
      let report = try bench(configuration, tier: tier, extra: ["--steps", "0", "--warmup", "1", "--gradients", path])
      let step = try SafeTensors.read(from: path)
      #expect(Double(step["loss"]!.values[0]) == Double(Float(report.loss)))
      guard let native else {
        native = step
        continue
      }
      #expect(step.tensors.map(\.name) == native.tensors.map(\.name))
      for (fast, reference) in zip(step.tensors, native.tensors) {
        let at = "\(configuration.name) at \(report.isa): \(fast.name)"
        if fast.name == "loss" {
          #expect(abs(fast.values[0] - reference.values[0]) <= 2e-4 * reference.values[0], "\(at) \(fast.values[0]), native \(reference.values[0])")
          continue
        }
        let difference = zip(fast.values, reference.values).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
        let norm = reference.values.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(
          difference <= 5e-2 * norm + 1e-7 * Double(reference.values.count).squareRoot(),
          "\(at) differs by \(difference) in norm (native's norm \(norm))")
      }
    }
  }
}

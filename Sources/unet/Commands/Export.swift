import ArgumentParser
import Foundation
import UNet

/// `unet export`: a checkpoint's weights as a safetensors file with PyTorch names.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a model's weights as .safetensors with PyTorch-style names.",
    discussion: """
      The tensors are named and shaped as in a plain PyTorch U-Net module
      with `down` (blocks of Conv2d-ReLU-Conv2d-ReLU, so `down.i.0` and
      `down.i.2`), `up` (ConvTranspose2d, deepest first, weight [in, out, 2, 2]),
      `dec` (blocks, deepest first) and `head` (1x1 Conv2d); see
      docs/pytorch.md. The metadata holds the architecture as JSON.
      """)

  @Option(help: "A checkpoint file or a training output folder (its last.ckpt).")
  var model: String

  @Option(help: "Output .safetensors file.")
  var out: String

  func run() throws {
    do {
      let checkpoint = try Checkpoint.read(from: try Checkpoint.resolve(model))
      try checkpoint.export.write(to: out)
      let count = checkpoint.parameters.reduce(0) { $0 + $1.count }
      print("export: \(checkpoint.parameters.count) tensors, \(count) parameters, step \(checkpoint.step) -> \(out)")
    } catch {
      printError(error)
      throw ExitCode.failure
    }
  }
}

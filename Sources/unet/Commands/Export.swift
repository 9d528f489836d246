import ArgumentParser
import Foundation
import UNet

/// `unet export`: a checkpoint's weights as a safetensors file with PyTorch names.
struct Export: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a model's weights as .safetensors with PyTorch-style names.",
    discussion: """
      The tensors are named and shaped as in a plain PyTorch U-Net module
      with `down` (blocks of Conv2d-ReLU-Conv2d-ReLU, so `down.i.0` and
      `down.i.2`), `up` (ConvTranspose2d, deepest first, weight [in, out, 2, 2]),
      `dec` (blocks, deepest first) and `head` (1x1 Conv2d); see
      docs/pytorch.md. With --norm-layer batch the blocks are
      Conv2d-BatchNorm2d-ReLU twice (`.0`, `.1`, `.3`, `.4`), with
      BatchNorm2d's weight, bias, running_mean, running_var and
      num_batches_tracked. The metadata holds the architecture as JSON, the
      training tile, the step and the normalisation of the training images.
      """)

  @Option(help: "A checkpoint file or a training output folder (its last.ckpt); a weights file is copied.")
  var model: String

  @Option(help: "Output .safetensors file.")
  var out: String

  func execute() throws {
    let trained = try TrainedModel.read(from: model)
    try trained.write(to: out)
    let count = trained.parameters.reduce(0) { $0 + $1.count }
    let step = trained.step.map { ", step \($0)" } ?? ""
    let norms = trained.architecture.normLayerNames.count
    let statistics = norms == 0 ? "" : ", the running statistics of \(norms) batch normalisations"
    print("export: \(trained.parameters.count) tensors, \(count) parameters\(statistics)\(step) -> \(out)")
  }
}

import ArgumentParser
import Foundation
import Interchange
import UNet

/// `unet export`: a trained model for other tools: its weights as a
/// safetensors file with PyTorch names, or the network as an ONNX graph.
struct Export: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a trained model for other tools: .safetensors weights with PyTorch names, or an ONNX graph.",
    discussion: """
      --format safetensors (the default): the tensors are named and shaped
      as in a plain PyTorch U-Net module with `down` (blocks of
      Conv2d-ReLU-Conv2d-ReLU, so `down.i.0` and `down.i.2`), `up`
      (ConvTranspose2d, deepest first, weight [in, out, 2, 2]), `dec` (blocks,
      deepest first) and `head` (1x1 Conv2d); see docs/pytorch.md. With
      --norm-layer batch the blocks are Conv2d-BatchNorm2d-ReLU twice (`.0`,
      `.1`, `.3`, `.4`), with BatchNorm2d's weight, bias, running_mean,
      running_var and num_batches_tracked. The metadata holds the
      architecture as JSON, the training tile, the step and the
      normalisation of the training images.

      --format onnx: the inference network as an ONNX model (opset 17):
      input `input` [batch, channels, height, width], normalised as the
      metadata's `normalization` says; output `probabilities` [batch,
      classes, height - 2 margin, width - 2 margin]. Height and width are
      dynamic; each must be a valid tile (metadata `input_size_minimum` +
      k `input_size_step`); see docs/interchange.md.

      An existing output is replaced only with --force.
      """)

  /// `--format`: what `unet export` writes.
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case safetensors, onnx
  }

  @Option(help: "A checkpoint file or a training output folder (its last.ckpt); a weights file is copied.")
  var model: String

  @Option(help: "Output file.")
  var out: String

  @Option(help: "safetensors (weights with PyTorch names) or onnx (the network as an ONNX graph).")
  var format: Format = .safetensors

  @Flag(help: "Replace an existing output.")
  var force = false

  func execute() throws {
    let trained = try TrainedModel.read(from: model)
    if !force && FileManager.default.fileExists(atPath: out) {
      throw OutputExists(path: out)
    }
    let step = trained.step.map { ", step \($0)" } ?? ""
    switch format {
    case .safetensors:
      try trained.write(to: out)
      let count = trained.parameters.reduce(0) { $0 + $1.count }
      let norms = trained.architecture.normLayerNames.count
      let statistics = norms == 0 ? "" : ", the running statistics of \(norms) batch normalisations"
      print("export: \(trained.parameters.count) tensors, \(count) parameters\(statistics)\(step) -> \(out)")
    case .onnx:
      let onnx = ONNXModel(trained)
      try onnx.write(to: out)
      print(
        "export: ONNX opset \(ONNXModel.opset)\(step), input sizes \(onnx.minimumInputSize) + \(onnx.inputSizeStep)k, "
          + "output \(2 * trained.architecture.margin) pixels smaller -> \(out)")
    }
  }
}

/// An output that is there already, without --force.
struct OutputExists: Error, CustomStringConvertible {
  let path: String
  var description: String { "\(path): exists; pass --force to replace it" }
}

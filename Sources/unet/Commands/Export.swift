import ArgumentParser
import Foundation
import Interchange
import UNet

/// `unet export`: a trained model for other tools: its weights as a
/// safetensors file with PyTorch names, or the network as an ONNX graph.
struct Export: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Write a trained model for other tools: .safetensors weights with PyTorch names, an ONNX graph, or a BioImage Model Zoo package.",
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

      --format bioimageio: a BioImage Model Zoo package (model description
      0.5) in the folder OUT: rdf.yaml, the ONNX model, the state dict for
      PyTorch (torch.save's format) with examples/pytorch/unet_module.py as
      its architecture, the UNetKit weights (an attachment; unet predict
      --model OUT reads them), test input and
      output tensors computed by UNetKit, a cover image and README.md (the
      training, and the run's last validation scores when MODEL is a training
      folder). --license (an SPDX id) and --author (repeatable) are required.
      For napari, ilastik, deepImageJ and bioimageio.core; see
      docs/interchange.md.

      An existing output is replaced only with --force.
      """)

  /// `--format`: what `unet export` writes.
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case safetensors, onnx, bioimageio
  }

  @Option(help: "A checkpoint file or a training output folder (its last.ckpt); a weights file is copied.")
  var model: String

  @Option(help: "Output file (a folder for bioimageio).")
  var out: String

  @Option(help: "safetensors (weights with PyTorch names), onnx (the network as an ONNX graph) or bioimageio (a model package folder).")
  var format: Format = .safetensors

  @Option(help: "bioimageio: the license, an SPDX identifier (MIT, CC-BY-4.0, …).")
  var license: String?

  @Option(name: .customLong("author"), help: ArgumentHelp("bioimageio: an author's name (repeatable).", valueName: "name"))
  var authors: [String] = []

  @Option(help: "bioimageio: the model's name (default: UNetKit U-Net).")
  var name: String?

  @OptionGroup var backend: BackendOptions

  func validate() throws {
    guard format == .bioimageio else {
      if license != nil || !authors.isEmpty || name != nil {
        throw ValidationError("--license, --author and --name apply to --format bioimageio")
      }
      return
    }
    guard let license else { throw ValidationError("--format bioimageio needs --license (an SPDX identifier such as MIT)") }
    let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-+")
    guard !license.isEmpty, license.allSatisfy({ allowed.contains($0) }) else {
      throw ValidationError("--license \(license): not an SPDX identifier (letters, digits, '.', '-', '+')")
    }
    guard !authors.isEmpty else { throw ValidationError("--format bioimageio needs --author NAME (repeatable)") }
    if let empty = authors.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
      throw ValidationError("--author \"\(empty)\": an author needs a name")
    }
  }

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
      let a = trained.architecture
      let sizes =
        a.dimensions == 2
        ? "input sizes \(onnx.minimumInputSize) + \(onnx.inputSizeStep)k, output \(2 * a.margin) pixels smaller"
        : "3-D, output smaller by \(TileSize(a.margins.map { 2 * $0 })) voxels (W x H x D)"
      print("export: ONNX opset \(ONNXModel.opset)\(step), \(sizes) -> \(out)")
    case .bioimageio:
      guard trained.architecture.dimensions == 2 else {
        throw FileError(
          .unsupported, path: model, "is a 3-D network; the BioImage Model Zoo package is written for 2-D ones (use --format onnx)")
      }
      var metrics: [MetricsRecord] = []
      var isDirectory: ObjCBool = false
      let log = (model as NSString).appendingPathComponent("metrics.jsonl")
      if FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue,
        FileManager.default.fileExists(atPath: log)
      {
        metrics = try MetricsLog.read(from: log)
      }
      var recipe: String?
      if let file = try? Checkpoint.resolve(model), let checkpoint = try? Checkpoint.read(from: file) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        recipe = (try? encoder.encode(checkpoint.configuration)).map { String(decoding: $0, as: UTF8.self) }
      }
      let package = BioImageIOPackage(
        trained, name: name ?? "UNetKit U-Net", authors: authors, license: license ?? "", metrics: metrics,
        recipe: recipe)
      let staging = out + ".export.tmp"
      try? FileManager.default.removeItem(atPath: staging)
      try package.write(to: staging, backend: backend.backend.make(threads: availableCores))
      if FileManager.default.fileExists(atPath: out) {
        do { try FileManager.default.removeItem(atPath: out) } catch {
          try? FileManager.default.removeItem(atPath: staging)
          throw error
        }
      }
      try FileManager.default.moveItem(atPath: staging, toPath: out)
      let side = package.testInputSize
      print(
        "export: BioImage Model Zoo package (format \(BioImageIOPackage.formatVersion))\(step), ONNX and PyTorch weights, "
          + "input sizes \(ONNXModel.minimumTile(trained.architecture)) + \(1 << trained.architecture.depth)k, "
          + "halo \(trained.architecture.margin), test tensors \(side) -> \(side - 2 * trained.architecture.margin) -> \(out)")
    }
  }
}

/// An output that is there already, without --force.
struct OutputExists: Error, CustomStringConvertible {
  let path: String
  var description: String { "\(path): exists; pass --force to replace it" }
}

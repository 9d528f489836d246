import Foundation
import Raster
import Shards
import UNet

/// A trained model as a BioImage Model Zoo package (model description
/// format 0.5): a folder with `rdf.yaml`, the network as ONNX, the UNetKit
/// weights file (an attachment, which `unet predict --model FOLDER` reads
/// back), test input and output tensors computed by UNetKit, a cover image
/// and a Markdown documentation file. The same model and options give the
/// same bytes.
public struct BioImageIOPackage {
  /// The format version `rdf.yaml` declares.
  public static let formatVersion = "0.5.4"
  /// The description file's name.
  public static let descriptionFile = "rdf.yaml"
  public static let onnxFile = "weights.onnx"
  /// The state dict for PyTorch (`torch.save`'s format).
  public static let torchFile = "weights.pt"
  /// examples/pytorch/unet_module.py, the state dict's architecture.
  public static let moduleFile = "unet_module.py"
  /// The UNetKit weights file, attached.
  public static let weightsFile = TrainedModel.packageWeightsName
  public static let testInputFile = "test_input.npy"
  public static let testOutputFile = "test_output.npy"
  public static let coverFile = "cover.png"
  public static let documentationFile = "README.md"

  public let model: TrainedModel
  /// Author names, in order (at least one).
  public var authors: [String]
  /// An SPDX license identifier.
  public var license: String
  /// The model's name in the description.
  public var name: String
  /// The run's metrics, when known: the documentation quotes its
  /// validation scores.
  public var metrics: [MetricsRecord]
  /// The training configuration (JSON), when known: the documentation
  /// quotes it as the recipe.
  public var recipe: String?

  public init(
    _ model: TrainedModel, name: String, authors: [String], license: String, metrics: [MetricsRecord] = [],
    recipe: String? = nil
  ) {
    self.model = model
    self.recipe = recipe
    self.name = name
    self.authors = authors
    self.license = license
    self.metrics = metrics
  }

  /// The side of the test tensors' input: the training tile when known,
  /// else the fourth valid size.
  public var testInputSize: Int {
    model.tile?.side ?? ONNXModel.minimumTile(model.architecture) + 3 * (1 << model.architecture.depth)
  }

  /// The normalisation the package's input gets (UNetKit's default when the
  /// model names none).
  public var normalization: Normalization { model.normalization ?? .standard }

  /// A deterministic test image, `testInputSize` square, each channel a
  /// smooth pattern of bright round cells on a darker background with
  /// values in [0, 255].
  public func testImage() -> Image<Float> {
    let side = testInputSize
    let c = model.architecture.inputChannels
    var samples = [Float](repeating: 0, count: side * side * c)
    for y in 0..<side {
      for x in 0..<side {
        for ch in 0..<c {
          let fx = Double(x) / 9 + Double(ch)
          let fy = Double(y) / 11
          let cells = max(0, sin(fx) * sin(fy))
          let value = 40 + 170 * cells * cells + 20 * sin(Double(x + 2 * y) / 23)
          samples[(y * side + x) * c + ch] = Float(value.rounded())
        }
      }
    }
    return Image(width: side, height: side, channels: c, samples: samples)
  }

  /// Writes the package into the folder `path`, which must not exist. The
  /// folder is built beside it under another name and renamed at the end, so
  /// a failure leaves nothing.
  /// - Parameter backend: runs the network for the test output.
  public func write(to path: String, backend: any Backend) throws {
    let url = URL(fileURLWithPath: path)
    let staging = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
    let manager = FileManager.default
    try? manager.removeItem(atPath: staging)
    try manager.createDirectory(atPath: staging, withIntermediateDirectories: true)
    do {
      try writeFiles(into: staging, backend: backend)
      try manager.moveItem(atPath: staging, toPath: path)
    } catch {
      try? manager.removeItem(atPath: staging)
      throw error
    }
  }

  private func writeFiles(into folder: String, backend: any Backend) throws {
    let architecture = model.architecture
    let (c, k) = (architecture.inputChannels, architecture.classes)
    let side = testInputSize
    let raw = testImage()
    let normalised = normalization.apply(to: raw)
    var planar = [Float](repeating: 0, count: c * side * side)
    for p in 0..<side * side {
      for ch in 0..<c { planar[ch * side * side + p] = normalised.samples[p * c + ch] }
    }
    var rawPlanar = [Float](repeating: 0, count: c * side * side)
    for p in 0..<side * side {
      for ch in 0..<c { rawPlanar[ch * side * side + p] = raw.samples[p * c + ch] }
    }
    let predictor = try TiledPredictor(model, tile: side, backend: backend)
    let probabilities = try predictor.tileProbabilities(planar)
    let out = predictor.output

    try NumpyArray(shape: [1, c, side, side], values: rawPlanar).write(to: folder + "/" + Self.testInputFile)
    try NumpyArray(shape: [1, k, out, out], values: probabilities).write(to: folder + "/" + Self.testOutputFile)
    try ONNXModel(model).write(to: folder + "/" + Self.onnxFile)
    try TorchStateDict(model).write(to: folder + "/" + Self.torchFile)
    try Data(TorchStateDict.moduleFile.utf8).write(to: URL(fileURLWithPath: folder + "/" + Self.moduleFile))
    try model.write(to: folder + "/" + Self.weightsFile)
    try ImageFile.write(AnyImage(cover(raw: rawPlanar, side: side, probabilities: probabilities, output: out)), to: folder + "/" + Self.coverFile)
    try Data(documentation.utf8).write(to: URL(fileURLWithPath: folder + "/" + Self.documentationFile))
    func digest(_ file: String) throws -> String { try sha256(ofFileAt: folder + "/" + file).sha256 }
    let yaml = description(
      sha256: [
        Self.testInputFile: try digest(Self.testInputFile), Self.testOutputFile: try digest(Self.testOutputFile),
        Self.onnxFile: try digest(Self.onnxFile), Self.weightsFile: try digest(Self.weightsFile),
        Self.torchFile: try digest(Self.torchFile), Self.moduleFile: try digest(Self.moduleFile),
        Self.documentationFile: try digest(Self.documentationFile),
      ])
    try Data(yaml.utf8).write(to: URL(fileURLWithPath: folder + "/" + Self.descriptionFile))
  }

  /// The cover: the first channel of the test input (its 1st to 99th
  /// percentile in 0–255) beside the foreground probability of the last
  /// class, centred on a black square of the input's size.
  private func cover(raw: [Float], side: Int, probabilities: [Float], output: Int) -> Image<UInt8> {
    let first = Array(raw[0..<side * side])
    let sorted = first.sorted()
    let low = sorted[sorted.count / 100], high = sorted[sorted.count * 99 / 100]
    let scale = high > low ? 255 / (high - low) : 1
    var samples = [UInt8](repeating: 0, count: 2 * side * side)
    for y in 0..<side {
      for x in 0..<side {
        samples[y * 2 * side + x] = UInt8(max(0, min(255, ((first[y * side + x] - low) * scale).rounded())))
      }
    }
    let k = model.architecture.classes
    let plane = output * output
    let offset = (side - output) / 2
    for y in 0..<output {
      for x in 0..<output {
        let p = probabilities[(k - 1) * plane + y * output + x]
        samples[(y + offset) * 2 * side + side + offset + x] = UInt8(max(0, min(255, (p * 255).rounded())))
      }
    }
    return Image(width: 2 * side, height: side, samples: samples)
  }

  /// The preprocessing that reproduces the normalisation, as YAML lines.
  private var preprocessing: [String] {
    switch normalization {
    case .percentile(let lowPercent, let highPercent):
      return [
        "      - id: scale_range",
        "        kwargs:",
        "          axes: [y, x]",
        "          min_percentile: \(yamlNumber(lowPercent))",
        "          max_percentile: \(yamlNumber(highPercent))",
      ]
    case .range:
      return [
        "      - id: scale_linear",
        "        kwargs:",
        "          gain: \(yamlNumber(1.0 / 255))",
        "          offset: 0.0",
      ]
    case .none:
      return []
    }
  }

  /// The normalisation in words, for the documentation.
  private var normalizationText: String {
    switch normalization {
    case .percentile(let lowPercent, let highPercent):
      "each channel mapped by (v − low) / (high − low), low and high its \(percentText(lowPercent)) and \(percentText(highPercent)) percentiles over the whole image, not clipped (`scale_range` over y and x per sample and channel; it adds 1e-6 to high − low, and where high = low it divides by that 1e-6 where UNetKit subtracts low alone)"
    case .range:
      "8-bit values divided by 255 (`scale_linear`, gain 1/255; UNetKit divides by the largest value of the image's sample type, so 16-bit images need another gain)"
    case .none:
      "raw values, no preprocessing"
    }
  }

  /// `rdf.yaml`.
  /// - Parameter sha256: the digest of each file by name.
  func description(sha256: [String: String]) -> String {
    let a = model.architecture
    let margin = a.margin
    let minimum = ONNXModel.minimumTile(a)
    let step = 1 << a.depth
    let classNames = a.classes == 2 ? ["background", "foreground"] : (0..<a.classes).map { "class\($0)" }
    let channelNames = (0..<a.inputChannels).map { "channel\($0)" }
    var lines = [
      "type: model",
      "format_version: \(Self.formatVersion)",
      "name: \(yamlString(name))",
      "description: \(yamlString("U-Net (Ronneberger et al. 2015) trained with UNetKit: \(a.classes)-class segmentation of \(a.inputChannels)-channel 2-D images, valid convolutions, overlap-tile prediction with a halo of \(margin) pixels."))",
      "authors:",
    ]
    lines += authors.map { "  - name: \(yamlString($0))" }
    lines += [
      "cite:",
      "  - text: \(yamlString("Ronneberger, O., Fischer, P., Brox, T.: U-Net: Convolutional Networks for Biomedical Image Segmentation. MICCAI 2015, LNCS 9351, 234–241."))",
      "    doi: 10.1007/978-3-319-24574-4_28",
      "license: \(yamlString(license))",
      "documentation: \(Self.documentationFile)",
      "covers: [\(Self.coverFile)]",
      "tags: [unet, segmentation, 2d, unetkit, onnx, pytorch]",
      "attachments:",
      "  - source: \(Self.weightsFile)",
      "    sha256: \(sha256[Self.weightsFile] ?? "")",
      "inputs:",
      "  - id: input",
      "    description: \(yamlString("\(a.inputChannels)-channel image; each side \(minimum) + \(step)k pixels"))",
      "    axes:",
      "      - type: batch",
      "      - type: channel",
      "        channel_names: [\(channelNames.joined(separator: ", "))]",
    ]
    for axis in ["y", "x"] {
      lines += [
        "      - type: space",
        "        id: \(axis)",
        "        size:",
        "          min: \(minimum)",
        "          step: \(step)",
      ]
    }
    lines += [
      "    test_tensor:",
      "      source: \(Self.testInputFile)",
      "      sha256: \(sha256[Self.testInputFile] ?? "")",
      "    data:",
      "      type: float32",
    ]
    let pre = preprocessing
    if !pre.isEmpty { lines += ["    preprocessing:"] + pre }
    lines += [
      "outputs:",
      "  - id: probabilities",
      "    description: \(yamlString("class probabilities (softmax over the channels), \(2 * margin) pixels smaller than the input in y and x"))",
      "    axes:",
      "      - type: batch",
      "      - type: channel",
      "        channel_names: [\(classNames.joined(separator: ", "))]",
    ]
    for axis in ["y", "x"] {
      lines += [
        "      - type: space",
        "        id: \(axis)",
        "        size:",
        "          tensor_id: input",
        "          axis_id: \(axis)",
        "          offset: \(-2 * margin)",
      ]
    }
    lines += [
      "    test_tensor:",
      "      source: \(Self.testOutputFile)",
      "      sha256: \(sha256[Self.testOutputFile] ?? "")",
      "    data:",
      "      type: float32",
      "weights:",
      "  onnx:",
      "    source: \(Self.onnxFile)",
      "    sha256: \(sha256[Self.onnxFile] ?? "")",
      "    opset_version: \(ONNXModel.opset)",
      "    authors:",
    ]
    lines += authors.map { "      - name: \(yamlString($0))" }
    lines += [
      "  pytorch_state_dict:",
      "    source: \(Self.torchFile)",
      "    sha256: \(sha256[Self.torchFile] ?? "")",
      "    architecture:",
      "      source: \(Self.moduleFile)",
      "      sha256: \(sha256[Self.moduleFile] ?? "")",
      "      callable: UNetProbabilities",
      "      kwargs:",
      "        inputChannels: \(a.inputChannels)",
      "        classes: \(a.classes)",
      "        baseChannels: \(a.baseChannels)",
      "        depth: \(a.depth)",
      "        dropout: \(a.dropout)",
      "        normLayer: \(a.normLayer == .batch ? "batch" : "none")",
      "    pytorch_version: \"2.0\"",
      "    authors:",
    ]
    lines += authors.map { "      - name: \(yamlString($0))" }
    lines += [
      "config:",
      "  unetkit:",
      "    architecture: \(yamlString(model.weightsFile.metadata["architecture"] ?? ""))",
      "    margin: \(margin)",
    ]
    if let tile = model.tile { lines.append("    tile: \(tile)") }
    if let step = model.step { lines.append("    step: \(step)") }
    if let threshold = model.threshold { lines.append("    threshold: \(threshold)") }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `README.md`.
  public var documentation: String {
    let a = model.architecture
    var text = """
      # \(name)

      A U-Net (Ronneberger, Fischer, Brox, MICCAI 2015) trained with UNetKit.

      ## Network

      - \(a.inputChannels) input channel\(a.inputChannels == 1 ? "" : "s"), \(a.classes) classes (softmax probabilities)
      - depth \(a.depth), \(a.baseChannels) channels in the first block, doubling at each pooling
      - normalisation layers: \(a.normLayer == .batch ? "batch normalisation (its running statistics at inference)" : "none"); dropout \(a.dropout) (training only)
      - 3×3 valid convolutions: the output is \(2 * a.margin) pixels smaller than the input in y and x (a margin of \(a.margin) pixels on each side)
      - valid input sides: \(ONNXModel.minimumTile(a)) + \(1 << a.depth)k pixels

      ## Input

      Normalisation: \(normalizationText).

      ## Training

      \(model.tile.map { "Trained with `unet train` on tiles of \($0) × \($0) pixels" } ?? "Trained with `unet train`")\(model.step.map { ", \($0) steps" } ?? "").

      """
    if let recipe {
      text += "\nThe training configuration (the recipe, as the checkpoint records it):\n\n```json\n\(recipe)\n```\n"
    }
    if let threshold = model.threshold {
      text += "\nForeground threshold of the best validation Rand error: p > \(threshold).\n"
    }
    let validation = metrics.filter { $0.validationLoss != nil || $0.validationRandError != nil }
    if let last = validation.last {
      text += "\n## Validation\n\nAt step \(last.step):\n\n| measure | value |\n|---|---|\n"
      if let v = last.validationLoss { text += "| loss | \(v) |\n" }
      if let v = last.validationPixelError { text += "| pixel error | \(v) |\n" }
      if let v = last.validationRandError { text += "| Rand error | \(v) |\n" }
      if let v = last.validationPixelMismatch { text += "| misclassified pixels | \(v) |\n" }
    } else {
      text += "\n## Validation\n\nNo validation scores were recorded with this model.\n"
    }
    text += """

      ## Tiling

      Predict large images tile by tile with a halo of \(a.margin) pixels: mirror the image by \(a.margin) pixels on \
      each side and cut input tiles of a valid size whose outputs lie edge to edge (the paper's overlap-tile strategy).

      ## Files

      - `\(Self.onnxFile)`: the network (ONNX opset \(ONNXModel.opset))
      - `\(Self.torchFile)`, `\(Self.moduleFile)`: the state dict for PyTorch (`torch.load`) and the module it fits \
      (`UNetProbabilities`, the class probabilities; the module imports safetensors)
      - `\(Self.weightsFile)`: the UNetKit weights (`unet predict --model` this folder; PyTorch names, see UNetKit's docs/pytorch.md)
      - `\(Self.testInputFile)`, `\(Self.testOutputFile)`: a test input (raw) and UNetKit's probabilities for it
      - `\(Self.coverFile)`: the test input beside the probability of the last class

      The paper to cite: Ronneberger, O., Fischer, P., Brox, T.: U-Net: Convolutional Networks for Biomedical Image
      Segmentation. MICCAI 2015, LNCS 9351, 234–241, doi:10.1007/978-3-319-24574-4_28.

      """
    return text
  }
}

/// A percentile in words: "1st", "99.8th".
func percentText(_ value: Double) -> String {
  let number = String(format: "%g", value)
  guard value == value.rounded(), value >= 0 else { return number + "th" }
  let n = Int(value)
  if (11...13).contains(n % 100) { return number + "th" }
  switch n % 10 {
  case 1: return number + "st"
  case 2: return number + "nd"
  case 3: return number + "rd"
  default: return number + "th"
  }
}

/// A YAML double-quoted scalar.
func yamlString(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    default:
      if scalar.value < 0x20 { out += String(format: "\\x%02X", scalar.value) } else { out.unicodeScalars.append(scalar) }
    }
  }
  return out + "\""
}

/// A number as YAML reads it back exactly (always with a decimal point or exponent).
func yamlNumber(_ value: Double) -> String {
  let text = "\(value)"
  return text.contains(".") || text.contains("e") ? text : text + ".0"
}

/// A float32 array in NumPy's `.npy` format (version 1.0, little-endian,
/// C order).
struct NumpyArray {
  var shape: [Int]
  var values: [Float]

  var bytes: [UInt8] {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    let length = UInt16(header.utf8.count)
    out += [UInt8(length & 0xFF), UInt8(length >> 8)]
    out += Array(header.utf8)
    out.reserveCapacity(out.count + 4 * values.count)
    for v in values {
      let bits = v.bitPattern.littleEndian
      out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
    }
    return out
  }

  func write(to path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
}

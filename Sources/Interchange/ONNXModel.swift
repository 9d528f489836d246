import Foundation
import Raster
import UNet
import _ONNXProto
import _Support

/// A trained U-Net as an ONNX model (opset 17), for runtimes that are not
/// UNetKit: onnxruntime and the tools built on it.
///
/// The graph is the inference network of `Architecture.graph`, operation
/// for operation: valid 3×3 convolutions (`Conv` without padding) with
/// `Relu`, `BatchNormalization` with the running statistics where the model
/// has batch normalisation, 2×2 `MaxPool` with stride 2, 2×2 `ConvTranspose`
/// with stride 2, the centre crop of each skip tensor (`Slice`) concatenated
/// before the up-convolution's output (`Concat` on the channels), the 1×1
/// head and `Softmax` over the classes. Dropout, the identity at inference,
/// has no node.
///
/// Input `input`: float32 [batch, C, height, width], the image normalised as
/// the training images were (metadata `normalization`). Output
/// `probabilities`: float32 [batch, K, height − 2·margin, width − 2·margin].
/// The batch and the spatial sizes are dynamic; each spatial size must be a
/// valid tile: `minimumInputSize + k · inputSizeStep` for k ≥ 0 (every
/// pooling then sees an even size). The crops do not depend on the size:
/// each skip tensor is a constant number of pixels larger than the
/// up-convolution's output it joins.
///
/// The weights are the model's parameters under their PyTorch names
/// (`down.0.0.weight`, …; docs/pytorch.md), stored as raw little-endian
/// float32. Serialising is deterministic: the same model gives the same
/// bytes.
public struct ONNXModel: Sendable {
  /// The ONNX operator set the graph uses.
  public static let opset: Int64 = 17
  /// The ONNX IR version of opset 17.
  public static let irVersion: Int64 = 8
  /// The names of the graph's input and output.
  public static let inputName = "input"
  public static let outputName = "probabilities"

  public let model: TrainedModel

  public init(_ model: TrainedModel) { self.model = model }

  /// The smallest valid input size (height or width).
  public var minimumInputSize: Int { Self.minimumTile(model.architecture) }

  /// The step between valid input sizes, 2^depth.
  public var inputSizeStep: Int { 1 << model.architecture.depth }

  /// The smallest valid tile of `architecture`.
  public static func minimumTile(_ architecture: Architecture) -> Int {
    minimumInputSize(architecture, axis: architecture.dimensions - 1)
  }

  /// The smallest valid input size of `architecture` along `axis` (slowest first).
  static func minimumInputSize(_ architecture: Architecture, axis: Int) -> Int {
    var tile = 1
    while architecture.outputSize(forTile: tile, axis: axis) == nil { tile += 1 }
    return tile
  }

  /// The metadata (ONNX `metadata_props`), sorted by key: `architecture`
  /// (JSON, as in weights files), `normalization` (JSON; the default when
  /// the model names none), `normalization_description` (in words),
  /// `margin`, `input_size_minimum`, `input_size_step`, and `tile`, `step`,
  /// `threshold` where the model has them.
  public var metadata: [(key: String, value: String)] {
    let a = model.architecture
    var entries = [
      "architecture": Self.json(a),
      "format": "unetkit-onnx",
      "normalization": Self.json(model.normalization ?? .standard),
      "normalization_description": Self.describe(model.normalization ?? .standard),
      "margin": String(a.margin),
      "input_size_minimum": String(minimumInputSize),
      "input_size_step": String(inputSizeStep),
    ]
    if let tile = model.tile { entries["tile"] = tile.description }
    if let step = model.step { entries["step"] = String(step) }
    if let threshold = model.threshold { entries["threshold"] = "\(threshold)" }
    return entries.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
  }

  /// The normalisation in words, as the input must be prepared.
  public static func describe(_ normalization: Normalization) -> String {
    switch normalization {
    case .percentile(let low, let high):
      return "per channel (v - p\(format(low))) / (p\(format(high)) - p\(format(low))), "
        + "the image's \(format(low)) and \(format(high)) percentiles (numpy's linear method), not clipped; "
        + "v - p\(format(low)) where they are equal"
    case .range:
      return "per channel v / M, M the largest value of the image's integer sample type "
        + "(255 for 8-bit, 65535 for 16-bit); float images unchanged"
    case .none:
      return "none: the raw values as float32"
    }
  }

  private static func format(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : "\(value)"
  }

  static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
  }

  /// The serialised model.
  public func serializedBytes() throws -> [UInt8] {
    try proto.serializedBytes()
  }

  /// Writes the model to `path` atomically.
  /// - Throws: `FileError` `.unsupported` when the weights exceed the
  ///   2 GiB that one protobuf message holds (ONNX's external data is not
  ///   written).
  public func write(to path: String) throws {
    let bytes = model.parameters.reduce(0) { $0 + $1.count } * 4
    guard bytes < Int(Int32.max) - (1 << 24) else {
      throw FileError(.unsupported, path: path, "the weights take \(bytes) bytes; one ONNX file holds less than 2 GiB")
    }
    try AtomicFile.write(try serializedBytes(), to: path)
  }
}

extension ONNXModel {
  /// The ONNX message.
  var proto: Onnx_ModelProto {
    var m = Onnx_ModelProto()
    m.irVersion = Self.irVersion
    var opset = Onnx_OperatorSetIdProto()
    opset.domain = ""
    opset.version = Self.opset
    m.opsetImport = [opset]
    m.producerName = "UNetKit"
    m.domain = "org.unetkit"
    m.modelVersion = 1
    m.docString = documentation
    m.graph = graph
    m.metadataProps = metadata.map {
      var entry = Onnx_StringStringEntryProto()
      entry.key = $0.key
      entry.value = $0.value
      return entry
    }
    return m
  }

  var documentation: String {
    let a = model.architecture
    return """
      U-Net (Ronneberger et al. 2015) trained with UNetKit: \(a.inputChannels) input channel\(a.inputChannels == 1 ? "" : "s"), \
      \(a.classes) classes, \(a.baseChannels) base channels, depth \(a.depth)\(a.normLayer == .batch ? ", batch normalisation" : ""). \
      Input: float32 [batch, \(a.inputChannels), height, width], normalised: \(Self.describe(model.normalization ?? .standard)). \
      Height and width are each \(minimumInputSize) + \(inputSizeStep)k. \
      Output: class probabilities (softmax), [batch, \(a.classes), height - \(2 * a.margin), width - \(2 * a.margin)]: \
      the valid convolutions lose \(a.margin) pixels on each side.
      """
  }

  /// The graph, its weights as initializers.
  var graph: Onnx_GraphProto {
    let a = model.architecture
    let network = a.graph
    let specs = network.parameters
    var g = Onnx_GraphProto()
    g.name = "unet"
    let spatial = a.dimensions == 3 ? ["depth", "height", "width"] : ["height", "width"]
    g.input = [Self.valueInfo(Self.inputName, [.param("batch"), .value(a.inputChannels)] + spatial.map { .param($0) })]
    g.output = [
      Self.valueInfo(Self.outputName, [.param("batch"), .value(a.classes)] + spatial.map { .param("output_" + $0) })
    ]
    // Sizes of every tensor at one valid tile, for the crops' offsets.
    let shapes = network.shapes(input: (0..<a.dimensions).map { Self.minimumInputSize(a, axis: $0) })!
    let d = a.dimensions
    var names = [Self.inputName]
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    func weight(_ index: Int) -> String {
      initializers.append(Self.tensor(specs[index].name, shape: specs[index].shape, values: model.parameters[index]))
      return specs[index].name
    }
    func statistic(_ index: Int) -> String {
      let spec = network.statistics[index]
      initializers.append(Self.tensor(spec.name, shape: spec.shape, values: model.statistics.values[index]))
      return spec.name
    }
    func node(_ type: String, _ inputs: [String], _ output: String, name: String, _ attributes: [Onnx_AttributeProto] = [])
    {
      var n = Onnx_NodeProto()
      n.opType = type
      n.name = name
      n.input = inputs
      n.output = [output]
      n.attribute = attributes
      nodes.append(n)
    }
    /// The module name of a parameter: `down.0.0` of `down.0.0.weight`.
    func module(_ index: Int) -> String {
      String(specs[index].name.dropLast(".weight".count))
    }
    let last = network.operations.count
    for (i, op) in network.operations.enumerated() {
      let out = i + 1 == last ? "logits" : "t\(i + 1)"
      switch op {
      case .convolution(let input, let parameter, _, let kernel, let bias, let relu):
        let name = module(parameter)
        var inputs = [names[input], weight(parameter)]
        if bias { inputs.append(weight(parameter + 1)) }
        let conv = relu ? name + ".conv" : out
        node("Conv", inputs, conv, name: name, [.ints("kernel_shape", Array(repeating: kernel, count: d))])
        if relu { node("Relu", [conv], out, name: name + ".relu") }
      case .batchNorm(let input, let parameter, let statistics, let relu):
        let name = module(parameter)
        let inputs = [names[input], weight(parameter), weight(parameter + 1), statistic(statistics), statistic(statistics + 1)]
        let norm = relu ? name + ".norm" : out
        node("BatchNormalization", inputs, norm, name: name, [.float("epsilon", NormLayer.epsilon)])
        if relu { node("Relu", [norm], out, name: name + ".relu") }
      case .maxPool(let input, let window):
        node(
          "MaxPool", [names[input]], out, name: "pool.\(i + 1)",
          [.ints("kernel_shape", window), .ints("strides", window)])
      case .upConvolution(let input, let parameter, _, let window):
        let name = module(parameter)
        node(
          "ConvTranspose", [names[input], weight(parameter), weight(parameter + 1)], out, name: name,
          [.ints("kernel_shape", window), .ints("strides", window)])
      case .cropConcat(let skip, let up):
        // The skip tensor is `offset` pixels larger on each side of an
        // axis, whatever the input size.
        let offset = zip(shapes[skip].extent, shapes[up].extent).map { ($0 - $1) / 2 }
        let crop = "crop.\(i + 1)"
        initializers.append(Self.integers(crop + ".starts", offset))
        initializers.append(Self.integers(crop + ".ends", offset.map { -$0 }))
        initializers.append(Self.integers(crop + ".axes", Array(2..<(2 + d))))
        node("Slice", [names[skip], crop + ".starts", crop + ".ends", crop + ".axes"], crop, name: crop)
        node("Concat", [crop, names[up]], out, name: "concat.\(i + 1)", [.int("axis", 1)])
      case .dropout(let input, _):
        // The identity at inference: later operations read its input.
        names.append(names[input])
        continue
      }
      names.append(out)
    }
    node("Softmax", ["logits"], Self.outputName, name: "softmax", [.int("axis", 1)])
    g.node = nodes
    g.initializer = initializers
    return g
  }

  enum Dimension {
    case value(Int)
    case param(String)
  }

  static func valueInfo(_ name: String, _ dims: [Dimension]) -> Onnx_ValueInfoProto {
    var shape = Onnx_TensorShapeProto()
    shape.dim = dims.map {
      var d = Onnx_TensorShapeProto.Dimension()
      switch $0 {
      case .value(let v): d.dimValue = Int64(v)
      case .param(let p): d.dimParam = p
      }
      return d
    }
    var tensorType = Onnx_TypeProto.Tensor()
    tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    tensorType.shape = shape
    var type = Onnx_TypeProto()
    type.tensorType = tensorType
    var info = Onnx_ValueInfoProto()
    info.name = name
    info.type = type
    return info
  }

  /// A float32 initializer, its values as raw little-endian bytes.
  static func tensor(_ name: String, shape: [Int], values: [Float]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = shape.map(Int64.init)
    t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    var bytes = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    t.rawData = bytes
    return t
  }

  /// An int64 initializer of one dimension.
  static func integers(_ name: String, _ values: [Int]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = [Int64(values.count)]
    t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    t.int64Data = values.map(Int64.init)
    return t
  }
}

extension Onnx_AttributeProto {
  static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .ints
    a.ints = values.map(Int64.init)
    return a
  }

  static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .int
    a.i = Int64(value)
    return a
  }

  static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .float
    a.f = value
    return a
  }
}

import Foundation
import Interchange
import Testing
import UNet
import _ONNXProto

/// The ONNX graph's structure without a runtime (onnxruntime runs it in
/// UnetCLITests' ONNXExportTests).
@Suite struct ONNXModelTests {
  static func model(_ normLayer: NormLayer) -> TrainedModel {
    let architecture = Architecture(
      inputChannels: 1, classes: 3, baseChannels: 2, depth: 2, dropout: 0.5, normLayer: normLayer)
    return TrainedModel(
      architecture: architecture, parameters: architecture.initialParameters(seed: 7), tile: 60,
      normalization: .range, step: 5, threshold: nil)
  }

  /// Every parameter and running statistic becomes an initializer under
  /// its PyTorch name with its shape and values; one node per operation
  /// (ReLU its own node), no Dropout, Softmax over the classes last.
  @Test(arguments: NormLayer.allCases)
  func graphHoldsTheNetwork(normLayer: NormLayer) throws {
    let trained = Self.model(normLayer)
    let bytes = try ONNXModel(trained).serializedBytes()
    let proto = try Onnx_ModelProto(serializedBytes: bytes)
    #expect(proto.opsetImport.map(\.version) == [17])
    let graph = proto.graph
    let initializers = Dictionary(uniqueKeysWithValues: graph.initializer.map { ($0.name, $0) })
    for (spec, values) in zip(trained.architecture.parameterSpecs, trained.parameters) {
      let tensor = try #require(initializers[spec.name], "\(spec.name)")
      #expect(tensor.dims == spec.shape.map(Int64.init))
      let stored = tensor.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      #expect(stored == values, "\(spec.name)")
    }
    for spec in trained.architecture.statisticSpecs { #expect(initializers[spec.name] != nil, "\(spec.name)") }
    let types = graph.node.map(\.opType)
    #expect(!types.contains("Dropout"))
    #expect(types.last == "Softmax" && graph.node.last?.output == ["probabilities"])
    #expect(types.filter { $0 == "MaxPool" }.count == 2 && types.filter { $0 == "ConvTranspose" }.count == 2)
    #expect(types.filter { $0 == "Conv" }.count == trained.architecture.convolutionCount - trained.architecture.depth)
    #expect(types.filter { $0 == "BatchNormalization" }.count == trained.architecture.normLayerNames.count)
    #expect(types.filter { $0 == "Relu" }.count == 4 * trained.architecture.depth + 2)
    let metadata = Dictionary(uniqueKeysWithValues: proto.metadataProps.map { ($0.key, $0.value) })
    #expect(metadata["normalization"] == #"{"range":{}}"#)
    #expect(metadata["input_size_minimum"] == "44" && metadata["input_size_step"] == "4" && metadata["margin"] == "20")
  }

  /// The crops cut each skip tensor to the up-convolution's size at every
  /// valid input size: the offsets are constants of the architecture.
  @Test func cropOffsetsDoNotDependOnTheInputSize() throws {
    for depth in 1...4 {
      let architecture = Architecture(inputChannels: 1, classes: 2, baseChannels: 2, depth: depth, dropout: 0)
      let graph = architecture.graph
      let minimum = ONNXModel.minimumTile(architecture)
      var offsets: [[Int]] = []
      for tile in stride(from: minimum, through: minimum + 5 << depth, by: 1 << depth) {
        let shapes = try #require(graph.shapes(inputSize: tile))
        offsets.append(
          graph.operations.compactMap {
            guard case .cropConcat(let skip, let up) = $0 else { return nil }
            return (shapes[skip].extent[0] - shapes[up].extent[0]) / 2
          })
      }
      #expect(Set(offsets).count == 1, "depth \(depth): \(offsets)")
      #expect(architecture.outputSize(forTile: minimum - 1) == nil)
    }
  }

  /// The same model gives the same bytes.
  @Test func serialisingIsDeterministic() throws {
    let a = try ONNXModel(Self.model(.batch)).serializedBytes()
    let b = try ONNXModel(Self.model(.batch)).serializedBytes()
    #expect(a == b)
  }
}

import Foundation
import Testing

@testable import UNet

@Suite struct ArchitectureTests {
  @Test func paperTileSizes() throws {
    let a = Architecture.paper
    #expect(a.outputSize(forTile: 572) == 388)
    #expect(a.margin == 92)
    #expect(a.convolutionCount == 23)
    #expect(a.outputSize(forTile: 570) == nil)
    #expect(a.nearestValidTiles(to: 570) == [556, 572])
    // Reference: every valid tile gives output = tile − 2·margin.
    for t in 1...1200 {
      if let o = a.outputSize(forTile: t) { #expect(o == t - 2 * a.margin) }
    }
    #expect(throws: TrainingError.self) { try a.validateTile(570) }
  }

  /// With batch normalisation each block is PyTorch's
  /// `Sequential(Conv2d(bias=False), BatchNorm2d, ReLU, Conv2d(bias=False), BatchNorm2d, ReLU)`.
  @Test func batchNormNamesFollowPyTorch() {
    let a = Architecture(inputChannels: 1, classes: 2, baseChannels: 4, depth: 1, dropout: 0.5, normLayer: .batch)
    func block(_ p: String) -> [String] {
      ["\(p).0.weight", "\(p).1.weight", "\(p).1.bias", "\(p).3.weight", "\(p).4.weight", "\(p).4.bias"]
    }
    #expect(
      a.parameterSpecs.map(\.name)
        == block("down.0") + block("down.1") + ["up.0.weight", "up.0.bias"] + block("dec.0") + ["head.weight", "head.bias"])
    #expect(a.parameterSpecs.first { $0.name == "dec.0.3.weight" }?.shape == [4, 4, 3, 3])
    #expect(a.parameterSpecs.first { $0.name == "down.1.4.bias" }?.shape == [8])
    #expect(a.normLayerNames == ["down.0.1", "down.0.4", "down.1.1", "down.1.4", "dec.0.1", "dec.0.4"])
    #expect(
      a.statisticSpecs.map { "\($0.name) \($0.shape)" } == [
        "down.0.1.running_mean [4]", "down.0.1.running_var [4]", "down.0.4.running_mean [4]", "down.0.4.running_var [4]",
        "down.1.1.running_mean [8]", "down.1.1.running_var [8]", "down.1.4.running_mean [8]", "down.1.4.running_var [8]",
        "dec.0.1.running_mean [4]", "dec.0.1.running_var [4]", "dec.0.4.running_mean [4]", "dec.0.4.running_var [4]",
      ])
    // Operations and parameters agree: each norm reads the convolution before it.
    let graph = a.graph
    var norms = 0
    for (i, op) in graph.operations.enumerated() {
      guard case .batchNorm(let input, let parameter, let statistics, let relu) = op else { continue }
      guard case .convolution(_, let weight, let channels, 3, false, false) = graph.operations[input - 1] else {
        Issue.record("operation \(i) does not follow a bias-free convolution")
        continue
      }
      #expect(relu && statistics == 2 * norms && parameter == weight + 1)
      #expect(graph.parameters[parameter].role == .normScale && graph.parameters[parameter + 1].role == .normShift)
      #expect(graph.parameters[parameter].shape == [channels])
      #expect(graph.statistics[statistics].shape == [channels])
      norms += 1
    }
    #expect(norms == 6)
    let fresh = a.initialParameters(seed: 1)
    for (spec, values) in zip(a.parameterSpecs, fresh) where spec.role == .normScale || spec.role == .normShift {
      #expect(values.allSatisfy { $0 == (spec.role == .normScale ? 1 : 0) })
    }
    #expect(a.initialStatistics.values.map { Set($0) } == a.statisticSpecs.map { [$0.role == .mean ? 0 : 1] })
    #expect(Architecture.paper.normLayerNames.isEmpty && Architecture.paper.initialStatistics == .empty)
  }

  /// The JSON form names the norm layer only when there is one, so files of
  /// networks without it are as before, and earlier files read as `none`.
  @Test func jsonNamesTheNormLayerOnlyWhenThereIsOne() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let paper = String(decoding: try encoder.encode(Architecture.paper), as: UTF8.self)
    #expect(paper == #"{"baseChannels":64,"classes":2,"depth":4,"dropout":0.5,"inputChannels":1}"#)
    #expect(try JSONDecoder().decode(Architecture.self, from: Data(paper.utf8)) == .paper)
    var batch = Architecture.paper
    batch.normLayer = .batch
    let text = String(decoding: try encoder.encode(batch), as: UTF8.self)
    #expect(text.contains(#""normLayer":"batch""#))
    #expect(try JSONDecoder().decode(Architecture.self, from: Data(text.utf8)) == batch)
    let unknown = text.replacingOccurrences(of: #""batch""#, with: #""instance""#)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Architecture.self, from: Data(unknown.utf8)) }
  }
}

import Foundation
import Raster
import Shards
import WeightMap

/// How a dataset's masks and weight maps were made, read back from the
/// parameters `unet augment` writes into its manifest (`weightMap`, the
/// `Codable` form of ``WeightMapConfiguration``; and `datasetClassWeights`,
/// the class weights it applied), so that held-out images get their masks
/// and weights the same way.
public struct DatasetWeightMap: Sendable, Equatable {
  /// The weight-map configuration of the dataset.
  public var configuration: WeightMapConfiguration
  /// The class weights applied to every image; nil when they are balanced
  /// per image (then each image gets its own).
  public var classWeights: ClassWeights?

  public init(configuration: WeightMapConfiguration, classWeights: ClassWeights?) {
    self.configuration = configuration
    self.classWeights = classWeights
  }

  /// The weight map of a dataset whose manifest says nothing about it (not
  /// written by `unet augment`): the paper's settings, class weights
  /// balanced over each image.
  public static let paper = DatasetWeightMap(
    configuration: try! WeightMapConfiguration(classWeights: .balanced(.image)), classWeights: nil)

  /// Reads the manifest's configuration; ``paper`` when it has no `weightMap`.
  ///
  /// - Parameter path: the manifest's path, named in errors.
  /// - Throws: `TrainingError` naming the manifest and the field when a
  ///   parameter is of the wrong type or out of range (a missing one takes
  ///   its default), or `datasetClassWeights` is missing or not valid.
  public init(manifestConfiguration json: JSONValue, path: String) throws {
    guard let map = json["weightMap"] else {
      self = .paper
      return
    }
    do {
      configuration = try JSONDecoder().decode(WeightMapConfiguration.self, from: Data(map.serialized(indent: 0).utf8))
    } catch let error as DecodingError {
      throw TrainingError("\(path): parameters.weightMap\(Self.describe(error))")
    }
    func number(_ value: JSONValue) -> Double? {
      switch value {
      case .double(let x): return x
      case .int(let x): return Double(x)
      case .uint(let x): return Double(x)
      default: return nil
      }
    }
    if configuration.classWeights == .balanced(.image) {
      classWeights = nil
    } else {
      guard case .array(let pair)? = json["datasetClassWeights"], pair.count == 2 else {
        throw TrainingError("\(path): parameters.datasetClassWeights is missing or not valid")
      }
      guard let b = number(pair[0]), let f = number(pair[1]), b.isFinite, f.isFinite, b >= 0, f >= 0 else {
        throw TrainingError("\(path): parameters.datasetClassWeights is missing or not valid")
      }
      classWeights = ClassWeights(background: b, foreground: f)
    }
  }

  /// `.KEY: why` of a decoding error, one line.
  static func describe(_ error: DecodingError) -> String {
    let (path, why): ([any CodingKey], String)
    switch error {
    case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c):
      (path, why) = (c.codingPath, c.debugDescription)
    @unknown default: (path, why) = ([], "\(error)")
    }
    return path.map { "." + $0.stringValue }.joined() + ": " + why.replacingOccurrences(of: "\n", with: " ")
  }

  /// The mask (class per pixel) and weight map of one label image, as
  /// `unet augment` makes a sample's: instances (a binary mask split into
  /// components with the dataset's connectivity), separated when the
  /// dataset separates, weighted with its configuration.
  public func maskAndWeights(_ labels: LabelImage) -> WeightMapResult {
    let mapper = WeightMapper(configuration)
    let prepared = mapper.prepare(InstanceLabels.normalize(labels, connectivity: configuration.connectivity))
    return mapper.weights(
      for: prepared, classWeights: classWeights ?? configuration.resolvedClassWeights(for: prepared.counts))
  }
}

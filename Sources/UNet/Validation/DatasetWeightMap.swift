import Raster
import Shards
import WeightMap

/// How a dataset's masks and weight maps were made, read back from the
/// description `unet augment` writes into its manifest
/// (``DatasetDescription/weightMap`` and the class weights it applied,
/// ``DatasetDescription/classWeights``), so that held-out images get their
/// masks and weights the same way.
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

  /// The weight map of the dataset `description` describes; ``paper`` when
  /// it has no `weightMap`.
  ///
  /// - Parameter path: the manifest's path, named in errors.
  /// - Throws: `TrainingError` naming the manifest when the class weights
  ///   the dataset applied (`datasetClassWeights`) are missing.
  public init(_ description: DatasetDescription, path: String) throws {
    guard let configuration = description.weightMap else {
      self = .paper
      return
    }
    self.configuration = configuration
    if configuration.classWeights == .balanced(.image) {
      classWeights = nil
    } else {
      guard let weights = description.classWeights else {
        throw TrainingError("\(path): parameters.datasetClassWeights is missing or not valid")
      }
      classWeights = weights
    }
  }

  /// Reads the manifest's configuration (its `parameters`) as
  /// ``init(_:path:)`` does.
  ///
  /// - Throws: `ShardError` naming the manifest and the field when a
  ///   parameter is of the wrong type or out of range (a missing one takes
  ///   its default), or what ``init(_:path:)`` throws.
  public init(manifestConfiguration json: JSONValue, path: String) throws {
    try self.init(DatasetDescription(json: json, path: path), path: path)
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

  /// ``maskAndWeights(_:)`` of a label volume, as `unet augment --volume`
  /// makes a sample's (distances in the volume's spacing).
  public func maskAndWeights(_ labels: LabelVolume) -> VolumeWeightMap {
    let mapper = WeightMapper(configuration)
    let prepared = mapper.prepare(configuration.normalize(labels))
    return mapper.weights(
      for: prepared, classWeights: classWeights ?? configuration.resolvedClassWeights(for: prepared.counts))
  }
}

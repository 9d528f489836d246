import Raster
import Shards
import WeightMap

/// How a dataset's masks and weight maps were made, read back from the
/// parameters `unet augment` writes into its manifest (`weightMap`: w0, σ,
/// class weights, border region, separation, connectivity; and
/// `datasetClassWeights`, the class weights it applied), so that held-out
/// images get their masks and weights the same way.
public struct DatasetWeightMap: Sendable, Equatable {
  /// The weight-map parameters of the dataset.
  public var parameters: WeightMapParameters
  /// The class weights applied to every image; nil when they are balanced
  /// per image (then each image gets its own).
  public var classWeights: ClassWeights?

  public init(parameters: WeightMapParameters, classWeights: ClassWeights?) {
    self.parameters = parameters
    self.classWeights = classWeights
  }

  /// The weight map of a dataset whose manifest says nothing about it (not
  /// written by `unet augment`): the paper's parameters, class weights
  /// balanced over each image.
  public static let paper = DatasetWeightMap(
    parameters: try! WeightMapParameters(classWeights: .balanced(.image)), classWeights: nil)

  /// Reads the manifest's parameters; ``paper`` when it has no `weightMap`.
  ///
  /// - Parameter path: the manifest's path, named in errors.
  /// - Throws: `TrainingError` naming the manifest and the field when a
  ///   parameter is missing or out of range.
  public init(manifestParameters json: JSONValue, path: String) throws {
    guard let map = json["weightMap"] else {
      self = .paper
      return
    }
    func fail(_ field: String) -> TrainingError {
      TrainingError("\(path): parameters.\(field) is missing or not valid")
    }
    func number(_ value: JSONValue?, _ field: String) throws -> Double {
      switch value {
      case .double(let x)?: return x
      case .int(let x)?: return Double(x)
      case .uint(let x)?: return Double(x)
      default: throw fail(field)
      }
    }
    func text(_ field: String) throws -> String {
      guard case .string(let s)? = map[field] else { throw fail("weightMap." + field) }
      return s
    }
    let weighting: ClassWeighting
    switch map["classWeights"] {
    case .string("none")?: weighting = .uniform
    case .object(let o)? where o.count == 1:
      guard case .string(let scope)? = o["balanced"], let s = BalanceScope(rawValue: scope) else {
        throw fail("weightMap.classWeights")
      }
      weighting = .balanced(s)
    case .array(let pair)? where pair.count == 2:
      weighting = .explicit(
        background: try number(pair[0], "weightMap.classWeights"), foreground: try number(pair[1], "weightMap.classWeights"))
    default: throw fail("weightMap.classWeights")
    }
    guard let borderOn = BorderRegion(rawValue: try text("borderOn")) else { throw fail("weightMap.borderOn") }
    guard let connectivity = Connectivity(rawValue: try text("connectivity")) else { throw fail("weightMap.connectivity") }
    guard case .bool(let separation)? = map["separation"] else { throw fail("weightMap.separation") }
    do {
      parameters = try WeightMapParameters(
        w0: try number(map["w0"], "weightMap.w0"), sigmaPixels: try number(map["sigmaPixels"], "weightMap.sigmaPixels"),
        classWeights: weighting, borderOn: borderOn, separation: separation, connectivity: connectivity)
    } catch let error as WeightMapParameterError {
      throw TrainingError("\(path): parameters.weightMap: \(error)")
    }
    if weighting == .balanced(.image) {
      classWeights = nil
    } else {
      guard case .array(let pair)? = json["datasetClassWeights"], pair.count == 2 else {
        throw TrainingError("\(path): parameters.datasetClassWeights is missing or not valid")
      }
      let (b, f) = (try number(pair[0], "datasetClassWeights"), try number(pair[1], "datasetClassWeights"))
      guard b.isFinite, f.isFinite, b >= 0, f >= 0 else {
        throw TrainingError("\(path): parameters.datasetClassWeights is missing or not valid")
      }
      classWeights = ClassWeights(background: b, foreground: f)
    }
  }

  /// The mask (class per pixel) and weight map of one label image, as
  /// `unet augment` makes a sample's: instances (a binary mask split into
  /// components with the dataset's connectivity), separated when the
  /// dataset separates, weighted with its parameters.
  public func maskAndWeights(_ labels: LabelImage) -> WeightMapResult {
    let mapper = WeightMapper(parameters)
    let prepared = mapper.prepare(InstanceLabels.normalize(labels, connectivity: parameters.connectivity))
    return mapper.weights(
      for: prepared, classWeights: classWeights ?? parameters.resolvedClassWeights(for: prepared.counts))
  }
}

import Foundation
import Raster
import WeightMap
import _Support

/// What a UNetKit dataset holds and how it was made, as its manifest
/// records it under `parameters` (``Manifest/configuration``): the one
/// definition that the dataset writer (`Augment`'s `AugmentedDataset`,
/// `unet augment`) and its readers (`UNet`'s validation, `unet train`)
/// share, as ``SampleLayout`` is for the samples.
///
/// | key | property |
/// |---|---|
/// | `seed`, `samples`, `perShard`, `name`, `labels` | ``seed``, ``samples``, ``perShard``, ``name``, ``labels`` |
/// | `augment` | ``augmentation`` (with ``normalization``) |
/// | `datasetClassWeights` | ``classWeights``: `[background, foreground]` |
/// | `sources` | ``sources``: `{"name", "image", "labels"}` each |
/// | `weightMap` | ``weightMap`` (for volumes σ as `sigma` and `sigmaUnit`) |
/// | `dimensions` | ``layout``: `3` for volumes, absent for images |
/// | `spacing` | ``spacing``: `{"z", "y", "x", "unit"}`, volumes only |
///
/// Every member is optional, so that the manifest of a dataset written by
/// another program reads too (``layout`` is then ``SampleLayout/image``);
/// a member present but not valid is an error, and keys of no member are
/// left out. Of a manifest that UNetKit wrote, ``json`` gives back the
/// parameters it was read from, and `unet augment` writes the bytes its
/// earlier versions wrote (`--resume` and `unet manifest merge` compare them).
public struct DatasetDescription: Sendable, Equatable {
  /// The seed every sample's draw derives from.
  public var seed: UInt64?
  /// The number of samples.
  public var samples: Int?
  /// Samples per shard.
  public var perShard: Int?
  /// The shards' name prefix.
  public var name: String?
  /// Whether samples store `labels.npy`.
  public var labels: Bool?
  /// The augmentation settings.
  public var augmentation: Augmentation?
  /// The class weights applied to every sample (unless balanced per image).
  public var classWeights: ClassWeights?
  /// The source files, in the order samples draw them from.
  public var sources: [SourcePair]?
  /// How masks and weight maps were made.
  public var weightMap: WeightMapConfiguration?
  /// 2-D or 3-D samples.
  public var layout: SampleLayout
  /// The voxel spacing of a volume dataset.
  public var spacing: VoxelSpacing?

  public init(
    seed: UInt64? = nil, samples: Int? = nil, perShard: Int? = nil, name: String? = nil, labels: Bool? = nil,
    augmentation: Augmentation? = nil, classWeights: ClassWeights? = nil, sources: [SourcePair]? = nil,
    weightMap: WeightMapConfiguration? = nil, layout: SampleLayout = .image, spacing: VoxelSpacing? = nil
  ) {
    self.seed = seed
    self.samples = samples
    self.perShard = perShard
    self.name = name
    self.labels = labels
    self.augmentation = augmentation
    self.classWeights = classWeights
    self.sources = sources
    self.weightMap = weightMap
    self.layout = layout
    self.spacing = spacing
  }

  /// How the source images were normalised (`augment.normalization`), nil
  /// when the manifest does not say.
  public var normalization: Normalization? { augmentation?.normalization }

  /// The keys of `parameters`.
  enum Key: String {
    case seed, samples, perShard, name, labels, augment, datasetClassWeights, sources, weightMap, dimensions, spacing
  }
}

extension DatasetDescription {
  /// A dataset's augmentation settings (`augment`): the `Codable` form of
  /// Augment's `AugmentConfiguration`, or `VolumeAugmentConfiguration` for
  /// volumes, kept as `JSONEncoder` writes it (whole numbers without a
  /// fraction: `"sigmaPixels": 10`), which is how manifests hold it.
  /// ``decode(_:)`` reads the settings back typed; the sources'
  /// normalisation is read here already.
  public struct Augmentation: Sendable, Equatable {
    /// The settings as the manifest holds them.
    public let json: JSONValue
    /// Their `normalization`, or nil when they name none.
    public let normalization: Normalization?

    /// Settings read from a manifest.
    ///
    /// - Throws: `DecodingError` when `normalization` is there but not a
    ///   normalisation.
    public init(json: JSONValue) throws {
      self.json = json
      normalization = try json["normalization"].map { try $0.decoded(as: Normalization.self) }
    }

    /// The settings of `configuration`, encoded as a manifest holds them.
    public init(_ configuration: some Encodable) throws {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try self.init(json: JSONValue.parse(Array(try encoder.encode(configuration))))
    }

    /// The settings as `type`, e.g. `AugmentConfiguration.self`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try json.decoded(as: type) }
  }
}

// MARK: JSON

extension DatasetDescription {
  /// The `parameters` of a manifest, each key written as `unet augment`
  /// writes it (numbers of ``classWeights``, ``weightMap`` and ``spacing`` as
  /// `.double`, so `5.0` stays `5.0`).
  public var json: JSONValue {
    var members: [String: JSONValue] = [:]
    func set(_ key: Key, _ value: JSONValue?) { if let value { members[key.rawValue] = value } }
    set(.seed, seed.map { .uint($0) })
    set(.samples, samples.map { .int(Int64($0)) })
    set(.perShard, perShard.map { .int(Int64($0)) })
    set(.name, name.map { .string($0) })
    set(.labels, labels.map { .bool($0) })
    set(.augment, augmentation?.json)
    set(.datasetClassWeights, classWeights.map { .array([.double($0.background), .double($0.foreground)]) })
    set(.sources, sources.map { .array($0.map { ["name": .string($0.name), "image": .string($0.image), "labels": .string($0.labels)] }) })
    if let weightMap {
      // A valid configuration's numbers are finite: encoding cannot fail.
      if layout == .volume, let spacing {
        set(.weightMap, try! JSONValue(encoding: weightMap.encoded(sigmaUnit: spacing.unit)))
      } else {
        set(.weightMap, try! JSONValue(encoding: weightMap))
      }
    }
    if layout == .volume { set(.dimensions, .int(Int64(layout.dimensions))) }
    set(.spacing, spacing.map { ["z": .double($0.z), "y": .double($0.y), "x": .double($0.x), "unit": .string($0.unit)] })
    return .object(members)
  }

  /// Reads a manifest's `parameters`.
  ///
  /// - Parameter path: the manifest's path, named in errors.
  /// - Throws: ``ShardError`` `.invalidManifest` naming `path` and the
  ///   member that is not valid, e.g. `parameters.weightMap.w0: …`.
  public init(json: JSONValue, path: String?) throws {
    func fail(_ text: String) -> ShardError { ShardError(.invalidManifest, path: path, "parameters." + text) }
    func member<T>(_ key: Key, _ expected: String, _ read: (JSONValue) -> T?) throws -> T? {
      guard let value = json[key.rawValue] else { return nil }
      guard let result = read(value) else { throw fail("\(key.rawValue): expected \(expected)") }
      return result
    }
    self.init(layout: try Self.layout(of: json, path: path))
    seed = try member(.seed, "a non-negative integer") {
      switch $0 {
      case .int(let n) where n >= 0: UInt64(n)
      case .uint(let n): n
      default: nil
      }
    }
    samples = try member(.samples, "an integer") { if case .int(let n) = $0 { Int(exactly: n) } else { nil } }
    perShard = try member(.perShard, "an integer") { if case .int(let n) = $0 { Int(exactly: n) } else { nil } }
    name = try member(.name, "a string") { if case .string(let s) = $0 { s } else { nil } }
    labels = try member(.labels, "true or false") { if case .bool(let b) = $0 { b } else { nil } }
    if let augment = json[Key.augment.rawValue] {
      do {
        augmentation = try Augmentation(json: augment)
      } catch {
        throw fail("augment.normalization \(augment["normalization"]!.serialized(indent: 0)) is not a normalisation")
      }
    }
    if let weights = json[Key.datasetClassWeights.rawValue] {
      guard case .array(let pair) = weights, pair.count == 2, let b = pair[0].number, let f = pair[1].number,
        b.isFinite, f.isFinite, b >= 0, f >= 0
      else { throw fail("datasetClassWeights is missing or not valid") }
      classWeights = ClassWeights(background: b, foreground: f)
    }
    sources = try member(.sources, "an array of {\"name\", \"image\", \"labels\"}") { value -> [SourcePair]? in
      guard case .array(let items) = value else { return nil }
      let pairs = items.compactMap { item -> SourcePair? in
        guard case .string(let name)? = item["name"], case .string(let image)? = item["image"],
          case .string(let labels)? = item["labels"]
        else { return nil }
        return SourcePair(name: name, image: image, labels: labels)
      }
      return pairs.count == items.count ? pairs : nil
    }
    if let map = json[Key.weightMap.rawValue] {
      do {
        weightMap = try map.decoded(as: WeightMapConfiguration.self)
      } catch let error as DecodingError {
        throw fail("weightMap" + Self.describe(error))
      }
    }
    if let value = json[Key.spacing.rawValue] {
      guard let z = value["z"]?.number, let y = value["y"]?.number, let x = value["x"]?.number,
        case .string(let unit)? = value["unit"]
      else { throw fail("spacing: expected {\"z\", \"y\", \"x\", \"unit\"}") }
      if let problem = VoxelSpacing.problem(z: z, y: y, x: x) { throw fail("spacing: \(problem)") }
      spacing = VoxelSpacing(z: z, y: y, x: x, unit: unit)
    }
  }

  /// The layout `parameters` declare: ``SampleLayout/volume`` for
  /// `"dimensions": 3`, ``SampleLayout/image`` when the key is absent or 2.
  ///
  /// - Throws: ``ShardError`` `.invalidManifest` naming `path` for another value.
  static func layout(of json: JSONValue, path: String?) throws -> SampleLayout {
    switch json[Key.dimensions.rawValue] {
    case nil, .int(2)?, .uint(2)?: return .image
    case .int(3)?, .uint(3)?: return .volume
    case let other?:
      throw ShardError(
        .invalidManifest, path: path,
        "parameters.\(Key.dimensions.rawValue) is \(other.serialized(indent: 0)), expected 2 or 3")
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
}

extension DatasetDescription: Codable {
  /// Decodes through `JSONValue` and checks as ``init(json:path:)``.
  public init(from decoder: any Decoder) throws {
    try self.init(json: JSONValue(from: decoder), path: nil)
  }

  /// Encodes ``json``.
  public func encode(to encoder: any Encoder) throws {
    try json.encode(to: encoder)
  }
}

extension Manifest {
  /// The description of the dataset this manifest lists, read from its
  /// `parameters` (see ``DatasetDescription/init(json:path:)``).
  ///
  /// - Parameter path: the manifest's path, named in errors.
  public func datasetDescription(path: String?) throws -> DatasetDescription {
    try DatasetDescription(json: configuration, path: path)
  }
}

extension JSONValue {
  /// The number, or nil for another value.
  fileprivate var number: Double? {
    switch self {
    case .double(let x): x
    case .int(let x): Double(x)
    case .uint(let x): Double(x)
    default: nil
    }
  }

  /// The value decoded as `type` by `JSONDecoder`.
  fileprivate func decoded<T: Decodable>(as type: T.Type) throws -> T {
    try JSONDecoder().decode(type, from: Data(serialized(indent: 0).utf8))
  }
}

import Foundation
import Raster
import Shards
import WeightMap
import _Support

/// An augmented dataset, written as WebDataset shards with a checksummed
/// manifest: what `unet augment` writes, for Swift programs — of 2-D
/// sources (``SourceSet``) or of volumes (``VolumeSourceSet``, as
/// `--volume` does).
///
/// Sample `k` draws its source and every value from `(seed, k)` alone
/// (``AugmentConfiguration/draw(seed:index:sourceCount:)``, or
/// ``VolumeAugmentConfiguration/draw(seed:index:sourceCount:)``), is augmented by
/// one ``SampleAugmenter`` and stored in the fields ``SampleLayout`` defines,
/// with a `json` record of its source and drawn values. Output never
/// depends on `jobs` or on how the shards are partitioned.
///
/// ```swift
/// let pairs = try SourcePair.pair(images: "data/images", labels: "data/labels")
/// let dataset = AugmentedDataset(sources: try SourceSet.load(pairs), seed: 1)
/// try dataset.write(to: "out/dataset", samples: 1000)
/// ```
public struct AugmentedDataset<Sources: DatasetSources>: ShardedDataset {
  public let sources: Sources
  public let configuration: Sources.Configuration
  public let weightMapper: WeightMapper
  public let seed: UInt64
  /// Whether samples store `labels.npy`.
  public let keepLabels: Bool
  /// Applies each draw (class weights of the whole set unless balanced per image).
  public let augmenter: SampleAugmenter

  /// A dataset of `sources` (loaded with the same normalisation and weight
  /// mapper as `configuration` and `weightMapper` name).
  public init(
    sources: Sources, configuration: Sources.Configuration = .standard, weightMapper: WeightMapper = WeightMapper(),
    seed: UInt64 = 0, keepLabels: Bool = true
  ) {
    self.sources = sources
    self.configuration = configuration
    self.weightMapper = weightMapper
    self.seed = seed
    self.keepLabels = keepLabels
    augmenter = SampleAugmenter(
      configuration: configuration.base, weightMapper: weightMapper,
      classWeights: weightMapper.configuration.classWeights == .balanced(.image) ? nil : sources.classWeights)
  }

  /// Sample `k`: its draw, from `(seed, k)` alone, applied to its source.
  public func sample(_ k: Int) -> (draw: Sources.Configuration.Draw, sample: Sources.Sample) {
    let draw = configuration.draw(seed: seed, index: UInt64(k), sourceCount: sources.count)
    return (draw, sources.augment(draw, with: augmenter))
  }

  /// Sample `k` as the entries of one WebDataset sample, key `%08d` of `k`.
  public func shardSample(_ k: Int) throws -> ShardSample {
    let (draw, sample) = self.sample(k)
    return try sources.encode(sample, key: String(format: "%08llu", UInt64(k)), labels: keepLabels) {
      try SampleRecord(
        index: draw.index, values: draw.values, seed: seed, source: sources.pairs[draw.sourceIndex],
        spacing: $0
      ).json()
    }
  }

  /// Every generation setting, as the manifest records them (and as
  /// `--resume` and `unet manifest merge` compare them).
  public func datasetDescription(samples: Int, perShard: Int, name: String) throws -> DatasetDescription {
    DatasetDescription(
      seed: seed, samples: samples, perShard: perShard, name: name, labels: keepLabels,
      augmentation: try DatasetDescription.Augmentation(configuration), classWeights: sources.classWeights,
      sources: sources.pairs, weightMap: weightMapper.configuration, layout: sources.layout,
      spacing: sources.datasetSpacing)
  }
}

/// What an ``AugmentedDataset`` needs of its sources: how a sample is
/// drawn, augmented and stored, in 2-D (``SourceSet``) or 3-D
/// (``VolumeSourceSet``).
public protocol DatasetSources: Sendable {
  associatedtype Configuration: DatasetConfiguration
  associatedtype Sample: Sendable
  var count: Int { get }
  /// The class weights `w_c` over all sources.
  var classWeights: ClassWeights { get }
  /// The files of each source.
  var pairs: [SourcePair] { get }
  /// The augmented sample of `draw`'s source.
  func augment(_ draw: Configuration.Draw, with augmenter: SampleAugmenter) -> Sample
  /// The shard sample of `sample`; `record(spacing)` is its `json` field.
  func encode(_ sample: Sample, key: String, labels: Bool, record: (VoxelSpacing?) throws -> [UInt8]) throws
    -> ShardSample
  /// 2-D or 3-D samples.
  var layout: SampleLayout { get }
  /// The voxel spacing of every source of a volume dataset; nil for images.
  var datasetSpacing: VoxelSpacing? { get }
}

/// The augmentation settings of a dataset, 2-D or 3-D.
public protocol DatasetConfiguration: Sendable, Encodable {
  associatedtype Draw: DatasetDraw
  /// The defaults.
  static var standard: Self { get }
  /// The settings shared with 2-D.
  var base: AugmentConfiguration { get }
  /// The draw for output sample `index` of a run with `seed`.
  func draw(seed: UInt64, index: UInt64, sourceCount: Int) -> Draw
}

/// One sample's draw: its index, its source and its drawn values.
public protocol DatasetDraw: Sendable {
  associatedtype Values: Encodable & Sendable
  var index: UInt64 { get }
  var sourceIndex: Int { get }
  var values: Values { get }
}

extension AugmentConfiguration: DatasetConfiguration {
  public var base: AugmentConfiguration { self }
}

extension SampleDraw: DatasetDraw {}

/// A dataset of augmented samples that writes itself as shards, such as
/// ``AugmentedDataset``.
public protocol ShardedDataset: Sendable {
  /// Sample `k` as the entries of one WebDataset sample.
  func shardSample(_ k: Int) throws -> ShardSample
  /// Every generation setting, as the manifest records them (and as
  /// `--resume` and `unet manifest merge` compare them).
  func datasetDescription(samples: Int, perShard: Int, name: String) throws -> DatasetDescription
}

extension ShardedDataset {
  /// Writes samples `0..<samples`, `perShard` per shard named
  /// `NAME-000000.tar`, …, and `manifest.json` into `directory`; the shards
  /// of `partition` only, keeping those already complete and verified
  /// (``DatasetWriter``), samples generated `jobs` at a time.
  ///
  /// - Parameter progress: called once per generated sample, from worker threads.
  /// - Throws: `ShardError` for a bad plan or a conflicting dataset in
  ///   `directory`, I/O errors.
  @discardableResult
  public func write(
    to directory: String, samples: Int, perShard: Int = 100, name: String = "train",
    partition: Partition = .whole, tool: ToolInfo = .library, jobs: Int = Parallel.cores,
    progress: (@Sendable () -> Void)? = nil
  ) throws -> DatasetWriter.Report {
    let plan = try ShardPlan(name: name, totalSamples: samples, samplesPerShard: perShard)
    let writer = DatasetWriter(
      directory: directory, plan: plan, partition: partition,
      configuration: try datasetDescription(samples: samples, perShard: perShard, name: name).json, tool: tool)
    return try writer.run { _, range in
      let slots = Slots<ShardSample?>(count: range.count, initial: nil)
      try Parallel.forEach(range.count, jobs: jobs) { i in
        slots[i] = try shardSample(range.lowerBound + i)
        progress?()
      }
      return slots.values.map { $0! }
    }
  }
}

/// A sample's `json` field: its index, the run's seed, its source, the
/// drawn values and, for a volume, the voxel spacing (z, y, x, unit).
struct SampleRecord<Values: Encodable>: Encodable {
  var index: UInt64
  var seed: UInt64
  var source: String
  var sourceImage: String
  var sourceLabels: String
  var values: Values
  var spacing: VoxelSpacing?

  /// Coded as before the rename: the drawn values under the key `parameters`.
  enum CodingKeys: String, CodingKey {
    case index, seed, source, sourceImage, sourceLabels, spacing
    case values = "parameters"
  }

  init(index: UInt64, values: Values, seed: UInt64, source: SourcePair, spacing: VoxelSpacing? = nil) {
    self.index = index
    self.seed = seed
    self.source = source.name
    sourceImage = source.image
    sourceLabels = source.labels
    self.values = values
    self.spacing = spacing
  }
}

extension SampleRecord {
  /// One line of JSON, keys sorted.
  func json() throws -> [UInt8] {
    let json = JSONEncoder()
    json.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array(try json.encode(self)) + [0x0A]
  }
}

extension ToolInfo {
  /// This library, as a manifest records the program that wrote a dataset.
  public static let library = ToolInfo(name: "UNetKit", version: "0.1.0")
}

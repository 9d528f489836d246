import Raster
import Shards
import WeightMap

/// An augmented dataset of volumes: ``AugmentedDataset`` in 3-D. Samples
/// hold `image.npy` (float32 `(D, H, W)`), `mask.npy` (uint8), `labels.npy`
/// (uint32), `weight.npy` (float32) and `json` (``SampleLayout/volume``);
/// the manifest records `"dimensions": 3`, the spacing, and the weight
/// map's σ with its unit (`sigma`, `sigmaUnit`) instead of `sigmaPixels`.
/// Output never depends on `jobs` or on the partitioning.
public struct VolumeAugmentedDataset: ShardedDataset {
  public let sources: VolumeSourceSet
  public let config: VolumeAugmentConfig
  public let weightMapper: WeightMapper
  public let seed: UInt64
  public let keepLabels: Bool
  public let augmenter: SampleAugmenter

  public init(
    sources: VolumeSourceSet, config: VolumeAugmentConfig = .standard, weightMapper: WeightMapper = WeightMapper(),
    seed: UInt64 = 0, keepLabels: Bool = true
  ) {
    self.sources = sources
    self.config = config
    self.weightMapper = weightMapper
    self.seed = seed
    self.keepLabels = keepLabels
    augmenter = SampleAugmenter(config: config.base, weightMapper: weightMapper, datasetClassWeights: sources.classWeights)
  }

  /// Sample `k`: its draw, from `(seed, k)` alone, applied to its source.
  public func sample(_ k: Int) -> (draw: VolumeSampleDraw, sample: AugmentedVolume) {
    let draw = config.draw(seed: seed, index: UInt64(k), sourceCount: sources.count)
    let source = sources.items[draw.sourceIndex]
    let sample = augmenter.augment(
      volume: source.image, labels: source.labels, weights: source.weights, mask: source.mask,
      parameters: draw.parameters)
    return (draw, sample)
  }

  /// Sample `k` as the entries of one WebDataset sample.
  public func shardSample(_ k: Int) throws -> ShardSample {
    let (draw, sample) = self.sample(k)
    return try SampleLayout.encode(
      key: SampleKey.key(k), volume: sample.image, mask: sample.mask, labels: keepLabels ? sample.labels : nil,
      weights: sample.weights,
      record: try SampleRecord(
        index: draw.index, parameters: draw.parameters, seed: seed, source: sources.items[draw.sourceIndex].pair,
        spacing: sources.spacing
      ).json())
  }

  /// Every generation parameter, as the manifest records them.
  public func manifestParameters(samples: Int, perShard: Int, name: String) throws -> JSONValue {
    var weightMap = try JSONValue(encoding: weightMapper.parameters)
    if case .object(var members) = weightMap {
      members["sigma"] = members.removeValue(forKey: "sigmaPixels")
      members["sigmaUnit"] = .string(sources.spacing.unit)
      weightMap = .object(members)
    }
    var parameters = try commonManifestParameters(
      config: config, seed: seed, keepLabels: keepLabels, samples: samples, perShard: perShard, name: name)
    parameters.merge(SampleLayout.manifestEntries(spacing: sources.spacing)) { $1 }
    parameters["weightMap"] = weightMap
    parameters["datasetClassWeights"] = .array([
      .double(sources.classWeights.background), .double(sources.classWeights.foreground),
    ])
    parameters["sources"] = manifestSources(sources.items.map(\.pair))
    return .object(parameters)
  }
}

import Raster
import Shards

/// The volume side of ``AugmentedDataset``: samples hold `image.npy`
/// (float32 `(D, H, W)`), `mask.npy` (uint8), `labels.npy` (uint32),
/// `weight.npy` (float32) and `json` (``SampleLayout/volume``); the
/// manifest records `"dimensions": 3`, the spacing, and the weight map's σ
/// with its unit (`sigma`, `sigmaUnit`) instead of `sigmaPixels`.
extension VolumeSourceSet: DatasetSources {
  public typealias Configuration = VolumeAugmentConfiguration
  public typealias Sample = AugmentedVolume

  public var pairs: [SourcePair] { items.map(\.pair) }

  public func augment(_ draw: VolumeSampleDraw, with augmenter: SampleAugmenter) -> AugmentedVolume {
    let source = items[draw.sourceIndex]
    return augmenter.augment(
      volume: source.image, labels: source.labels, weights: source.weights, mask: source.mask,
      values: draw.values)
  }

  public func encode(
    _ sample: AugmentedVolume, key: String, labels: Bool, record: (VoxelSpacing?) throws -> [UInt8]
  ) throws -> ShardSample {
    try SampleLayout.encode(
      key: key, volume: sample.image, mask: sample.mask, labels: labels ? sample.labels : nil,
      weights: sample.weights, record: try record(spacing))
  }

  public var layout: SampleLayout { .volume }

  public var datasetSpacing: VoxelSpacing? { spacing }
}

extension VolumeAugmentConfiguration: DatasetConfiguration {}

extension VolumeSampleDraw: DatasetDraw {}

import Raster
import Shards

/// The image side of ``AugmentedDataset``: samples in ``SampleLayout/image``.
extension SourceSet: DatasetSources {
  public typealias Configuration = AugmentConfiguration
  public typealias Sample = AugmentedSample

  public var pairs: [SourcePair] { items.map(\.pair) }

  public func augment(_ draw: SampleDraw, with augmenter: SampleAugmenter) -> AugmentedSample {
    let source = items[draw.sourceIndex]
    return augmenter.augment(
      image: source.image, labels: source.labels, weights: source.weights, mask: source.mask,
      values: draw.values)
  }

  public func encode(
    _ sample: AugmentedSample, key: String, labels: Bool, record: (VoxelSpacing?) throws -> [UInt8]
  ) throws -> ShardSample {
    try SampleLayout.encode(
      key: key, image: sample.image, mask: sample.mask, labels: labels ? sample.labels : nil, weights: sample.weights,
      record: try record(nil))
  }

  public var layout: SampleLayout { .image }

  public var datasetSpacing: VoxelSpacing? { nil }
}

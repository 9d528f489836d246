import Raster
import WeightMap
import _Support

/// One volume source of an augmented dataset: a normalised image and its instances.
public struct AugmentVolumeSource: Sendable {
  public var pair: SourcePair
  /// The image after normalisation (one set of bounds for all its voxels).
  public var image: Volume<Float>
  /// Instance ids (a binary mask split into 6- or 26-connected components).
  public var labels: LabelVolume
  /// The weight map and mask, for ``WeightSource/warp``.
  public var weights: Volume<Float>?
  public var mask: Volume<UInt8>?

  public var name: String { pair.name }
}

/// Every volume source of a dataset, read, checked and normalised, with the
/// class weights of the whole set and the voxel spacing they share.
public struct VolumeSourceSet: Sendable {
  public var items: [AugmentVolumeSource]
  public var classWeights: ClassWeights
  /// The spacing of every source.
  public var spacing: VoxelSpacing
  public var count: Int { items.count }

  /// Reads, checks and prepares every pair, `jobs` at a time, as
  /// ``SourceSet/load(_:normalization:weightMapper:warp:limits:jobs:)`` does
  /// for images: each file read as a volume (``ImageFile/readVolume(_:limits:spacing:)``,
  /// `limits` counting voxels); the image's spacing — `spacing` when given,
  /// else its file's — is given to its labels.
  ///
  /// - Throws: ``RasterError`` naming the file: unreadable or no volume,
  ///   labels of another shape than their image, or a spacing other than
  ///   the first source's (resample, or set one spacing for all).
  public static func load(
    _ pairs: [SourcePair], normalization: Normalization = .standard, weightMapper: WeightMapper = WeightMapper(),
    warp: Bool = false, limits: ReadLimits = .default, spacing: VoxelSpacing? = nil, jobs: Int = Parallel.cores
  ) throws -> VolumeSourceSet {
    let mapper = weightMapper
    let (items, classWeights) = try loadSources(
      pairs, mapper: mapper, warp: warp, jobs: jobs,
      read: { pair in
        let raw = try ImageFile.readVolume(pair.image, limits: limits, spacing: spacing)
        var labels = try ImageFile.readVolume(pair.labels, limits: limits, spacing: spacing ?? .unit)
          .labels(path: pair.labels)
        guard (raw.width, raw.height, raw.depth) == (labels.width, labels.height, labels.depth) else {
          throw RasterError(
            .unsupported, path: pair.labels,
            "is \(labels.width) x \(labels.height) x \(labels.depth) but its image \(pair.image) is "
              + "\(raw.width) x \(raw.height) x \(raw.depth) (W x H x D)")
        }
        labels.spacing = raw.spacing
        try mapper.configuration.checkIgnoreLabel(in: labels.samples, path: pair.labels)
        let instances = mapper.configuration.normalize(labels)
        let source = AugmentVolumeSource(pair: pair, image: normalization.apply(to: raw), labels: instances)
        return (source, mapper.prepare(instances))
      },
      counts: \.counts,
      weigh: { source, prepared, classWeights in
        let result = mapper.weights(for: prepared, classWeights: classWeights)
        source.weights = result.weights
        source.mask = result.mask
      })
    let first = items.first?.image.spacing ?? .unit
    for item in items where item.image.spacing != first {
      throw RasterError(
        .unsupported, path: item.pair.image,
        "has the voxel spacing \(item.image.spacing) but \(items[0].pair.image) has \(first) (Z,Y,X); "
          + "a dataset has one spacing")
    }
    return VolumeSourceSet(items: items, classWeights: classWeights, spacing: first)
  }
}

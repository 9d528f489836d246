import Raster
import WeightMap
import _Support

/// One source of an augmented dataset: a normalised image and its instances.
public struct AugmentSource: Sendable {
  /// The files it was read from.
  public var pair: SourcePair
  /// The image after normalisation.
  public var image: Image<Float>
  /// Instance ids (a binary mask already split into components).
  public var labels: LabelImage
  /// The source's weight map and mask, for ``WeightSource/warp``; nil otherwise.
  public var weights: Image<Float>?
  public var mask: Image<UInt8>?

  public var name: String { pair.name }
}

/// Every source of a dataset, read, checked and normalised, with the class
/// weights of the whole set.
public struct SourceSet: Sendable {
  public var items: [AugmentSource]
  /// The class weights `w_c` over all sources (balanced over the dataset,
  /// or as the weight-map configuration fixes them).
  public var classWeights: ClassWeights
  public var count: Int { items.count }

  public init(items: [AugmentSource], classWeights: ClassWeights) {
    self.items = items
    self.classWeights = classWeights
  }

  /// Reads, checks and prepares every pair, `jobs` at a time; the first bad
  /// file (in pair order) is the error, and nothing is kept of the others.
  ///
  /// Each image is normalised with `normalization`; its labels become
  /// instances (a binary mask: connected components with the mapper's
  /// connectivity). With `warp`, each source also gets its weight map and
  /// mask (class weights of the whole set), for ``WeightSource/warp``.
  ///
  /// - Throws: ``RasterError`` naming the file: unreadable, a stack of
  ///   several pages (read volumes with ``VolumeSourceSet``), labels that are
  ///   not integers or not of the image's size.
  public static func load(
    _ pairs: [SourcePair], normalization: Normalization = .standard, weightMapper: WeightMapper = WeightMapper(),
    warp: Bool = false, limits: ReadLimits = .default, jobs: Int = Parallel.cores
  ) throws -> SourceSet {
    let mapper = weightMapper
    let (items, classWeights) = try loadSources(
      pairs, mapper: mapper, warp: warp, jobs: jobs,
      read: { pair in
        let raw = try ImageFile.readImage(pair.image, limits: limits)
        let labels = try ImageFile.readImage(pair.labels, limits: limits).labels(path: pair.labels)
        guard raw.width == labels.width, raw.height == labels.height else {
          throw RasterError(
            .unsupported, path: pair.labels,
            "is \(labels.width) x \(labels.height) but its image \(pair.image) is \(raw.width) x \(raw.height)")
        }
        try mapper.configuration.checkIgnoreLabel(in: labels.samples, path: pair.labels)
        let instances = mapper.configuration.normalize(labels)
        let source = AugmentSource(pair: pair, image: normalization.apply(to: raw), labels: instances)
        return (source, mapper.prepare(instances))
      },
      counts: \.counts,
      weigh: { source, prepared, classWeights in
        let result = mapper.weights(for: prepared, classWeights: classWeights)
        source.weights = result.weights
        source.mask = result.mask
      })
    return SourceSet(items: items, classWeights: classWeights)
  }
}

/// The loading of ``SourceSet`` and ``VolumeSourceSet``: `read` every pair
/// in parallel (keeping the prepared labels only for `warp`), sum the class
/// counts into the set's class weights, then `weigh` each source.
func loadSources<Source: Sendable, Prepared: Sendable>(
  _ pairs: [SourcePair], mapper: WeightMapper, warp: Bool, jobs: Int,
  read: @Sendable (SourcePair) throws -> (Source, Prepared),
  counts: @Sendable (Prepared) -> ClassCounts,
  weigh: @Sendable (inout Source, Prepared, ClassWeights) -> Void
) throws -> ([Source], ClassWeights) {
  let slots = Slots<Source?>(count: pairs.count, initial: nil)
  let tallies = Slots<ClassCounts>(count: pairs.count, initial: ClassCounts())
  let prepared = Slots<Prepared?>(count: pairs.count, initial: nil)
  try Parallel.forEach(pairs.count, jobs: jobs) { i in
    let (source, p) = try read(pairs[i])
    tallies[i] = counts(p)
    if warp { prepared[i] = p }
    slots[i] = source
  }
  let classWeights = mapper.configuration.resolvedClassWeights(for: tallies.values.reduce(ClassCounts(), +))
  if warp {
    try Parallel.forEach(pairs.count, jobs: jobs) { i in
      var source = slots[i]!
      weigh(&source, prepared[i]!, classWeights)
      slots[i] = source
    }
  }
  return (slots.values.map { $0! }, classWeights)
}

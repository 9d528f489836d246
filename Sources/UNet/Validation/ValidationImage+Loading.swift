import Raster
import Shards

extension ValidationImage {
  /// The validation images of a run: each pair read, normalised like the
  /// training images (`configuration.normalization`), with its truth as
  /// `unet eval` reads it and the mask and weights that the dataset's
  /// manifest describes (separation, connectivity, w0, σ, class weights).
  /// - Throws: `FileError` for an unreadable file, a truth of another size
  ///   than its image, or an image with other channels than the network's;
  ///   `ShardError` for an unreadable manifest.
  public static func load(
    _ pairs: [SourcePair], configuration: TrainingConfiguration, limits: ReadLimits
  ) throws -> [ValidationImage] {
    let normalization = configuration.normalization ?? .standard
    let manifestPath = configuration.shards + "/" + Manifest.fileName
    let weightMap = try DatasetWeightMap(
      try Manifest.read(from: manifestPath).datasetDescription(path: manifestPath), path: manifestPath)
    return try pairs.map { pair in
      if configuration.architecture.dimensions == 3 {
        return try loadVolume(pair, configuration: configuration, weightMap: weightMap, limits: limits)
      }
      let raw = try ImageFile.readImage(pair.image, limits: limits)
      let labels = try ImageFile.readImage(pair.labels, limits: limits).labels(path: pair.labels)
      guard raw.width == labels.width, raw.height == labels.height else {
        throw FileError(
          .unsupported, path: pair.labels, "is \(labels.width) x \(labels.height) but its image is \(raw.width) x \(raw.height)")
      }
      guard raw.channels == configuration.architecture.inputChannels else {
        throw FileError(
          .unsupported, path: pair.image,
          "has \(raw.channels) channels, the network expects \(configuration.architecture.inputChannels)")
      }
      return ValidationImage(name: pair.name, image: normalization.apply(to: raw), labels: labels, weightMap: weightMap)
    }
  }

  /// A validation volume of a 3-D run, read at the run's voxel spacing.
  private static func loadVolume(
    _ pair: SourcePair, configuration: TrainingConfiguration, weightMap: DatasetWeightMap, limits: ReadLimits
  ) throws -> ValidationImage {
    let spacing = configuration.spacing ?? .unit
    let raw = try ImageFile.readVolume(pair.image, limits: limits)
    let labels = try ImageFile.readVolume(pair.labels, limits: limits, spacing: spacing).labels(path: pair.labels)
    guard (raw.width, raw.height, raw.depth) == (labels.width, labels.height, labels.depth) else {
      throw FileError(
        .unsupported, path: pair.labels,
        "is \(labels.width) x \(labels.height) x \(labels.depth) but its volume is \(raw.width) x \(raw.height) x \(raw.depth)")
    }
    var volume = (configuration.normalization ?? .standard).apply(to: raw)
    volume.spacing = spacing
    return ValidationImage(name: pair.name, volume: volume, labels: labels, weightMap: weightMap)
  }
}

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
}

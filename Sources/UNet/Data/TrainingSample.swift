import Raster
import Shards

/// One decoded training sample: image channels, class mask and pixel
/// weights, all of the same spatial extent (H, W; or D, H, W for volumes).
struct TrainingSample: Sendable {
  /// Where the sample lies in the dataset.
  var ref: TrainingStream.State.SampleRef
  /// The sample key in its shard.
  var key: String
  /// C.
  var channels: Int
  /// The spatial sizes, slowest first.
  var extent: [Int]
  /// C×extent floats, channel after channel, each row-major.
  var image: [Float]
  /// Class indices over the extent, row-major, each below the configured class count.
  var mask: [UInt8]
  /// Pixel weights over the extent, row-major.
  var weight: [Float]

  var height: Int { extent[extent.count - 2] }
  var width: Int { extent[extent.count - 1] }

  /// Decodes the fields of `sample` as ``SampleLayout`` defines them for
  /// `layout` (`image.npy`, `mask.png` or `mask.npy`, `weight.npy`; the
  /// others are ignored) and checks them for training.
  /// - Parameters:
  ///   - shard: the shard's path, named in errors.
  ///   - classes: the class count K; mask values must be in 0..<K.
  /// - Throws: `ShardError` naming the shard and entry when a field is
  ///   missing, of another type or the sizes differ; `TrainingError` when a
  ///   mask value is ≥ K or a weight is negative or not finite; `RasterError`
  ///   for a field that does not decode.
  init(
    _ sample: ShardSample, ref: TrainingStream.State.SampleRef, shard: String, classes: Int,
    layout: SampleLayout = .image
  ) throws {
    let prefix = "\(shard): sample \(sample.key)"
    self.ref = ref
    key = sample.key
    switch layout {
    case .image:
      let decoded = try SampleLayout.decodeImage(sample, shard: shard, labels: false)
      channels = decoded.image.channels
      extent = [decoded.image.height, decoded.image.width]
      image = decoded.image.planarSamples
      mask = decoded.mask.samples
      weight = decoded.weights.samples
    case .volume:
      let decoded = try SampleLayout.decodeVolume(sample, shard: shard, labels: false)
      channels = 1
      extent = [decoded.image.depth, decoded.image.height, decoded.image.width]
      image = decoded.image.flat.samples
      mask = decoded.mask.flat.samples
      weight = decoded.weights.flat.samples
    }
    let maskField = layout.maskField
    if let bad = mask.first(where: { Int($0) >= classes }) {
      throw TrainingError("\(prefix): \(maskField) has class \(bad), outside the \(classes) classes 0 to \(classes - 1)")
    }
    if let bad = weight.first(where: { !($0 >= 0 && $0.isFinite) }) {
      throw TrainingError(
        "\(prefix): \(SampleLayout.weightField) has the value \(bad); weights must be finite and non-negative")
    }
  }
}

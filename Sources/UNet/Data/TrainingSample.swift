import Raster
import Shards

/// One decoded training sample: image planes, class mask and pixel weights,
/// all of the same height H and width W.
struct TrainingSample: Sendable {
  /// Where the sample lies in the dataset.
  var ref: TrainingStream.State.SampleRef
  /// The sample key in its shard.
  var key: String
  /// C, H, W.
  var channels: Int
  var height: Int
  var width: Int
  /// C×H×W floats, plane after plane, each row-major.
  var image: [Float]
  /// H×W class indices, row-major, each below the configured class count.
  var mask: [UInt8]
  /// H×W pixel weights, row-major.
  var weight: [Float]

  /// Decodes the 2-D fields of `sample` as ``SampleLayout`` defines them
  /// (`image.npy`, `mask.png`, `weight.npy`; the others are ignored) and
  /// checks them for training.
  /// - Parameters:
  ///   - shard: the shard's path, named in errors.
  ///   - classes: the class count K; mask values must be in 0..<K.
  /// - Throws: `ShardError` naming the shard and entry when a field is
  ///   missing, of another type or the sizes differ; `TrainingError` when a
  ///   mask value is ≥ K or a weight is negative or not finite; `RasterError`
  ///   for a field that does not decode.
  init(_ sample: ShardSample, ref: TrainingStream.State.SampleRef, shard: String, classes: Int) throws {
    let prefix = "\(shard): sample \(sample.key)"
    let decoded = try SampleLayout.decodeImage(sample, shard: shard, labels: false)
    let mask = SampleLayout.image.maskField
    if let bad = decoded.mask.samples.first(where: { Int($0) >= classes }) {
      throw TrainingError("\(prefix): \(mask) has class \(bad), outside the \(classes) classes 0 to \(classes - 1)")
    }
    if let bad = decoded.weights.samples.first(where: { !($0 >= 0 && $0.isFinite) }) {
      throw TrainingError(
        "\(prefix): \(SampleLayout.weightField) has the value \(bad); weights must be finite and non-negative")
    }
    self.ref = ref
    key = sample.key
    channels = decoded.image.channels
    (height, width) = (decoded.image.height, decoded.image.width)
    image = decoded.image.planarSamples
    self.mask = decoded.mask.samples
    self.weight = decoded.weights.samples
  }
}

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

  /// Decodes the fields `image.npy`, `mask.png` and `weight.npy` of `sample`
  /// (other fields are ignored) and checks them.
  /// - Parameters:
  ///   - shard: the shard's path, named in errors.
  ///   - classes: the class count K; mask values must be in 0..<K.
  /// - Throws: `TrainingError` naming the shard and sample when a field is
  ///   missing or empty, the sizes differ, a mask value is ≥ K or a weight is negative
  ///   or not finite; `RasterError` for a field that does not decode.
  init(_ sample: ShardSample, ref: TrainingStream.State.SampleRef, shard: String, classes: Int) throws {
    let prefix = "\(shard): sample \(sample.key)"
    func field(_ name: String) throws -> (bytes: [UInt8], name: String) {
      guard let bytes = sample[field: name] else {
        throw TrainingError("\(prefix) has no \(name); write the dataset with unet augment, which stores it")
      }
      return (bytes, "\(shard): entry \"\(sample.key).\(name)\"")
    }

    let imageField = try field("image.npy")
    let planes = try PlanarNPY.decode(imageField.bytes, name: imageField.name)

    let maskField = try field("mask.png")
    guard case .uint8(let mask) = try ImageFile.decoded(maskField.bytes, as: .png, name: maskField.name),
      mask.channels == 1
    else { throw TrainingError("\(maskField.name): expected an 8-bit gray PNG of class indices") }

    let weightField = try field("weight.npy")
    guard case .float32(let weight) = try ImageFile.decoded(weightField.bytes, as: .npy, name: weightField.name),
      weight.channels == 1
    else { throw TrainingError("\(weightField.name): expected float32 of shape (H, W)") }

    let size = (planes.height, planes.width)
    guard planes.height > 0, planes.width > 0 else { throw TrainingError("\(imageField.name): the image is empty") }
    for (name, other) in [("mask.png", (mask.height, mask.width)), ("weight.npy", (weight.height, weight.width))]
    where other != size {
      throw TrainingError(
        "\(prefix): \(name) is \(other.1) x \(other.0) but image.npy is \(size.1) x \(size.0) (width x height)")
    }
    if let bad = mask.samples.first(where: { Int($0) >= classes }) {
      throw TrainingError("\(prefix): mask.png has class \(bad), outside the \(classes) classes 0 to \(classes - 1)")
    }
    if let bad = weight.samples.first(where: { !($0 >= 0 && $0.isFinite) }) {
      throw TrainingError("\(prefix): weight.npy has the value \(bad); weights must be finite and non-negative")
    }

    self.ref = ref
    key = sample.key
    channels = planes.channels
    (height, width) = size
    image = planes.planes
    self.mask = mask.samples
    self.weight = weight.samples
  }
}

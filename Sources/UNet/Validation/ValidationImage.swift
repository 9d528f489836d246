import Raster

/// An image held out for validation: normalised like the training images,
/// with the instances it is scored against and the mask and weights its
/// loss uses.
public struct ValidationImage: Sendable {
  public var name: String
  /// H×W×C, normalised as the dataset's images were; a volume's slices
  /// stacked into one W × (H·D) image of one channel (see `depth`).
  public var image: Image<Float>
  /// A volume's slices (and spacing): `image`, `truth`, `classes` and
  /// `weights` then hold them stacked; nil for an image.
  public var volume: (depth: Int, spacing: VoxelSpacing)?
  /// The true instances as `unet eval` reads the label image
  /// (``SegmentationMetrics/instances(of:)``): what the pixel and Rand
  /// errors are computed against.
  public var truth: LabelImage
  /// H×W class indices, as the training masks are made (after separation).
  public var classes: [Int32]
  /// H×W pixel weights, as the training weight maps are made.
  public var weights: [Float]

  public init(name: String, image: Image<Float>, truth: LabelImage, classes: [Int32], weights: [Float]) {
    precondition(
      truth.width == image.width && truth.height == image.height && classes.count == image.pixelCount
        && weights.count == image.pixelCount,
      "\(name): truth, classes or weights do not cover the \(image.width)x\(image.height) image")
    self.name = name
    self.image = image
    self.truth = truth
    self.classes = classes
    self.weights = weights
  }

  /// A validation volume from its normalised volume and its label volume:
  /// the truth as `unet eval --volume` reads it, the mask and weights as
  /// the dataset's were made.
  public init(name: String, volume: Volume<Float>, labels: LabelVolume, weightMap: DatasetWeightMap) {
    let made = weightMap.maskAndWeights(labels)
    self.init(
      name: name, image: volume.flat, truth: SegmentationMetrics.instances(of: labels).flat,
      classes: made.mask.samples.map(Int32.init), weights: made.weights.samples)
    self.volume = (volume.depth, volume.spacing)
  }

  /// A validation image from its normalised image and its label image: the
  /// truth as `unet eval` reads it, the mask and weights as the dataset's
  /// were made.
  public init(name: String, image: Image<Float>, labels: LabelImage, weightMap: DatasetWeightMap) {
    let made = weightMap.maskAndWeights(labels)
    self.init(
      name: name, image: image, truth: SegmentationMetrics.instances(of: labels),
      classes: made.mask.samples.map(Int32.init), weights: made.weights.samples)
  }
}

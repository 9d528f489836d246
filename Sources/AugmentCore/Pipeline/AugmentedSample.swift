import RasterCore

/// One augmented sample: every array the same size as the source.
public struct AugmentedSample: Sendable, Equatable {
  /// The normalised image, resampled and gray-value varied; float32, the
  /// source's channels.
  public let image: Image<Float>
  /// The source's instance labels, resampled by nearest neighbour (so every
  /// id is a source id, or 0 outside the image with a constant border).
  public let labels: LabelImage
  /// The class of each pixel, 0 background, 1 foreground: that of the
  /// warped labels after the weight mapper's normalisation and separation
  /// (or the source mask, resampled, when one is given with warped weights).
  public let mask: Image<UInt8>
  /// The weight map (recomputed or warped, see ``WeightSource``).
  public let weights: Image<Float>

  public init(image: Image<Float>, labels: LabelImage, mask: Image<UInt8>, weights: Image<Float>) {
    self.image = image
    self.labels = labels
    self.mask = mask
    self.weights = weights
  }
}

import Raster

extension SegmentationMetrics {
  /// The instances a label volume stands for in scoring: its ids when it
  /// holds two or more distinct non-zero values, else the 6-connected
  /// components of its non-zero voxels (a mask), as
  /// ``instances(of:)-(LabelImage)`` reads an image.
  ///
  /// - Complexity: O(width × height × depth).
  public static func instances(of labels: LabelVolume) -> LabelVolume {
    holdsInstances(labels.samples) ? labels : ConnectedComponents.label(labels, connectivity: .four)
  }
}

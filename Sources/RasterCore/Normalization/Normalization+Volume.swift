extension Normalization {
  /// The volume normalised to float32 (one channel: the bounds of all its voxels).
  public func apply(to volume: AnyVolume) -> Volume<Float> {
    Volume(flat: apply(to: volume.flat), depth: volume.depth, spacing: volume.spacing)
  }
}

import RasterCore

extension WeightPreview {
  /// A picture of a volume's weight map: three orthogonal slices through
  /// the volume's centre, as Fiji's orthogonal views lay them out — the xy
  /// slice at the middle z, the zy slice at the middle x to its right, and
  /// the xz slice at the middle y below it — each as ``render(weights:instances:)``
  /// draws a 2-D map (one colour scale for all three, instance outlines in
  /// the slice's plane), with 4 white pixels between them. The z axis is
  /// stretched by `round(sz / sx)` (at least 1), so that anisotropic
  /// voxels look about as long as they are.
  ///
  /// - Returns: an 8-bit RGB image of `W + 4 + k·D` × `H + 4 + k·D` pixels,
  ///   `k` the z stretch.
  public static func render(weights: Volume<Float>, instances: LabelVolume) -> Image<UInt8> {
    precondition(
      weights.width == instances.width && weights.height == instances.height && weights.depth == instances.depth,
      "WeightPreview: weights and instances of different sizes")
    let (x, y, z) = (weights.width / 2, weights.height / 2, weights.depth / 2)
    let k = weights.zStretch
    let range = (weights.samples.min() ?? 0, weights.samples.max() ?? 1)
    let w = weights.orthogonalSlices(x: x, y: y, z: z, zStretch: k)
    let i = instances.orthogonalSlices(x: x, y: y, z: z, zStretch: k)
    return Image.orthogonalLayout(
      xy: render(weights: w.xy, instances: i.xy, range: range), zy: render(weights: w.zy, instances: i.zy, range: range),
      xz: render(weights: w.xz, instances: i.xz, range: range), fill: 255)
  }
}

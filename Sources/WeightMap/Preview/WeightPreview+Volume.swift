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
    let (w, h, d) = (weights.width, weights.height, weights.depth)
    let k = Swift.max(1, Int((weights.spacing.z / weights.spacing.x).rounded()))
    let range = (weights.samples.min() ?? 0, weights.samples.max() ?? 1)
    /// The plane of `(u, v)` ↦ voxel, `v` stretched when it is z.
    func plane<S: PixelSample>(_ v: Volume<S>, _ width: Int, _ height: Int, _ at: (Int, Int) -> (Int, Int, Int)) -> Image<S> {
      var out = Image<S>(width: width, height: height)
      for row in 0..<height {
        for col in 0..<width {
          let (x, y, z) = at(col, row)
          out[col, row] = v[x, y, z]
        }
      }
      return out
    }
    func panel(_ width: Int, _ height: Int, _ at: @escaping (Int, Int) -> (Int, Int, Int)) -> Image<UInt8> {
      render(weights: plane(weights, width, height, at), instances: plane(instances, width, height, at), range: range)
    }
    let xy = panel(w, h) { ($0, $1, d / 2) }
    let zy = panel(k * d, h) { (w / 2, $1, $0 / k) }
    let xz = panel(w, k * d) { ($0, h / 2, $1 / k) }
    let gap = 4
    var out = Image<UInt8>(width: w + gap + k * d, height: h + gap + k * d, channels: 3, repeating: 255)
    for (panel, left, top) in [(xy, 0, 0), (zy, w + gap, 0), (xz, 0, h + gap)] {
      for y in 0..<panel.height {
        for x in 0..<panel.width {
          for c in 0..<3 { out[left + x, top + y, c] = panel[x, y, c] }
        }
      }
    }
    return out
  }
}

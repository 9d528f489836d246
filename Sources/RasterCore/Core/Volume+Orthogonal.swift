extension Volume {
  /// The three orthogonal slices through the voxel `(x, y, z)`, as Fiji's
  /// orthogonal views show them: the xy slice at `z` (W × H), the zy slice
  /// at `x` (z across, D·k × H) and the xz slice at `y` (z down, W × D·k),
  /// each z step repeated `zStretch` = k times so that anisotropic voxels
  /// look about as long as they are.
  ///
  /// - Precondition: the voxel lies inside the volume and `zStretch ≥ 1`.
  public func orthogonalSlices(x: Int, y: Int, z: Int, zStretch k: Int = 1) -> (xy: Image<Sample>, zy: Image<Sample>, xz: Image<Sample>) {
    precondition(
      (0..<width).contains(x) && (0..<height).contains(y) && (0..<depth).contains(z) && k >= 1,
      "orthogonalSlices: voxel (\(x), \(y), \(z)) outside \(width) x \(height) x \(depth), or stretch \(k)")
    func plane(_ w: Int, _ h: Int, _ at: (Int, Int) -> (Int, Int, Int)) -> Image<Sample> {
      var out = Image<Sample>(width: w, height: h)
      for row in 0..<h {
        for col in 0..<w {
          let (vx, vy, vz) = at(col, row)
          out[col, row] = self[vx, vy, vz]
        }
      }
      return out
    }
    return (
      slice(z), plane(k * depth, height) { (x, $1, $0 / k) }, plane(width, k * depth) { ($0, y, $1 / k) }
    )
  }

  /// The z stretch that makes voxels of this spacing look about as long as
  /// they are: `round(z / x)`, at least 1.
  public var zStretch: Int { Swift.max(1, Int((spacing.z / spacing.x).rounded())) }
}

extension Image {
  /// Orthogonal views in Fiji's layout: `xy` top left, `zy` to its right,
  /// `xz` below it, `gap` samples of `fill` between and around them.
  ///
  /// - Precondition: the three have the same channels, `zy` the height of
  ///   `xy` and `xz` its width.
  public static func orthogonalLayout(
    xy: Image, zy: Image, xz: Image, gap: Int = 4, fill: Sample
  ) -> Image {
    precondition(
      zy.height == xy.height && xz.width == xy.width && zy.channels == xy.channels && xz.channels == xy.channels,
      "orthogonalLayout: slices that do not fit together")
    var out = Image(
      width: xy.width + gap + zy.width, height: xy.height + gap + xz.height, channels: xy.channels, repeating: fill)
    for (panel, left, top) in [(xy, 0, 0), (zy, xy.width + gap, 0), (xz, 0, xy.height + gap)] {
      for y in 0..<panel.height {
        for x in 0..<panel.width {
          for c in 0..<panel.channels { out[left + x, top + y, c] = panel[x, y, c] }
        }
      }
    }
    return out
  }
}

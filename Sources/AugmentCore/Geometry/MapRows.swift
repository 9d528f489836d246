/// Generates the rows of a ``SamplingMap`` from drawn values: the
/// affine coefficients and the per-column terms once, then per row the
/// elastic field (``ElasticFieldEvaluator``) plus the affine part.
struct MapRows {
  let width: Int
  let height: Int
  private let affine: AffineCoefficients
  private let a00: Float
  private let a10: Float
  /// `Float(x − c_x − t_x)` per column.
  private let qx: [Float]
  private let field: ElasticFieldEvaluator?

  init(values p: DrawnValues, width: Int, height: Int) {
    precondition(width >= 0 && height >= 0, "SamplingMap: negative size \(width)x\(height)")
    precondition(p.scale > 0 && p.scale.isFinite, "SamplingMap: scale must be finite and > 0, got \(p.scale)")
    precondition(
      p.rotationDegrees.isFinite && p.shiftX.isFinite && p.shiftY.isFinite,
      "SamplingMap: non-finite rotation or shift")
    self.width = width
    self.height = height
    affine = AffineCoefficients(p, width: width, height: height)
    a00 = Float(affine.a00)
    a10 = Float(affine.a10)
    let (cx, tx) = (affine.cx, affine.tx)
    qx = (0..<width).map { Float(Double($0) - cx - tx) }
    field = p.grid.isZero ? nil : ElasticFieldEvaluator(grid: p.grid, width: width, height: height)
  }

  /// Writes row `y`'s source positions into `xs`, `ys` (`width` values each):
  /// `(Float(c_x + a₀₁·q_y) + a₀₀·q_x) + d_x`, clamped to ±limit (rows alike).
  func row(_ y: Int, xs: UnsafeMutableBufferPointer<Float>, ys: UnsafeMutableBufferPointer<Float>) {
    let a = affine
    let qy = Double(y) - a.cy - a.ty
    let baseX = Float(a.cx + a.a01 * qy)
    let baseY = Float(a.cy + a.a11 * qy)
    let limit = SamplingMap.coordinateLimit
    let a00 = self.a00
    let a10 = self.a10
    qx.withUnsafeBufferPointer { qx in
      if let field {
        field.row(y, dx: xs, dy: ys)
        for x in 0..<width {
          let sx = baseX + a00 * qx[x] + xs[x]
          let sy = baseY + a10 * qx[x] + ys[x]
          xs[x] = min(max(sx, -limit), limit)
          ys[x] = min(max(sy, -limit), limit)
        }
      } else {
        for x in 0..<width {
          let sx = baseX + a00 * qx[x]
          let sy = baseY + a10 * qx[x]
          xs[x] = min(max(sx, -limit), limit)
          ys[x] = min(max(sy, -limit), limit)
        }
      }
    }
  }
}

/// Evaluates the bicubic interpolation of a ``DisplacementGrid`` row by row,
/// separably: for row `y`, first the grid's columns are interpolated to `y`
/// (`R_i = Σ_j w_j(y)·D_ij`, a few values), then each pixel of the row is
/// `Σ_m w_m(x)·R_{first(x)+m}` — 4 multiply-adds per component, in runs of
/// pixels that share their nodes (a vectorisable loop with no gathers).
struct ElasticFieldEvaluator {
  let size: Int
  let width: Int
  let gridX: [Double]
  let gridY: [Double]
  let rows: GridAxisWeights
  let columnRuns: [(first: Int, pixels: Range<Int>)]
  /// Column weights in Float: `columnWeights[m][x]`, m = 0..<4.
  let columnWeights: [[Float]]

  init(grid: DisplacementGrid, width: Int, height: Int) {
    size = grid.size
    self.width = width
    gridX = grid.x
    gridY = grid.y
    rows = GridAxisWeights(nodes: grid.size, length: height)
    let columns = GridAxisWeights(nodes: grid.size, length: width)
    columnRuns = columns.runs
    columnWeights = (0..<4).map { m in (0..<width).map { Float(columns.weights[$0 * 4 + m]) } }
  }

  /// Writes row `y`'s displacements into `dx`, `dy` (`width` values each).
  func row(_ y: Int, dx: UnsafeMutableBufferPointer<Float>, dy: UnsafeMutableBufferPointer<Float>) {
    let g = size
    // R_i for the nodes i of this row's columns: the grid interpolated to y.
    var rx = (Float(0), Float(0), Float(0), Float(0))
    var ry = (Float(0), Float(0), Float(0), Float(0))
    let firstRow = rows.first[y]
    let w = rows.weights
    for run in columnRuns {
      func interpolated(_ grid: [Double], _ i: Int) -> Float {
        guard i < g else { return 0 }
        var v = 0.0
        for m in 0..<min(4, g - firstRow) { v += w[y * 4 + m] * grid[(firstRow + m) * g + i] }
        return Float(v)
      }
      let i = run.first
      rx = (
        interpolated(gridX, i), interpolated(gridX, i + 1), interpolated(gridX, i + 2),
        interpolated(gridX, i + 3)
      )
      ry = (
        interpolated(gridY, i), interpolated(gridY, i + 1), interpolated(gridY, i + 2),
        interpolated(gridY, i + 3)
      )
      columnWeights[0].withUnsafeBufferPointer { w0 in
        columnWeights[1].withUnsafeBufferPointer { w1 in
          columnWeights[2].withUnsafeBufferPointer { w2 in
            columnWeights[3].withUnsafeBufferPointer { w3 in
              for x in run.pixels {
                dx[x] = w0[x] * rx.0 + w1[x] * rx.1 + w2[x] * rx.2 + w3[x] * rx.3
                dy[x] = w0[x] * ry.0 + w1[x] * ry.1 + w2[x] * ry.2 + w3[x] * ry.3
              }
            }
          }
        }
      }
    }
  }
}

extension DisplacementGrid {
  /// The per-pixel displacement field of a `width × height` image: the
  /// bicubic (Keys `a = −0.5`, Catmull-Rom) interpolation of the grid, with
  /// Keys' boundary condition beyond the grid's ends (see ``DisplacementGrid``
  /// for where the control points sit). Row-major, in pixels, Float.
  ///
  /// ``SamplingMap/init(parameters:width:height:)`` adds exactly these
  /// values to the affine part.
  public func field(width: Int, height: Int) -> (x: [Float], y: [Float]) {
    var fx = [Float](repeating: 0, count: width * height)
    var fy = [Float](repeating: 0, count: width * height)
    let evaluator = ElasticFieldEvaluator(grid: self, width: width, height: height)
    fx.withUnsafeMutableBufferPointer { fx in
      fy.withUnsafeMutableBufferPointer { fy in
        for y in 0..<height {
          evaluator.row(
            y, dx: UnsafeMutableBufferPointer(rebasing: fx[(y * width)..<((y + 1) * width)]),
            dy: UnsafeMutableBufferPointer(rebasing: fy[(y * width)..<((y + 1) * width)]))
        }
      }
    }
    return (fx, fy)
  }
}

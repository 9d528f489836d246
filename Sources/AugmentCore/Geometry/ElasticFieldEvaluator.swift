/// Evaluates the bicubic interpolation of a ``DisplacementGrid`` row by row,
/// separably: for row `y`, first the grid's columns are interpolated to `y`
/// (`R_i = Σ_j w_j(y)·D_ij`, a few values), then each pixel of the row is
/// `Σ_m w_m(x)·R_{first(x)+m}` — 4 multiply-adds per component, in runs of
/// pixels that share their nodes (a vectorisable loop with no gathers).
struct ElasticFieldEvaluator {
  let size: Int
  let width: Int
  /// The grid's components (x, y, and z in a volume), each `size²` values
  /// row-major.
  let components: [[Double]]
  let rows: GridAxisWeights
  let columnRuns: [(first: Int, pixels: Range<Int>)]
  /// Column weights in Float: `columnWeights[m][x]`, m = 0..<4.
  let columnWeights: [[Float]]

  init(grid: DisplacementGrid, width: Int, height: Int) {
    self.init(size: grid.size, components: [grid.x, grid.y], width: width, height: height)
  }

  /// An evaluator of `size × size` node values per component.
  init(size: Int, components: [[Double]], width: Int, height: Int) {
    self.size = size
    self.width = width
    self.components = components
    rows = GridAxisWeights(nodes: size, length: height)
    let columns = GridAxisWeights(nodes: size, length: width)
    columnRuns = columns.runs
    columnWeights = (0..<4).map { m in (0..<width).map { Float(columns.weights[$0 * 4 + m]) } }
  }

  /// Writes row `y`'s displacements into `dx`, `dy` (`width` values each).
  func row(_ y: Int, dx: UnsafeMutableBufferPointer<Float>, dy: UnsafeMutableBufferPointer<Float>) {
    row(y, component: 0, into: dx)
    row(y, component: 1, into: dy)
  }

  /// Writes row `y` of component `c` into `out` (`width` values).
  func row(_ y: Int, component c: Int, into out: UnsafeMutableBufferPointer<Float>) {
    let g = size
    let grid = components[c]
    // R_i for the nodes i of this row's columns: the grid interpolated to y.
    let firstRow = rows.first[y]
    let w = rows.weights
    func interpolated(_ i: Int) -> Float {
      guard i < g else { return 0 }
      var v = 0.0
      for m in 0..<min(4, g - firstRow) { v += w[y * 4 + m] * grid[(firstRow + m) * g + i] }
      return Float(v)
    }
    for run in columnRuns {
      let i = run.first
      let r = (interpolated(i), interpolated(i + 1), interpolated(i + 2), interpolated(i + 3))
      columnWeights[0].withUnsafeBufferPointer { w0 in
        columnWeights[1].withUnsafeBufferPointer { w1 in
          columnWeights[2].withUnsafeBufferPointer { w2 in
            columnWeights[3].withUnsafeBufferPointer { w3 in
              for x in run.pixels {
                out[x] = w0[x] * r.0 + w1[x] * r.1 + w2[x] * r.2 + w3[x] * r.3
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
  /// ``SamplingMap/init(values:width:height:)`` adds exactly these
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

import Augment
import Raster
import Testing

@Suite("Elastic field")
struct ElasticFieldTests {
  /// The fast field (separable, Float) against the reference (per pixel,
  /// Double, kernel from its definition, extended nodes written out).
  /// Tolerance 1e-4 px: displacements here are ≤ 50 px, and the fast code
  /// rounds weights and row sums to Float (relative 6e-8 each, a few terms).
  @Test(arguments: [
    (2, 9, 7), (3, 64, 48), (3, 37, 23), (3, 5, 5), (4, 50, 31), (5, 101, 17), (7, 30, 30), (3, 1, 9),
    (3, 8, 1), (3, 2, 2),
  ])
  func fieldMatchesReference(size: Int, width: Int, height: Int) {
    var rng = SplitMix64(seed: UInt64(size * 1000 + width * 7 + height))
    let n = size * size
    let grid = DisplacementGrid(
      size: size, x: (0..<n).map { _ in 10 * rng.gaussian() }, y: (0..<n).map { _ in 10 * rng.gaussian() })
    let fast = grid.field(width: width, height: height)
    let slow = Reference.field(grid, width: width, height: height)
    var worst = 0.0
    for i in 0..<(width * height) {
      worst = max(worst, abs(Double(fast.x[i]) - slow.x[i]), abs(Double(fast.y[i]) - slow.y[i]))
    }
    #expect(worst <= 1e-4, "grid \(size), \(width)x\(height): worst error \(worst) px")
  }

  /// The field interpolates: at a control point that falls on a pixel it
  /// equals the control point's displacement (within Float rounding).
  @Test func fieldInterpolatesControlPoints() {
    // 3×3 on a 65×33 image: control points at x = 0, 32, 64 and y = 0, 16, 32.
    let grid = DisplacementGrid(
      size: 3, x: [1, -2, 3, 4, -5, 6, 7, 8, -9], y: [-1, 2, -3, -4, 5, -6, -7, -8, 9])
    let f = grid.field(width: 65, height: 33)
    for j in 0..<3 {
      for i in 0..<3 {
        let p = (j * 16) * 65 + i * 32
        #expect(abs(Double(f.x[p]) - grid.x[j * 3 + i]) <= 1e-5)
        #expect(abs(Double(f.y[p]) - grid.y[j * 3 + i]) <= 1e-5)
      }
    }
  }

  /// A constant grid gives a constant field, and a linear grid a linear
  /// field (Keys' boundary condition reproduces polynomials up to degree 2).
  @Test func fieldReproducesConstantAndLinear() {
    let size = 4
    var xs: [Double] = []
    var ys: [Double] = []
    for j in 0..<size {
      for i in 0..<size {
        xs.append(2.5)
        ys.append(1 + 3 * Double(i) - 2 * Double(j))
      }
    }
    let grid = DisplacementGrid(size: size, x: xs, y: ys)
    let (w, h) = (40, 25)
    let f = grid.field(width: w, height: h)
    for y in 0..<h {
      for x in 0..<w {
        let u = Double(x) * 3 / Double(w - 1)
        let v = Double(y) * 3 / Double(h - 1)
        #expect(abs(Double(f.x[y * w + x]) - 2.5) <= 1e-5)
        #expect(abs(Double(f.y[y * w + x]) - (1 + 3 * u - 2 * v)) <= 1e-4)
      }
    }
  }

  /// The sampling map's elastic part is exactly the field added to the
  /// (identity) affine part: map.x = Float(x) + field.x, bit for bit.
  @Test func mapAddsTheField() {
    var rng = SplitMix64(seed: 5)
    let grid = DisplacementGrid(
      size: 3, x: (0..<9).map { _ in 10 * rng.gaussian() }, y: (0..<9).map { _ in 10 * rng.gaussian() })
    let (w, h) = (33, 20)
    let map = SamplingMap(values: DrawnValues(grid: grid), width: w, height: h)
    let f = grid.field(width: w, height: h)
    for y in 0..<h {
      for x in 0..<w {
        #expect(map.x[y * w + x] == Float(x) + f.x[y * w + x])
        #expect(map.y[y * w + x] == Float(y) + f.y[y * w + x])
      }
    }
  }

  /// With rotation, flips, shift and scale, the map matches the documented
  /// formula evaluated in Double (plus the field), within Float rounding of
  /// coordinates below 200 px (≤ 2e-4 px).
  @Test func mapMatchesFormula() {
    var rng = SplitMix64(seed: 6)
    for trial in 0..<20 {
      let (w, h) = (20 + trial * 3, 31 - trial)
      let grid = DisplacementGrid(
        size: 3, x: (0..<9).map { _ in 5 * rng.gaussian() }, y: (0..<9).map { _ in 5 * rng.gaussian() })
      let p = DrawnValues(
        grid: grid, rotationDegrees: rng.uniform(-180, 180), shiftX: rng.uniform(-5, 5),
        shiftY: rng.uniform(-5, 5), flipHorizontal: trial % 2 == 0, flipVertical: trial % 3 == 0,
        scale: rng.uniform(0.7, 1.4))
      let map = SamplingMap(values: p, width: w, height: h)
      let f = Reference.field(grid, width: w, height: h)
      for y in 0..<h {
        for x in 0..<w {
          let (sx, sy) = Reference.affineSource(p, x: x, y: y, width: w, height: h)
          #expect(abs(Double(map.x[y * w + x]) - (sx + f.x[y * w + x])) <= 2e-4)
          #expect(abs(Double(map.y[y * w + x]) - (sy + f.y[y * w + x])) <= 2e-4)
        }
      }
    }
  }
}

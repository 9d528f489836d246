#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// For each output pixel, the source position it reads: all geometric parts
/// of an augmentation (elastic field, flips, rotation, scale, shift)
/// composed into one map, so that every array of a sample is resampled
/// once, from the source.
///
/// Layout: row-major; output pixel `(x, y)` reads source position
/// `(x[y·width + x], y[y·width + x])`, in pixel units with pixel centres at
/// integers (column, row). Positions are clamped to ±``coordinateLimit``.
public struct SamplingMap: Sendable, Equatable {
  /// Output (and source) width in pixels.
  public let width: Int
  /// Output (and source) height in pixels.
  public let height: Int
  /// Source column of each output pixel, row-major.
  public let x: [Float]
  /// Source row of each output pixel, row-major.
  public let y: [Float]

  /// The largest source coordinate magnitude a map holds, 2²²: far outside
  /// any image, small enough for exact integer conversion.
  public static let coordinateLimit: Float = 4_194_304

  /// Wraps given source positions: `width·height` finite values each, of
  /// magnitude ≤ ``coordinateLimit``.
  public init(width: Int, height: Int, x: [Float], y: [Float]) {
    precondition(width >= 0 && height >= 0, "SamplingMap: negative size \(width)x\(height)")
    precondition(
      x.count == width * height && y.count == width * height,
      "SamplingMap: \(x.count) x and \(y.count) y values for \(width)x\(height)")
    let limit = Self.coordinateLimit
    precondition(
      x.allSatisfy { abs($0) <= limit } && y.allSatisfy { abs($0) <= limit },
      "SamplingMap: coordinates must be finite and within ±\(limit)")
    self.width = width
    self.height = height
    self.x = x
    self.y = y
  }

  /// The map that reads every pixel from itself.
  public static func identity(width: Int, height: Int) -> SamplingMap {
    SamplingMap(values: .identity, width: width, height: height)
  }

  /// The map of drawn values for a `width × height` image (see
  /// ``DrawnValues`` for the formula; the elastic field is
  /// ``DisplacementGrid/field(width:height:)``).
  ///
  /// Exactness: the affine part is evaluated as
  /// `Float(c_x + a₀₁·q_y) + Float(a₀₀)·Float(x − c_x − t_x)` (rows alike),
  /// with `cos θ`, `sin θ` taken exactly 0 and ±1 at multiples of 90°. So
  /// identity values, integer shifts, flips and — on square images —
  /// rotations by multiples of 90° (with `s = 1`, no elastic part) give
  /// exactly integral positions, and the resamplers then copy samples
  /// exactly.
  ///
  /// - Precondition: `scale > 0`; all values finite.
  /// - Complexity: O(width × height), about 4 multiply-adds per coordinate
  ///   for the elastic field plus 2 for the affine part; vectorisable loops.
  public init(values: DrawnValues, width: Int, height: Int) {
    let rows = MapRows(values: values, width: width, height: height)
    var mx = [Float](repeating: 0, count: width * height)
    var my = [Float](repeating: 0, count: width * height)
    mx.withUnsafeMutableBufferPointer { mx in
      my.withUnsafeMutableBufferPointer { my in
        for y in 0..<height {
          let r = (y * width)..<((y + 1) * width)
          rows.row(
            y, xs: UnsafeMutableBufferPointer(rebasing: mx[r]),
            ys: UnsafeMutableBufferPointer(rebasing: my[r]))
        }
      }
    }
    self.width = width
    self.height = height
    self.x = mx
    self.y = my
  }
}

/// `source = c + M·(p − c − t)` with `M = F·R(−θ)/s`, in Double.
struct AffineCoefficients {
  var a00: Double, a01: Double, a10: Double, a11: Double
  var cx: Double, cy: Double, tx: Double, ty: Double

  init(_ p: DrawnValues, width: Int, height: Int) {
    let (c, s) = Self.cosSin(degrees: p.rotationDegrees)
    let fx: Double = p.flipHorizontal ? -1 : 1
    let fy: Double = p.flipVertical ? -1 : 1
    // R(−θ) = [c, s; −s, c]; rows scaled by the flips, all by 1/scale.
    a00 = fx * c / p.scale
    a01 = fx * s / p.scale
    a10 = -fy * s / p.scale
    a11 = fy * c / p.scale
    cx = Double(max(width - 1, 0)) / 2
    cy = Double(max(height - 1, 0)) / 2
    tx = p.shiftX
    ty = p.shiftY
  }

  /// cos and sin of an angle in degrees, exact (0, ±1) at multiples of 90°:
  /// the angle is reduced to `90°·k + r`, `|r| ≤ 45°`, and `(cos r, sin r)`
  /// rotated by `k` quarter turns.
  static func cosSin(degrees: Double) -> (cos: Double, sin: Double) {
    let k = (degrees / 90).rounded()
    let r = (degrees - 90 * k) * (Double.pi / 180)
    let c = cos(r)
    let s = sin(r)
    var quarter = Int(k.truncatingRemainder(dividingBy: 4))
    if quarter < 0 { quarter += 4 }
    switch quarter {
    case 0: return (c, s)
    case 1: return (-s, c)
    case 2: return (-c, -s)
    default: return (s, -c)
    }
  }
}

/// The elastic deformation's control grid: one displacement vector, in
/// pixels, per control point of a `size × size` grid.
///
/// Control point `(i, j)` (column `i`, row `j`, both `0..<size`) sits at
/// pixel coordinate `(i·(W−1)/(size−1), j·(H−1)/(size−1))` of a `W × H`
/// image — on the corners, edge midpoints and centre for `size = 3`. Its
/// displacement is `(x[j·size + i], y[j·size + i])`. ``field(width:height:)``
/// interpolates the grid to every pixel.
public struct DisplacementGrid: Sendable, Equatable, Hashable, Codable {
  /// Control points per axis, ≥ 2.
  public let size: Int
  /// x components (columns), row-major: index `j·size + i`.
  public let x: [Double]
  /// y components (rows), row-major: index `j·size + i`.
  public let y: [Double]

  /// A grid with the given displacements; both arrays hold `size²` finite values.
  public init(size: Int, x: [Double], y: [Double]) {
    precondition(size >= 2, "DisplacementGrid: size must be >= 2, got \(size)")
    precondition(
      x.count == size * size && y.count == size * size,
      "DisplacementGrid: \(x.count) x and \(y.count) y values for a \(size)x\(size) grid")
    precondition(
      x.allSatisfy(\.isFinite) && y.allSatisfy(\.isFinite), "DisplacementGrid: non-finite displacement")
    self.size = size
    self.x = x
    self.y = y
  }

  /// The grid of zero displacements.
  public static func zero(size: Int = 3) -> DisplacementGrid {
    DisplacementGrid(
      size: size, x: [Double](repeating: 0, count: size * size),
      y: [Double](repeating: 0, count: size * size))
  }

  /// True when every displacement is 0.
  public var isZero: Bool { x.allSatisfy { $0 == 0 } && y.allSatisfy { $0 == 0 } }

  private enum CodingKeys: String, CodingKey { case size, x, y }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let size = try c.decode(Int.self, forKey: .size)
    let x = try c.decode([Double].self, forKey: .x)
    let y = try c.decode([Double].self, forKey: .y)
    guard size >= 2, x.count == size * size, y.count == size * size,
      x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite)
    else {
      throw DecodingError.dataCorruptedError(
        forKey: .x, in: c,
        debugDescription: "displacement grid needs size >= 2 and size² finite x and y values")
    }
    self.init(size: size, x: x, y: y)
  }
}

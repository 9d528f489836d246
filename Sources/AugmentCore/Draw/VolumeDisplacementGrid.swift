/// The elastic deformation's control grid of a volume: one displacement
/// vector, in voxels, per control point of a `size × size × size` grid.
///
/// Control point `(i, j, k)` (x, y, z) sits at voxel coordinate
/// `(i·(W−1)/(size−1), j·(H−1)/(size−1), k·(D−1)/(size−1))`; its
/// displacement is `(x[n], y[n], z[n])`, `n = (k·size + j)·size + i`.
/// The per-voxel field is the tricubic interpolation of the grid, separably:
/// along z to a slice (``slice(_:depth:)``, a 2-D grid per component), then
/// as the 2-D grid's bicubic field (``DisplacementGrid``).
public struct VolumeDisplacementGrid: Sendable, Equatable, Hashable, Codable {
  /// Control points per axis, ≥ 2.
  public let size: Int
  /// x, y and z components, `size³` each, in index order `(k·size + j)·size + i`.
  public let x: [Double]
  public let y: [Double]
  public let z: [Double]

  /// A grid with the given displacements; all arrays hold `size³` finite values.
  public init(size: Int, x: [Double], y: [Double], z: [Double]) {
    precondition(size >= 2, "VolumeDisplacementGrid: size must be >= 2, got \(size)")
    let n = size * size * size
    precondition(x.count == n && y.count == n && z.count == n, "VolumeDisplacementGrid: \(size)³ values per component")
    precondition(
      (x + y + z).allSatisfy(\.isFinite), "VolumeDisplacementGrid: non-finite displacement")
    self.size = size
    self.x = x
    self.y = y
    self.z = z
  }

  /// The grid of zero displacements.
  public static func zero(size: Int = 3) -> VolumeDisplacementGrid {
    let zeros = [Double](repeating: 0, count: size * size * size)
    return VolumeDisplacementGrid(size: size, x: zeros, y: zeros, z: zeros)
  }

  /// True when every displacement is 0.
  public var isZero: Bool { x.allSatisfy { $0 == 0 } && y.allSatisfy { $0 == 0 } && z.allSatisfy { $0 == 0 } }

  /// The grid interpolated along z to slice `slice` of `depth`: per
  /// component a `size × size` grid, row-major (the Keys weights of
  /// ``GridAxisWeights``, as along x and y).
  func slice(_ slice: Int, weights: GridAxisWeights) -> (x: [Double], y: [Double], z: [Double]) {
    let g = size
    let first = weights.first[slice]
    func reduce(_ c: [Double]) -> [Double] {
      (0..<(g * g)).map { n in
        var v = 0.0
        for m in 0..<min(4, g - first) { v += weights.weights[slice * 4 + m] * c[(first + m) * g * g + n] }
        return v
      }
    }
    return (reduce(x), reduce(y), reduce(z))
  }

  private enum CodingKeys: String, CodingKey { case size, x, y, z }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let size = try c.decode(Int.self, forKey: .size)
    let (x, y, z) = (try c.decode([Double].self, forKey: .x), try c.decode([Double].self, forKey: .y), try c.decode([Double].self, forKey: .z))
    let n = size * size * size
    guard size >= 2, size <= 1024, x.count == n, y.count == n, z.count == n, (x + y + z).allSatisfy(\.isFinite) else {
      throw DecodingError.dataCorruptedError(
        forKey: .x, in: c, debugDescription: "displacement grid needs size >= 2 and size³ finite x, y and z values")
    }
    self.init(size: size, x: x, y: y, z: z)
  }
}

/// For each output voxel, the source position it reads: all geometric parts
/// of a volume's augmentation composed into one map (see
/// ``DrawnVolumeValues``), so that image, labels, mask and weights are
/// resampled once, from the source.
///
/// Layout: slice after slice, row-major; output voxel `(x, y, z)` reads
/// source position `(x[i], y[i], z[i])`, `i = (z·H + y)·W + x`, in voxel
/// units with voxel centres at integers, each clamped to
/// ±``SamplingMap/coordinateLimit``.
public struct VolumeSamplingMap: Sendable, Equatable {
  public let width: Int
  public let height: Int
  public let depth: Int
  public let x: [Float]
  public let y: [Float]
  public let z: [Float]

  /// Wraps given source positions: `width·height·depth` values each, of
  /// magnitude ≤ ``SamplingMap/coordinateLimit``.
  public init(width: Int, height: Int, depth: Int, x: [Float], y: [Float], z: [Float]) {
    let n = width * height * depth
    precondition(x.count == n && y.count == n && z.count == n, "VolumeSamplingMap: \(n) positions per axis expected")
    let limit = SamplingMap.coordinateLimit
    precondition(
      (x + y + z).allSatisfy { abs($0) <= limit }, "VolumeSamplingMap: coordinates must be finite and within ±\(limit)")
    self.width = width
    self.height = height
    self.depth = depth
    self.x = x
    self.y = y
    self.z = z
  }

  /// The map that reads every voxel from itself.
  public static func identity(width: Int, height: Int, depth: Int) -> VolumeSamplingMap {
    VolumeSamplingMap(values: .identity, width: width, height: height, depth: depth)
  }

  /// The map of drawn values for a `width × height × depth` volume.
  ///
  /// Slice by slice: x and y are the 2-D ``SamplingMap`` rows of the
  /// slice's planar values (the grid interpolated along z to the slice,
  /// ``DrawnVolumeValues/planar(gridSlice:)``), so they are exact where
  /// the 2-D map is; z is `Float(c_z + f_z·(z − c_z − t_z)/s)` plus the z
  /// field, exactly integral for identity values, integer shifts and flips.
  ///
  /// - Complexity: O(voxels), plus O(width + height) per slice.
  public init(values p: DrawnVolumeValues, width: Int, height: Int, depth: Int) {
    precondition(width >= 0 && height >= 0 && depth >= 0, "VolumeSamplingMap: negative size")
    let n = width * height * depth
    var mx = [Float](repeating: 0, count: n)
    var my = [Float](repeating: 0, count: n)
    var mz = [Float](repeating: 0, count: n)
    let zWeights = GridAxisWeights(nodes: p.grid.size, length: depth)
    let elastic = !p.grid.isZero
    let cz = Double(max(depth - 1, 0)) / 2
    let fz: Double = p.flipDepth ? -1 : 1
    let limit = SamplingMap.coordinateLimit
    mx.withUnsafeMutableBufferPointer { mx in
      my.withUnsafeMutableBufferPointer { my in
        mz.withUnsafeMutableBufferPointer { mz in
          for z in 0..<depth {
            let gridSlice: (x: [Double], y: [Double], z: [Double]) =
              elastic ? p.grid.slice(z, weights: zWeights) : Self.zeroSlice(p.grid.size)
            let rows = MapRows(values: p.planar(gridSlice: gridSlice), width: width, height: height)
            let zField = elastic
              ? ElasticFieldEvaluator(size: p.grid.size, components: [gridSlice.z], width: width, height: height) : nil
            let baseZ = Float(cz + fz * (Double(z) - cz - p.shiftZ) / p.scale)
            for y in 0..<height {
              let r = ((z * height + y) * width)..<((z * height + y + 1) * width)
              rows.row(
                y, xs: UnsafeMutableBufferPointer(rebasing: mx[r]), ys: UnsafeMutableBufferPointer(rebasing: my[r]))
              let zs = UnsafeMutableBufferPointer(rebasing: mz[r])
              if let zField {
                zField.row(y, component: 0, into: zs)
                for i in zs.indices { zs[i] = min(max(baseZ + zs[i], -limit), limit) }
              } else {
                for i in zs.indices { zs[i] = min(max(baseZ, -limit), limit) }
              }
            }
          }
        }
      }
    }
    self.width = width
    self.height = height
    self.depth = depth
    x = mx
    y = my
    z = mz
  }

  private static func zeroSlice(_ size: Int) -> (x: [Double], y: [Double], z: [Double]) {
    let zeros = [Double](repeating: 0, count: size * size)
    return (zeros, zeros, zeros)
  }
}

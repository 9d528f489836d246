import RasterCore
import _Support

/// Every value drawn for one augmented volume; applying them is a pure
/// function (``SampleAugmenter/augment(volume:labels:weights:mask:values:)``).
///
/// ## Geometry
/// For output voxel `p = (x, y, z)` of a `W × H × D` volume with centre
/// `c = ((W−1)/2, (H−1)/2, (D−1)/2)`, the source position read is
///
///     source(p) = c + F · R_z(−θ) · (p − c − t) / s + d(p)
///
/// `R_z` the rotation about the z axis (in the xy plane, as the 2-D
/// rotation; z unchanged), `F = diag(±1, ±1, ±1)` the flips, `t` the
/// shift, `s` the scale and `d` the tricubic elastic field of ``grid``.
/// Each slice's x and y are thus exactly the 2-D map of ``DrawnValues``
/// with the grid interpolated to that slice.
public struct DrawnVolumeValues: Sendable, Equatable, Hashable, Codable {
  /// Elastic control-grid displacements, in voxels.
  public var grid: VolumeDisplacementGrid
  /// Rotation angle θ about z, in degrees.
  public var rotationDegrees: Double
  /// Shift `t` in voxels.
  public var shiftX: Double
  public var shiftY: Double
  public var shiftZ: Double
  /// Mirror x → W−1−x, y → H−1−y, z → D−1−z.
  public var flipHorizontal: Bool
  public var flipVertical: Bool
  public var flipDepth: Bool
  /// Isotropic scale `s`, > 0.
  public var scale: Double
  /// Gray-value variation of the image.
  public var intensity: IntensityValues

  public init(
    grid: VolumeDisplacementGrid = .zero(), rotationDegrees: Double = 0, shiftX: Double = 0, shiftY: Double = 0,
    shiftZ: Double = 0, flipHorizontal: Bool = false, flipVertical: Bool = false, flipDepth: Bool = false,
    scale: Double = 1, intensity: IntensityValues = .identity
  ) {
    self.grid = grid
    self.rotationDegrees = rotationDegrees
    self.shiftX = shiftX
    self.shiftY = shiftY
    self.shiftZ = shiftZ
    self.flipHorizontal = flipHorizontal
    self.flipVertical = flipVertical
    self.flipDepth = flipDepth
    self.scale = scale
    self.intensity = intensity
  }

  /// No change at all.
  public static let identity = DrawnVolumeValues()

  private enum CodingKeys: String, CodingKey {
    case grid, rotationDegrees, shiftX, shiftY, shiftZ, flipHorizontal, flipVertical, flipDepth, scale, intensity
  }

  /// Decodes and checks the values as ``DrawnValues`` does.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      grid: try c.decode(VolumeDisplacementGrid.self, forKey: .grid),
      rotationDegrees: try c.decode(Double.self, forKey: .rotationDegrees),
      shiftX: try c.decode(Double.self, forKey: .shiftX), shiftY: try c.decode(Double.self, forKey: .shiftY),
      shiftZ: try c.decode(Double.self, forKey: .shiftZ),
      flipHorizontal: try c.decode(Bool.self, forKey: .flipHorizontal),
      flipVertical: try c.decode(Bool.self, forKey: .flipVertical), flipDepth: try c.decode(Bool.self, forKey: .flipDepth),
      scale: try c.decode(Double.self, forKey: .scale), intensity: try c.decode(IntensityValues.self, forKey: .intensity))
    try DrawnValues.check([rotationDegrees, shiftX, shiftY, shiftZ], scale: scale, intensity: intensity, in: c, key: .scale)
  }

  /// The in-plane part for slice `slice` of a volume of `depth` slices: the
  /// 2-D values whose sampling map gives that slice's x and y.
  func planar(gridSlice: (x: [Double], y: [Double], z: [Double])) -> DrawnValues {
    DrawnValues(
      grid: DisplacementGrid(size: grid.size, x: gridSlice.x, y: gridSlice.y), rotationDegrees: rotationDegrees,
      shiftX: shiftX, shiftY: shiftY, flipHorizontal: flipHorizontal, flipVertical: flipVertical, scale: scale)
  }
}

/// The draw for output sample `index` of a 3-D run.
public struct VolumeSampleDraw: Sendable, Equatable, Hashable, Codable {
  public let index: UInt64
  /// Index of the source volume.
  public let sourceIndex: Int
  /// The drawn values.
  public let values: DrawnVolumeValues

  /// Coded as before the rename: the values under the key `parameters`.
  enum CodingKeys: String, CodingKey {
    case index, sourceIndex
    case values = "parameters"
  }
}

extension VolumeAugmentConfiguration {
  /// Draws one volume's values, in a fixed order (each taken whether or
  /// not its part is enabled): `G³` triples of standard normals (x, y, z of
  /// control point `(k·G + j)·G + i`, in index order), x and y scaled by
  /// ``AugmentConfiguration/sigmaPixels`` and z by ``sigmaZ``; a unit for the
  /// angle; units for shift x, y and z; one word for the flips (bit 0 x,
  /// bit 1 y, bit 2 z); a unit for the scale; then the gray values as in 2-D.
  public func sample(using rng: inout SplitMix64) -> DrawnVolumeValues {
    let b = base
    let n = b.gridSize * b.gridSize * b.gridSize
    var g = ([Double](repeating: 0, count: n), [Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
    for k in 0..<n {
      let (u, v, w) = (rng.gaussian(), rng.gaussian(), rng.gaussian())
      if b.sigmaPixels > 0 {
        g.0[k] = u * b.sigmaPixels
        g.1[k] = v * b.sigmaPixels
      }
      if sigmaZ > 0 { g.2[k] = w * sigmaZ }
    }
    let uAngle = rng.unit()
    let angle = b.rotateDegrees > 0 ? -b.rotateDegrees + 2 * b.rotateDegrees * uAngle : 0
    let shift = (b.drawShift(using: &rng), b.drawShift(using: &rng), b.drawShift(using: &rng))
    let flips = rng.next()
    let scale = AugmentConfiguration.uniform(b.scale, rng.unit(), off: 1)
    return DrawnVolumeValues(
      grid: VolumeDisplacementGrid(size: b.gridSize, x: g.0, y: g.1, z: g.2), rotationDegrees: angle,
      shiftX: shift.0, shiftY: shift.1, shiftZ: shift.2, flipHorizontal: b.flipHorizontal && flips & 1 != 0,
      flipVertical: b.flipVertical && flips & 2 != 0, flipDepth: flipDepth && flips & 4 != 0, scale: scale,
      intensity: b.drawIntensity(using: &rng))
  }

  /// The draw for output sample `index` of a run with `seed`: a function of
  /// `(seed, index)` only (and `sourceCount`), as in 2-D.
  public func draw(seed: UInt64, index: UInt64, sourceCount: Int) -> VolumeSampleDraw {
    var (source, rng) = AugmentConfiguration.sourceStream(seed: seed, index: index, sourceCount: sourceCount)
    return VolumeSampleDraw(index: index, sourceIndex: source, values: sample(using: &rng))
  }
}

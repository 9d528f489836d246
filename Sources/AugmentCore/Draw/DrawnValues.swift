/// Every value drawn for one augmented sample: applying them is a pure
/// function (``SampleAugmenter/augment(image:labels:weights:mask:values:)``),
/// and they round-trip through JSON so that a sample can be regenerated
/// from its record.
///
/// ## Geometry
/// For output pixel `p = (x, y)` of a `W × H` image, with centre
/// `c = ((W−1)/2, (H−1)/2)`, shift `t`, rotation `θ` (``rotationDegrees``),
/// scale `s`, flip matrix `F = diag(±1, ±1)` and elastic field `d` (the
/// ``grid`` interpolated to `p`), the source position read is
///
///     source(p) = c + F · R(−θ) · (p − c − t) / s + d(p),
///     R(θ) = [cos θ, −sin θ; sin θ, cos θ]   (x right, y down)
///
/// That is, the content is flipped, then scaled by `s` and rotated by `θ`
/// (clockwise on screen for θ > 0) about the centre, then shifted by `t`,
/// and finally deformed by the elastic field (which is attached to the
/// output grid). Multiples of 90° and `s = 1` give exactly integral
/// positions on square images (see ``SamplingMap``).
public struct DrawnValues: Sendable, Equatable, Hashable, Codable {
  /// Elastic control-grid displacements, in pixels.
  public var grid: DisplacementGrid
  /// Rotation angle θ in degrees.
  public var rotationDegrees: Double
  /// Shift `t`, in pixels (x: columns, y: rows).
  public var shiftX: Double
  public var shiftY: Double
  /// Mirror left–right (x → W−1−x).
  public var flipHorizontal: Bool
  /// Mirror top–bottom (y → H−1−y).
  public var flipVertical: Bool
  /// Isotropic scale `s`, > 0 (> 1 magnifies).
  public var scale: Double
  /// Gray-value variation of the image.
  public var intensity: IntensityValues

  public init(
    grid: DisplacementGrid = .zero(), rotationDegrees: Double = 0, shiftX: Double = 0,
    shiftY: Double = 0, flipHorizontal: Bool = false, flipVertical: Bool = false,
    scale: Double = 1, intensity: IntensityValues = .identity
  ) {
    self.grid = grid
    self.rotationDegrees = rotationDegrees
    self.shiftX = shiftX
    self.shiftY = shiftY
    self.flipHorizontal = flipHorizontal
    self.flipVertical = flipVertical
    self.scale = scale
    self.intensity = intensity
  }

  /// No change at all.
  public static let identity = DrawnValues()

  private enum CodingKeys: String, CodingKey {
    case grid, rotationDegrees, shiftX, shiftY, flipHorizontal, flipVertical, scale, intensity
  }

  /// Decodes and checks the values: finite, `scale > 0`, `gamma > 0`,
  /// `contrast ≥ 0`, `noiseSigma ≥ 0`.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      grid: try c.decode(DisplacementGrid.self, forKey: .grid),
      rotationDegrees: try c.decode(Double.self, forKey: .rotationDegrees),
      shiftX: try c.decode(Double.self, forKey: .shiftX),
      shiftY: try c.decode(Double.self, forKey: .shiftY),
      flipHorizontal: try c.decode(Bool.self, forKey: .flipHorizontal),
      flipVertical: try c.decode(Bool.self, forKey: .flipVertical),
      scale: try c.decode(Double.self, forKey: .scale),
      intensity: try c.decode(IntensityValues.self, forKey: .intensity))
    try Self.check([rotationDegrees, shiftX, shiftY], scale: scale, intensity: intensity, in: c, key: .scale)
  }

  /// Throws unless the values are finite, `scale > 0`, `gamma > 0`,
  /// `contrast ≥ 0` and `noiseSigma ≥ 0` (the decoded drawn values of
  /// images and volumes).
  static func check<K: CodingKey>(
    _ values: [Double], scale: Double, intensity i: IntensityValues, in c: KeyedDecodingContainer<K>, key: K
  ) throws {
    let finite = (values + [scale, i.brightness, i.contrast, i.gamma, i.noiseSigma]).allSatisfy(\.isFinite)
    guard finite, scale > 0, i.gamma > 0, i.contrast >= 0, i.noiseSigma >= 0 else {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: c,
        debugDescription:
          "drawn parameters need finite values, scale > 0, gamma > 0, contrast >= 0, noiseSigma >= 0")
    }
  }
}

/// The gray-value variation drawn for one sample (see ``Intensity`` for the
/// definitions). The noise itself is not stored, only its seed.
public struct IntensityValues: Sendable, Equatable, Hashable, Codable {
  /// Additive offset `b`; 0 is off.
  public var brightness: Double
  /// Contrast factor `k` about the channel mean; 1 is off.
  public var contrast: Double
  /// Exponent γ of `sign(v)·|v|^γ`; 1 is off.
  public var gamma: Double
  /// Standard deviation of the additive Gaussian noise; 0 is off.
  public var noiseSigma: Double
  /// Seed of the noise: the noise is `SplitMix64(seed: noiseSeed)`'s
  /// standard normals (Marsaglia's polar method), in sample order.
  public var noiseSeed: UInt64

  public init(
    brightness: Double = 0, contrast: Double = 1, gamma: Double = 1, noiseSigma: Double = 0,
    noiseSeed: UInt64 = 0
  ) {
    self.brightness = brightness
    self.contrast = contrast
    self.gamma = gamma
    self.noiseSigma = noiseSigma
    self.noiseSeed = noiseSeed
  }

  /// No variation.
  public static let identity = IntensityValues()

  /// True when applying these values changes nothing.
  public var isIdentity: Bool { brightness == 0 && contrast == 1 && gamma == 1 && noiseSigma == 0 }
}

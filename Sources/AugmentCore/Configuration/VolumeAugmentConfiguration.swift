/// The augmentation of volumes: the 2-D settings of ``AugmentConfiguration``
/// applied in three dimensions, plus what only a volume has.
///
/// - Elastic: a `G × G × G` grid of random displacement vectors with σ
///   per axis in voxels: ``AugmentConfiguration/sigmaPixels`` along x and y,
///   ``sigmaZ`` along z; the per-voxel field is their tricubic (Keys)
///   interpolation.
/// - Rotation about the z axis (in the xy plane of voxels), drawn from
///   ``AugmentConfiguration/rotateDegrees``; shifts from
///   ``AugmentConfiguration/shiftPixels`` along each axis, in voxels; flips of x
///   and y as in 2-D and of z with ``flipDepth``; the isotropic scale.
/// - The image is resampled tricubically (or trilinearly), labels and mask
///   nearest; gray values, normalisation and weights as in 2-D.
///
/// Values are checked once, by the throwing initializer.
public struct VolumeAugmentConfiguration: Sendable, Equatable, Hashable {
  /// The settings shared with 2-D.
  public let base: AugmentConfiguration
  /// σ of the z components of the grid displacements, in voxels; finite, ≥ 0.
  public let sigmaZ: Double
  /// Whether a z flip (mirror front–back) happens with probability ½.
  public let flipDepth: Bool

  /// - Throws: ``ConfigurationError`` for `sigmaZ` negative or not finite.
  public init(_ base: AugmentConfiguration = .standard, sigmaZ: Double? = nil, flipDepth: Bool? = nil) throws {
    let sigmaZ = sigmaZ ?? base.sigmaPixels
    guard sigmaZ.isFinite, sigmaZ >= 0 else {
      throw ConfigurationError(setting: "sigmaZ", value: "\(sigmaZ)", requirement: "finite and >= 0")
    }
    self.base = base
    self.sigmaZ = sigmaZ
    self.flipDepth = flipDepth ?? (base.flipHorizontal || base.flipVertical)
  }

  /// The paper's defaults in 3-D (σ = 10 voxels on every axis).
  public static let standard = try! VolumeAugmentConfiguration()

  /// No change at all: values drawn from it reproduce the normalised input exactly.
  public static let identity = try! VolumeAugmentConfiguration(.identity, sigmaZ: 0, flipDepth: false)
}

extension VolumeAugmentConfiguration: Codable {
  private enum CodingKeys: String, CodingKey { case sigmaZ, flipDepth }

  /// The 2-D keys of ``AugmentConfiguration`` with `sigmaZ` and `flipDepth` beside them.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      try AugmentConfiguration(from: decoder), sigmaZ: try c.decodeIfPresent(Double.self, forKey: .sigmaZ),
      flipDepth: try c.decodeIfPresent(Bool.self, forKey: .flipDepth))
  }

  public func encode(to encoder: any Encoder) throws {
    try base.encode(to: encoder)
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(sigmaZ, forKey: .sigmaZ)
    try c.encode(flipDepth, forKey: .flipDepth)
  }
}

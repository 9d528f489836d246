import RasterCore

/// The ranges from which each augmented sample's values are drawn, and
/// how the drawn values are applied: the data augmentation of the U-Net
/// paper (Ronneberger, Fischer, Brox, MICCAI 2015, arXiv:1505.04597, §3.1):
/// smooth elastic deformations from random displacement vectors on a coarse
/// 3×3 grid (σ = 10 px), bicubic per-pixel displacements, plus shift,
/// rotation and gray-value variations.
///
/// Values are checked once, by the throwing initializer (also used when
/// decoding); a value of this type is always valid. Draw values with
/// ``sample(using:)`` or ``draw(seed:index:sourceCount:)``; apply them with
/// ``SampleAugmenter``.
public struct AugmentConfiguration: Sendable, Equatable, Hashable {
  /// `G`: control points per axis of the elastic grid, ≥ 2. Paper: 3.
  public let gridSize: Int
  /// σ of each displacement component at a control point, in pixels;
  /// finite, ≥ 0 (0 switches the elastic deformation off). Paper: 10.
  public let sigmaPixels: Double
  /// Rotations are drawn uniformly from `[−rotateDegrees, rotateDegrees)`;
  /// 0…180 (180: the full circle, 0: off).
  public let rotateDegrees: Double
  /// Shifts are drawn uniformly from `[−shiftPixels, shiftPixels)` per
  /// axis; finite, ≥ 0 (0: off, the default).
  public let shiftPixels: Double
  /// Whether a horizontal flip (mirror left–right) happens with probability ½.
  public let flipHorizontal: Bool
  /// Whether a vertical flip (mirror top–bottom) happens with probability ½.
  public let flipVertical: Bool
  /// The isotropic scale factor's range (> 1 magnifies), or nil for none.
  public let scale: ClosedRange<Double>?
  /// Interpolation of the image (labels and masks are always nearest).
  public let interpolation: Interpolation
  /// What is read outside the source image.
  public let border: BorderMode
  /// Gray-value variation ranges (image only); ``IntensityRanges/off`` for none.
  public let intensity: IntensityRanges
  /// How each source image becomes float32 before augmentation.
  public let normalization: Normalization
  /// Where each sample's weight map comes from.
  public let weights: WeightSource

  /// Validates and stores the settings; the defaults are the paper's
  /// augmentation with full rotation, flips, mild gray-value variation,
  /// 1–99.8 percentile normalisation and recomputed weights.
  ///
  /// - Throws: ``ConfigurationError`` naming the first bad value:
  ///   `gridSize` < 2 or > 1024; `sigmaPixels` or `shiftPixels` negative or
  ///   not finite; `rotateDegrees` outside 0…180; a `scale` bound ≤ 0 or
  ///   not finite; an intensity bound not finite, a contrast bound < 0, a
  ///   gamma bound ≤ 0, a noise σ bound < 0; percentiles not
  ///   `0 ≤ low < high ≤ 100`.
  public init(
    gridSize: Int = 3,
    sigmaPixels: Double = 10,
    rotateDegrees: Double = 180,
    shiftPixels: Double = 0,
    flipHorizontal: Bool = true,
    flipVertical: Bool = true,
    scale: ClosedRange<Double>? = nil,
    interpolation: Interpolation = .cubic,
    border: BorderMode = .mirror,
    intensity: IntensityRanges = .mild,
    normalization: Normalization = .standard,
    weights: WeightSource = .recompute
  ) throws {
    func fail(_ name: String, _ value: Any, _ requirement: String) -> ConfigurationError {
      ConfigurationError(setting: name, value: "\(value)", requirement: requirement)
    }
    func check(_ name: String, _ range: ClosedRange<Double>?, _ requirement: String, _ ok: (Double) -> Bool)
      throws
    {
      guard let range else { return }
      for v in [range.lowerBound, range.upperBound] where !(v.isFinite && ok(v)) {
        throw fail(name, range, requirement)
      }
    }
    guard (2...1024).contains(gridSize) else { throw fail("gridSize", gridSize, "in 2...1024") }
    guard sigmaPixels.isFinite, sigmaPixels >= 0 else {
      throw fail("sigmaPixels", sigmaPixels, "finite and >= 0")
    }
    guard rotateDegrees >= 0, rotateDegrees <= 180 else {
      throw fail("rotateDegrees", rotateDegrees, "in 0...180")
    }
    guard shiftPixels.isFinite, shiftPixels >= 0 else {
      throw fail("shiftPixels", shiftPixels, "finite and >= 0")
    }
    try check("scale", scale, "finite and > 0") { $0 > 0 }
    try check("brightness", intensity.brightness, "finite") { _ in true }
    try check("contrast", intensity.contrast, "finite and >= 0") { $0 >= 0 }
    try check("gamma", intensity.gamma, "finite and > 0") { $0 > 0 }
    try check("noiseSigma", intensity.noiseSigma, "finite and >= 0") { $0 >= 0 }
    if case .percentile(let low, let high) = normalization {
      guard low >= 0, low < high, high <= 100 else {
        throw fail("percentiles", "\(low)...\(high)", "0 <= low < high <= 100")
      }
    }
    self.gridSize = gridSize
    self.sigmaPixels = sigmaPixels
    self.rotateDegrees = rotateDegrees
    self.shiftPixels = shiftPixels
    self.flipHorizontal = flipHorizontal
    self.flipVertical = flipVertical
    self.scale = scale
    self.interpolation = interpolation
    self.border = border
    self.intensity = intensity
    self.normalization = normalization
    self.weights = weights
  }

  /// The defaults: the paper's elastic grid (3×3, σ = 10 px), full rotation,
  /// flips, mild gray-value variation, 1–99.8 percentiles, recomputed weights.
  public static let standard = try! AugmentConfiguration()

  /// No geometric or gray-value change at all: applying any values drawn
  /// from it returns the normalised input exactly.
  public static let identity = try! AugmentConfiguration(
    sigmaPixels: 0, rotateDegrees: 0, flipHorizontal: false, flipVertical: false,
    intensity: .off)
}

extension AugmentConfiguration: Codable {
  private enum CodingKeys: String, CodingKey {
    case gridSize, sigmaPixels, rotateDegrees, shiftPixels, flipHorizontal, flipVertical, scale
    case interpolation, border, intensity, normalization, weights
  }

  /// Decodes and validates; a missing key takes its default.
  ///
  /// - Throws: ``ConfigurationError`` for a bad value, or a decoding error.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = AugmentConfiguration.standard
    try self.init(
      gridSize: c.decodeIfPresent(Int.self, forKey: .gridSize) ?? d.gridSize,
      sigmaPixels: c.decodeIfPresent(Double.self, forKey: .sigmaPixels) ?? d.sigmaPixels,
      rotateDegrees: c.decodeIfPresent(Double.self, forKey: .rotateDegrees) ?? d.rotateDegrees,
      shiftPixels: c.decodeIfPresent(Double.self, forKey: .shiftPixels) ?? d.shiftPixels,
      flipHorizontal: c.decodeIfPresent(Bool.self, forKey: .flipHorizontal) ?? d.flipHorizontal,
      flipVertical: c.decodeIfPresent(Bool.self, forKey: .flipVertical) ?? d.flipVertical,
      scale: c.decodeIfPresent(ClosedRange<Double>.self, forKey: .scale),
      interpolation: c.decodeIfPresent(Interpolation.self, forKey: .interpolation) ?? d.interpolation,
      border: c.decodeIfPresent(BorderMode.self, forKey: .border) ?? d.border,
      intensity: c.decodeIfPresent(IntensityRanges.self, forKey: .intensity) ?? d.intensity,
      normalization: c.decodeIfPresent(Normalization.self, forKey: .normalization) ?? d.normalization,
      weights: c.decodeIfPresent(WeightSource.self, forKey: .weights) ?? d.weights)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(gridSize, forKey: .gridSize)
    try c.encode(sigmaPixels, forKey: .sigmaPixels)
    try c.encode(rotateDegrees, forKey: .rotateDegrees)
    try c.encode(shiftPixels, forKey: .shiftPixels)
    try c.encode(flipHorizontal, forKey: .flipHorizontal)
    try c.encode(flipVertical, forKey: .flipVertical)
    try c.encodeIfPresent(scale, forKey: .scale)
    try c.encode(interpolation, forKey: .interpolation)
    try c.encode(border, forKey: .border)
    try c.encode(intensity, forKey: .intensity)
    try c.encode(normalization, forKey: .normalization)
    try c.encode(weights, forKey: .weights)
  }
}

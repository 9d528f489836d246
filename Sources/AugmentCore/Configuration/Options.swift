/// How a floating-point array is interpolated between pixel centres.
public enum Interpolation: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
  /// Bicubic convolution with the Keys kernel, `a = −0.5` (Catmull-Rom;
  /// R. Keys, "Cubic convolution interpolation for digital image
  /// processing", IEEE TASSP 29(6), 1981, doi:10.1109/TASSP.1981.1163711):
  /// 4×4 taps, interpolating (exact at pixel centres), no prefilter — not
  /// scipy's `order=3` (a prefiltered cubic B-spline, as in elasticdeform;
  /// both reproduce the samples at pixel centres, they differ between).
  case cubic
  /// Bilinear: 2×2 taps.
  case linear
  /// Nearest neighbour: the sample at `(⌊x + ½⌋, ⌊y + ½⌋)`.
  case nearest
}

/// What the resampler reads at source positions outside the image.
///
/// The image is extended to the whole plane by this rule and then
/// interpolated, so a tap outside reads the extended image.
public enum BorderMode: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
  /// Reflection about the edge pixels' centres, without repeating the edge
  /// pixel: `… c b | a b c … | … y z | y x …` — numpy.pad's `reflect`,
  /// scipy.ndimage's `mirror`, the paper's overlap-tile extrapolation.
  /// Index `i` of `n` reads `i mod 2(n−1)` folded back into `[0, n)`.
  case mirror
  /// Zero outside the image (scipy's `constant` with `cval = 0`); labels,
  /// masks and weights read 0 (background, ignored) there.
  case constant
  /// The nearest edge pixel (edge clamp; numpy's `edge`, scipy's `nearest`).
  case nearest
}

/// Where an augmented sample's weight map comes from.
public enum WeightSource: String, Sendable, Equatable, Hashable, CaseIterable, Codable {
  /// Recomputed with the WeightMap library from the warped instance labels:
  /// exact for the warped geometry (the default).
  case recompute
  /// The source image's weight map, resampled linearly with the same
  /// sampling map: cheaper, approximate.
  case warp
}

/// The ranges of the gray-value variations, applied to the image only.
/// A `nil` range switches that variation off.
///
/// See ``Intensity`` for the definitions and the order of application.
public struct IntensityRanges: Sendable, Equatable, Hashable, Codable {
  /// Additive offset `b`, drawn uniformly from this range.
  public var brightness: ClosedRange<Double>?
  /// Contrast factor `k` about the channel mean, drawn uniformly; ≥ 0.
  public var contrast: ClosedRange<Double>?
  /// Exponent `γ` of the sign-preserving power `sign(v)·|v|^γ`, drawn
  /// uniformly; > 0.
  public var gamma: ClosedRange<Double>?
  /// Standard deviation of additive Gaussian noise, drawn uniformly; ≥ 0.
  public var noiseSigma: ClosedRange<Double>?

  public init(
    brightness: ClosedRange<Double>? = nil, contrast: ClosedRange<Double>? = nil,
    gamma: ClosedRange<Double>? = nil, noiseSigma: ClosedRange<Double>? = nil
  ) {
    self.brightness = brightness
    self.contrast = contrast
    self.gamma = gamma
    self.noiseSigma = noiseSigma
  }

  /// Mild variations for images normalised to about [0, 1]: brightness
  /// ±0.05, contrast 0.9…1.1, gamma 0.9…1.1, noise σ 0…0.02.
  public static let mild = IntensityRanges(
    brightness: -0.05...0.05, contrast: 0.9...1.1, gamma: 0.9...1.1, noiseSigma: 0...0.02)

  /// No gray-value variation at all.
  public static let off = IntensityRanges()

  /// True when every variation is off.
  public var isOff: Bool { brightness == nil && contrast == nil && gamma == nil && noiseSigma == nil }
}

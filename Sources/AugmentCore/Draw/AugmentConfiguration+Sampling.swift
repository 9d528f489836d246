import _Support

/// The draw for output sample `index` of a run: which source image it
/// augments and with what values.
public struct SampleDraw: Sendable, Equatable, Hashable, Codable {
  /// The output sample's index `k`.
  public let index: UInt64
  /// Index of the source image, `0..<sourceCount`.
  public let sourceIndex: Int
  /// The drawn values.
  public let values: DrawnValues

  /// Coded as before the rename: the values under the key `parameters`.
  enum CodingKeys: String, CodingKey {
    case index, sourceIndex
    case values = "parameters"
  }

  public init(index: UInt64, sourceIndex: Int, values: DrawnValues) {
    self.index = index
    self.sourceIndex = sourceIndex
    self.values = values
  }
}

extension AugmentConfiguration {
  /// Draws one sample's values; the only code of the module that uses
  /// randomness.
  ///
  /// The draws come in a fixed order, each taken whether or not its part is
  /// enabled (so switching one part off leaves the others' values alone):
  /// `gridSize²` pairs of standard normals (x then y of control point
  /// `j·G + i`, in index order; `SplitMix64.gaussian()`) scaled by
  /// ``sigmaPixels``; a unit for the angle; units for shift x and y; one
  /// 64-bit word for the flips (bit 0 horizontal, bit 1 vertical); a unit for
  /// the scale; units for brightness, contrast, gamma and noise σ; one word
  /// for the noise seed. A value `u` in [0, 1) maps to `a + (b − a)·u` for a
  /// range `a…b` (so angles are uniform in `[−D, D)`); a disabled part
  /// gets its identity value exactly.
  public func sample(using rng: inout SplitMix64) -> DrawnValues {
    let n = gridSize * gridSize
    var gx = [Double](repeating: 0, count: n)
    var gy = [Double](repeating: 0, count: n)
    for k in 0..<n {
      let a = rng.gaussian()
      let b = rng.gaussian()
      if sigmaPixels > 0 {
        gx[k] = a * sigmaPixels
        gy[k] = b * sigmaPixels
      }
    }
    let uAngle = rng.unit()
    let angle = rotateDegrees > 0 ? -rotateDegrees + 2 * rotateDegrees * uAngle : 0
    let shiftX = drawShift(using: &rng)
    let shiftY = drawShift(using: &rng)
    let flips = rng.next()
    let scale = Self.uniform(self.scale, rng.unit(), off: 1)
    return DrawnValues(
      grid: DisplacementGrid(size: gridSize, x: gx, y: gy),
      rotationDegrees: angle, shiftX: shiftX, shiftY: shiftY,
      flipHorizontal: flipHorizontal && flips & 1 != 0,
      flipVertical: flipVertical && flips & 2 != 0,
      scale: scale,
      intensity: drawIntensity(using: &rng))
  }

  /// `a + (b − a)·u` for a range `a…b`, or `off` without one.
  static func uniform(_ range: ClosedRange<Double>?, _ u: Double, off: Double) -> Double {
    guard let range else { return off }
    return range.lowerBound + (range.upperBound - range.lowerBound) * u
  }

  /// One shift component from `[−shiftPixels, shiftPixels)` (one unit drawn).
  func drawShift(using rng: inout SplitMix64) -> Double {
    let u = rng.unit()
    return shiftPixels > 0 ? -shiftPixels + 2 * shiftPixels * u : 0
  }

  /// The gray-value draws: units for brightness, contrast, gamma and noise
  /// σ, one word for the noise seed.
  func drawIntensity(using rng: inout SplitMix64) -> IntensityValues {
    let brightness = Self.uniform(intensity.brightness, rng.unit(), off: 0)
    let contrast = Self.uniform(intensity.contrast, rng.unit(), off: 1)
    let gamma = Self.uniform(intensity.gamma, rng.unit(), off: 1)
    let noiseSigma = Self.uniform(intensity.noiseSigma, rng.unit(), off: 0)
    let noiseSeed = rng.next()
    return IntensityValues(
      brightness: brightness, contrast: contrast, gamma: gamma, noiseSigma: noiseSigma,
      noiseSeed: noiseSigma > 0 ? noiseSeed : 0)
  }

  /// The first word of stream `index` of `seed` picks the source,
  /// `⌊word · sourceCount / 2⁶⁴⌋`; the generator continues for the rest.
  static func sourceStream(seed: UInt64, index: UInt64, sourceCount: Int) -> (source: Int, rng: SplitMix64) {
    precondition(sourceCount > 0, "AugmentConfiguration.draw: sourceCount must be > 0, got \(sourceCount)")
    var rng = SplitMix64(seed: seed, stream: index)
    let source = Int(rng.next().multipliedFullWidth(by: UInt64(sourceCount)).high)
    return (source, rng)
  }

  /// The draw for output sample `index` of a run with `seed`: a function of
  /// `(seed, index)` only (and `sourceCount`), so that output never depends
  /// on threads or on how the run is partitioned.
  ///
  /// Uses the generator `SplitMix64(seed: seed, stream: index)`: its first
  /// word picks the source, `⌊word · sourceCount / 2⁶⁴⌋` (uniform up to
  /// 2⁻⁶⁴·sourceCount bias), then ``sample(using:)`` continues on it.
  public func draw(seed: UInt64, index: UInt64, sourceCount: Int) -> SampleDraw {
    var (source, rng) = Self.sourceStream(seed: seed, index: index, sourceCount: sourceCount)
    return SampleDraw(index: index, sourceIndex: source, values: sample(using: &rng))
  }
}

/// The Keys cubic convolution kernel with `a = −0.5` (Catmull-Rom):
///
///     K(s) = 1.5|s|³ − 2.5|s|² + 1            for |s| ≤ 1
///     K(s) = −0.5|s|³ + 2.5|s|² − 4|s| + 2    for 1 < |s| < 2
///     K(s) = 0                                otherwise
///
/// (R. Keys, "Cubic convolution interpolation for digital image
/// processing", IEEE TASSP 29(6), 1981, doi:10.1109/TASSP.1981.1163711.)
/// For a position `i + t`, `t ∈ [0, 1]`, the weights of samples
/// `i−1, i, i+1, i+2` are `K(t+1), K(t), K(1−t), K(2−t)`, evaluated as
///
///     w₀ = t·(t·(1 − t/2) − 1/2)      w₁ = t²·(3t/2 − 5/2) + 1
///     w₂ = t·(t·(2 − 3t/2) + 1/2)     w₃ = t²·(t/2 − 1/2)
///
/// At `t = 0` they are exactly `(0, 1, 0, 0)` (up to the sign of zero), at
/// `t = 1` exactly `(0, 0, 1, 0)`: interpolation is exact at samples.
enum CubicKernel {
  /// The four weights for four fractions at once, each a vector over the
  /// fractions.
  @inline(__always)
  static func weights4(_ t: SIMD4<Float>)
    -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)
  {
    let tt = t * t
    let w0 = t * (t * (1 - 0.5 * t) - 0.5)
    let w1 = tt * (1.5 * t - 2.5) + 1
    let w2 = t * (t * (2 - 1.5 * t) + 0.5)
    let w3 = tt * (0.5 * t - 0.5)
    return (w0, w1, w2, w3)
  }

  /// The four weights in Double (for the elastic grid).
  @inline(__always)
  static func weights(_ t: Double) -> (Double, Double, Double, Double) {
    let tt = t * t
    let w0 = t * (t * (1 - 0.5 * t) - 0.5)
    let w1 = tt * (1.5 * t - 2.5) + 1
    let w2 = t * (t * (2 - 1.5 * t) + 0.5)
    let w3 = tt * (0.5 * t - 0.5)
    return (w0, w1, w2, w3)
  }
}

import RasterCore
import _Support

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Gray-value variations of an image (never of labels, masks or weights).
///
/// Applied in this order, each step skipped when its value is the identity
/// (so identity values leave the image bit for bit unchanged):
/// 1. gamma: `v ← sign(v)·|v|^γ` (sign-preserving, so values below 0 stay
///    below 0 and 0 and ±1 are fixed; Float `pow`);
/// 2. contrast: `v ← m + k·(v − m)`, `m` the channel's mean (Double sum)
///    after step 1;
/// 3. brightness: `v ← v + b`;
/// 4. noise: `v ← v + σ·z_i`, `z_i` the `i`-th standard normal of
///    `SplitMix64(seed: noiseSeed)` by Marsaglia's polar method (both
///    variates of each accepted pair, in Double), `i` the index in
///    ``Image/samples`` (row-major, channels interleaved).
public enum Intensity {
  /// Applies `values` to `image` in place.
  ///
  /// - Complexity: O(samples); one Double `log` and `sqrt` per two noise
  ///   samples.
  public static func apply(_ values: IntensityValues, to image: inout Image<Float>) {
    guard !values.isIdentity, !image.samples.isEmpty else { return }
    let ch = image.channels
    image.samples.withUnsafeMutableBufferPointer { v in
      if values.gamma != 1 {
        let g = Float(values.gamma)
        for i in v.indices {
          let a = v[i]
          let m = pow(abs(a), g)
          v[i] = a < 0 ? -m : m
        }
      }
      if values.contrast != 1 {
        let k = Float(values.contrast)
        for c in 0..<ch {
          var sum = 0.0
          for i in Swift.stride(from: c, to: v.count, by: ch) { sum += Double(v[i]) }
          let mean = Float(sum / Double(v.count / ch))
          for i in Swift.stride(from: c, to: v.count, by: ch) { v[i] = mean + k * (v[i] - mean) }
        }
      }
      if values.brightness != 0 {
        let b = Float(values.brightness)
        for i in v.indices { v[i] += b }
      }
      if values.noiseSigma != 0 {
        var normals = GaussianNoise(seed: values.noiseSeed)
        let sigma = values.noiseSigma
        var i = 0
        while i < v.count {
          let (z0, z1) = normals.nextPair()
          v[i] += Float(sigma * z0)
          if i + 1 < v.count { v[i + 1] += Float(sigma * z1) }
          i += 2
        }
      }
    }
  }

  /// `image` with `values` applied.
  public static func applied(_ values: IntensityValues, to image: Image<Float>) -> Image<Float> {
    var out = image
    apply(values, to: &out)
    return out
  }
}

/// Standard normals from a seed: Marsaglia's polar method on
/// `SplitMix64(seed:)` units mapped to (−1, 1).
struct GaussianNoise {
  var rng: SplitMix64

  init(seed: UInt64) { rng = SplitMix64(seed: seed) }

  mutating func nextPair() -> (Double, Double) {
    while true {
      let u = 2 * rng.unit() - 1
      let v = 2 * rng.unit() - 1
      let s = u * u + v * v
      if s > 0 && s < 1 {
        let f = (-2 * log(s) / s).squareRoot()
        return (u * f, v * f)
      }
    }
  }
}

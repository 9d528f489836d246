import Augment
import Foundation
import Raster
import Testing

@Suite("Intensity")
struct IntensityTests {
  /// Each variation against its definition (Double reference, Float
  /// tolerance 1e-6 for values about [0, 1]).
  @Test func variationsFollowDefinitions() {
    var rng = SplitMix64(seed: 61)
    var image = Inputs.noise(width: 20, height: 10, channels: 2, using: &rng)
    image.samples[3] = -0.25
    image.samples[4] = 0
    let g = IntensityValues(gamma: 0.8)
    let gammaOut = Intensity.applied(g, to: image)
    for i in image.samples.indices {
      let v = Double(image.samples[i])
      let expected = (v < 0 ? -1 : 1) * pow(abs(v), 0.8)
      #expect(abs(Double(gammaOut.samples[i]) - expected) <= 1e-6)
    }
    let c = Intensity.applied(IntensityValues(contrast: 1.3), to: image)
    for ch in 0..<2 {
      let values = Swift.stride(from: ch, to: image.samples.count, by: 2).map { Double(image.samples[$0]) }
      let mean = values.reduce(0, +) / Double(values.count)
      for (k, i) in Swift.stride(from: ch, to: image.samples.count, by: 2).enumerated() {
        #expect(abs(Double(c.samples[i]) - (mean + 1.3 * (values[k] - mean))) <= 1e-6)
      }
    }
    let b = Intensity.applied(IntensityValues(brightness: 0.125), to: image)
    #expect(b.samples == image.samples.map { $0 + 0.125 })
  }

  /// Noise is reproducible from its seed, differs between seeds, and has
  /// about the requested standard deviation.
  @Test func noiseIsReproducible() {
    let image = Image<Float>(width: 101, height: 99, channels: 1)
    let v = IntensityValues(noiseSigma: 0.05, noiseSeed: 42)
    let a = Intensity.applied(v, to: image)
    #expect(a == Intensity.applied(v, to: image))
    var other = v
    other.noiseSeed = 43
    #expect(a != Intensity.applied(other, to: image))
    let n = Double(a.samples.count)
    let mean = a.samples.reduce(0.0) { $0 + Double($1) } / n
    let sd = (a.samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
    #expect(abs(mean) < 0.002)
    #expect(abs(sd - 0.05) < 0.002)
  }

  /// Identity values leave the image unchanged, bit for bit.
  @Test func identityIsExact() {
    var rng = SplitMix64(seed: 62)
    let image = Inputs.noise(width: 13, height: 7, channels: 3, using: &rng)
    #expect(Intensity.applied(.identity, to: image) == image)
  }
}

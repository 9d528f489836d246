import Augment
import Raster
import Testing
import WeightMap

@Suite("SampleAugmenter")
struct SampleAugmenterTests {
  /// Recomputed weights are the weight mapper's on the warped labels, with
  /// given class weights or per-sample ones; the mask is its class map.
  @Test func recomputedWeightsComeFromWarpedLabels() throws {
    var rng = SplitMix64(seed: 71)
    let image = Inputs.smooth(width: 60, height: 50, channels: 3)
    let labels = Inputs.blobs(width: 60, height: 50, count: 10, using: &rng)
    let configuration = try AugmentConfiguration(shiftPixels: 5)
    let mapper = WeightMapper(
      try WeightMapConfiguration(w0: 10, sigmaPixels: 5, labelInterpretation: .instances))
    for classWeights in [nil, ClassWeights(background: 0.7, foreground: 2)] {
      let augmenter = SampleAugmenter(configuration: configuration, weightMapper: mapper, classWeights: classWeights)
      for k in 0..<5 {
        let p = configuration.draw(seed: 5, index: UInt64(k), sourceCount: 1).values
        let sample = augmenter.augment(image: image, labels: labels, values: p)
        let prepared = mapper.prepare(sample.labels)
        let expected = mapper.weights(
          for: prepared,
          classWeights: classWeights ?? mapper.configuration.resolvedClassWeights(for: prepared.counts))
        #expect(sample.weights == expected.weights)
        #expect(sample.mask == expected.mask)
        #expect(sample.image.channels == 3 && sample.image.width == 60 && sample.image.height == 50)
        // The image and labels are those of the map.
        let map = SamplingMap(values: p, width: 60, height: 50)
        #expect(sample.labels == Resampler().nearest(labels, along: map))
        #expect(
          sample.image
            == Intensity.applied(
              p.intensity, to: Resampler().resample(image, along: map, interpolation: .cubic)))
      }
    }
  }

  /// Warped weights are the source weights resampled linearly; the mask is
  /// the given one resampled nearest, or derived from the warped labels.
  @Test func warpedWeights() throws {
    var rng = SplitMix64(seed: 72)
    let image = Inputs.smooth(width: 40, height: 45)
    let labels = Inputs.blobs(width: 40, height: 45, count: 6, using: &rng)
    let mapper = WeightMapper()
    let source = mapper.compute(labels)
    let configuration = try AugmentConfiguration(border: .constant, weights: .warp)
    let augmenter = SampleAugmenter(configuration: configuration)
    let p = configuration.draw(seed: 2, index: 9, sourceCount: 1).values
    let map = SamplingMap(values: p, width: 40, height: 45)
    let resampler = Resampler(border: .constant)
    let withMask = augmenter.augment(
      image: image, labels: labels, weights: source.weights, mask: source.mask, values: p)
    #expect(withMask.weights == resampler.resample(source.weights, along: map, interpolation: .linear))
    #expect(withMask.mask == resampler.nearest(source.mask, along: map))
    let derived = augmenter.augment(image: image, labels: labels, weights: source.weights, values: p)
    let instances = mapper.prepare(derived.labels).instances
    #expect(derived.mask.samples == instances.samples.map { $0 != 0 ? 1 : 0 })
  }
}

import RasterCore
import WeightMap

/// Applies drawn values to one source sample: builds one
/// ``SamplingMap`` and resamples every array from the source with it — the
/// image with the configured interpolation, labels (and a given mask)
/// nearest, a given weight map linearly — then varies the image's gray
/// values and recomputes the weight map from the warped labels (or uses
/// the warped one). A pure function of its inputs.
///
/// Weights are recomputed with ``weightMapper``; with ``classWeights`` nil
/// they come from the mapper's configuration and this sample's counts (pass
/// the dataset's class weights for dataset-scope balancing).
///
/// - Complexity: O(width × height × channels) besides the weight map.
///   One thread; run samples in parallel for throughput.
public struct SampleAugmenter: Sendable {
  /// Interpolation, border and weight source (the other settings are used
  /// when drawing and normalising).
  public let configuration: AugmentConfiguration
  /// Computes the weight maps of warped labels.
  public let weightMapper: WeightMapper
  /// Fixed class weights `w_c`, or nil to resolve them per sample.
  public let classWeights: ClassWeights?

  public init(
    configuration: AugmentConfiguration = .standard, weightMapper: WeightMapper = WeightMapper(),
    classWeights: ClassWeights? = nil
  ) {
    self.configuration = configuration
    self.weightMapper = weightMapper
    self.classWeights = classWeights
  }

  /// The augmented sample of a normalised image, its instance labels and
  /// (for ``WeightSource/warp``) its weight map and optionally its mask.
  ///
  /// - Parameters:
  ///   - image: the normalised source image (``Normalization``), any channels.
  ///   - labels: instance labels, one channel, the image's size.
  ///   - weights: the source's weight map; required with
  ///     ``WeightSource/warp``, ignored with ``WeightSource/recompute``.
  ///   - mask: the source's class mask, resampled nearest with
  ///     ``WeightSource/warp``; nil derives it from the warped labels.
  ///   - values: the drawn values.
  public func augment(
    image: Image<Float>, labels: LabelImage, weights: Image<Float>? = nil,
    mask: Image<UInt8>? = nil, values: DrawnValues
  ) -> AugmentedSample {
    let map = SamplingMap(values: values, width: image.width, height: image.height)
    return augment(
      image: image, labels: labels, weights: weights, mask: mask, map: map,
      intensity: values.intensity)
  }

  /// As ``augment(image:labels:weights:mask:values:)``, along a given
  /// sampling map (that one builds `SamplingMap(values:width:height:)`).
  public func augment(
    image: Image<Float>, labels: LabelImage, weights: Image<Float>? = nil,
    mask: Image<UInt8>? = nil, map: SamplingMap, intensity: IntensityValues
  ) -> AugmentedSample {
    check(image: image, labels: labels, weights: weights)
    let resampler = Resampler(border: configuration.border)
    let warp = configuration.weights == .warp
    return finish(
      image: resampler.resample(image, along: map, interpolation: configuration.interpolation),
      labels: resampler.nearest(labels, along: map),
      weights: warp ? weights.map { resampler.resample($0, along: map, interpolation: .linear) } : nil,
      mask: warp ? mask.map { resampler.nearest($0, along: map) } : nil,
      intensity: intensity)
  }

  private func check(image: Image<Float>, labels: LabelImage, weights: Image<Float>?) {
    precondition(labels.channels == 1, "SampleAugmenter: labels have \(labels.channels) channels, expected 1")
    precondition(
      labels.width == image.width && labels.height == image.height,
      "SampleAugmenter: \(image.width)x\(image.height) image with \(labels.width)x\(labels.height) labels")
    guard configuration.weights == .warp else { return }
    guard let weights else {
      preconditionFailure("SampleAugmenter: weights: .warp needs the source weight map")
    }
    precondition(
      weights.channels == 1 && weights.width == image.width && weights.height == image.height,
      "SampleAugmenter: the weight map must be one channel of the image's size")
  }

  /// Gray values of the warped image; weights and mask of the warped labels.
  private func finish(
    image: Image<Float>, labels: LabelImage, weights: Image<Float>?, mask: Image<UInt8>?,
    intensity: IntensityValues
  ) -> AugmentedSample {
    var outImage = image
    Intensity.apply(intensity, to: &outImage)
    switch configuration.weights {
    case .recompute:
      let prepared = weightMapper.prepare(labels)
      let cw = classWeights ?? weightMapper.configuration.resolvedClassWeights(for: prepared.counts)
      let result = weightMapper.weights(for: prepared, classWeights: cw)
      return AugmentedSample(image: outImage, labels: labels, mask: result.mask, weights: result.weights)
    case .warp:
      let outMask: Image<UInt8>
      if let mask {
        outMask = mask
      } else {
        let instances = weightMapper.prepare(labels).instances
        outMask = Image(
          width: instances.width, height: instances.height,
          samples: instances.samples.map { $0 != 0 ? 1 : 0 })
      }
      return AugmentedSample(image: outImage, labels: labels, mask: outMask, weights: weights!)
    }
  }
}

import RasterCore
import WeightMap

/// One augmented volume: every array the size and spacing of the source.
public struct AugmentedVolume: Sendable, Equatable {
  /// The normalised image, resampled and gray-value varied.
  public let image: Volume<Float>
  /// The source's instance labels, resampled by nearest neighbour.
  public let labels: LabelVolume
  /// 0 background, 1 foreground: of the warped labels after normalisation
  /// and separation (or the source mask, resampled, with warped weights).
  public let mask: Volume<UInt8>
  /// The weight map (recomputed or warped, see ``WeightSource``).
  public let weights: Volume<Float>
}

extension SampleAugmenter {
  /// The augmented sample of a normalised volume, its instance labels and
  /// (for ``WeightSource/warp``) its weight map and mask — the 2-D pipeline
  /// in three dimensions: one ``VolumeSamplingMap``, the image resampled
  /// with the configured interpolation (tricubic by default), labels and
  /// mask nearest, a given weight map trilinearly; then gray values, and
  /// the weight map recomputed from the warped labels with the volume's
  /// spacing (σ in its unit). A pure function of its inputs.
  ///
  /// - Precondition: labels (and weights, mask) of the image's size.
  public func augment(
    volume image: Volume<Float>, labels: LabelVolume, weights: Volume<Float>? = nil, mask: Volume<UInt8>? = nil,
    values: DrawnVolumeValues
  ) -> AugmentedVolume {
    precondition(
      labels.width == image.width && labels.height == image.height && labels.depth == image.depth,
      "SampleAugmenter: \(image.width)x\(image.height)x\(image.depth) image with \(labels.width)x\(labels.height)x\(labels.depth) labels")
    let warp = configuration.weights == .warp
    precondition(!warp || weights != nil, "SampleAugmenter: weights: .warp needs the source weight map")
    let map = VolumeSamplingMap(values: values, width: image.width, height: image.height, depth: image.depth)
    let resampler = Resampler(border: configuration.border)
    var out = resampler.resample(image, along: map, interpolation: configuration.interpolation)
    let warped = resampler.nearest(labels, along: map)
    var flat = out.flat
    Intensity.apply(values.intensity, to: &flat)
    out.samples = flat.samples
    if warp, let weights {
      let outMask = mask.map { resampler.nearest($0, along: map) } ?? Self.classes(of: weightMapper.prepare(warped).instances)
      return AugmentedVolume(
        image: out, labels: warped, mask: outMask,
        weights: resampler.resample(weights, along: map, interpolation: .linear))
    }
    let prepared = weightMapper.prepare(warped)
    let cw = classWeights ?? weightMapper.configuration.resolvedClassWeights(for: prepared.counts)
    let result = weightMapper.weights(for: prepared, classWeights: cw)
    return AugmentedVolume(image: out, labels: warped, mask: result.mask, weights: result.weights)
  }

  /// 1 where an instance is, 0 elsewhere.
  static func classes(of instances: LabelVolume) -> Volume<UInt8> {
    Volume(
      width: instances.width, height: instances.height, depth: instances.depth, spacing: instances.spacing,
      samples: instances.samples.map { $0 != 0 ? 1 : 0 })
  }
}

import AugmentCore
import RasterCore
import WeightMap
import _Support

/// The sources of an augmented dataset, prepared as `unet augment` prepares
/// them (normalised images, instance labels, the set's class weights), and
/// the settings that turn sample `k` into arrays. Immutable: samples may be
/// made from several threads at once.
final class AugmenterState: Sendable {
  let options: AugmenterOptions
  let mapper: WeightMapper
  let images: [Image<Float>]
  let labels: [LabelImage]
  let volumes: [Volume<Float>]
  let labelVolumes: [LabelVolume]
  /// Source weight maps and masks, for `weights: warp`.
  let sourceWeights: [(weights: [Float], mask: [UInt8])]
  let volumeConfiguration: VolumeAugmentConfiguration?
  let augmenter: SampleAugmenter
  var count: Int { max(images.count, volumes.count) }

  init(images rawImages: [AnyImage], labels rawLabels: [LabelImage], options: AugmenterOptions) {
    self.options = options
    let mapper = WeightMapper(options.weightMap)
    self.mapper = mapper
    let connectivity = options.weightMap.connectivity
    images = rawImages.map { options.configuration.normalization.apply(to: $0) }
    labels = rawLabels.map { InstanceLabels.normalize($0, connectivity: connectivity) }
    let prepared = labels.map { mapper.prepare($0) }
    let classWeights = mapper.configuration.resolvedClassWeights(for: prepared.map(\.counts).reduce(ClassCounts(), +))
    if options.configuration.weights == .warp {
      sourceWeights = prepared.map { p in
        let result = mapper.weights(for: p, classWeights: classWeights)
        return (result.weights.samples, result.mask.samples)
      }
    } else {
      sourceWeights = []
    }
    volumes = []
    labelVolumes = []
    volumeConfiguration = nil
    augmenter = Self.augmenter(options, mapper, classWeights)
  }

  init(volumes rawVolumes: [AnyVolume], labels rawLabels: [LabelVolume], options: AugmenterOptions) throws {
    self.options = options
    let mapper = WeightMapper(options.weightMap)
    self.mapper = mapper
    let connectivity = options.weightMap.connectivity
    let spacing = options.spacing ?? .unit
    volumes = rawVolumes.map { raw in
      var volume = options.configuration.normalization.apply(to: raw)
      volume.spacing = spacing
      return volume
    }
    labelVolumes = rawLabels.map { raw in
      var labels = raw
      labels.spacing = spacing
      return InstanceLabels.normalize(labels, connectivity: connectivity)
    }
    let prepared = labelVolumes.map { mapper.prepare($0) }
    let classWeights = mapper.configuration.resolvedClassWeights(for: prepared.map(\.counts).reduce(ClassCounts(), +))
    if options.configuration.weights == .warp {
      sourceWeights = prepared.map { p in
        let result = mapper.weights(for: p, classWeights: classWeights)
        return (result.weights.samples, result.mask.samples)
      }
    } else {
      sourceWeights = []
    }
    images = []
    labels = []
    volumeConfiguration = try naming(["sigmaZ": "elastic_sigma_z"]) {
      try VolumeAugmentConfiguration(
        options.configuration,
        sigmaZ: options.elasticSigmaZ ?? options.configuration.sigmaPixels * spacing.x / spacing.z)
    }
    augmenter = Self.augmenter(options, mapper, classWeights)
  }

  /// As `AugmentedDataset` makes it: the set's class weights unless balanced per image.
  private static func augmenter(_ options: AugmenterOptions, _ mapper: WeightMapper, _ classWeights: ClassWeights)
    -> SampleAugmenter
  {
    SampleAugmenter(
      configuration: options.configuration, weightMapper: mapper,
      classWeights: options.weightMap.classWeights == .balanced(.image) ? nil : classWeights)
  }

  /// The source that sample `index` is made from.
  func source(of index: UInt64) -> Int {
    if let volumeConfiguration {
      volumeConfiguration.draw(seed: options.seed, index: index, sourceCount: count).sourceIndex
    } else {
      options.configuration.draw(seed: options.seed, index: index, sourceCount: count).sourceIndex
    }
  }

  /// Sample `index`'s image, mask, labels and weights, in `unet augment`'s order.
  func sample(_ index: UInt64) -> (image: [Float], mask: [UInt8], labels: [UInt32], weights: [Float]) {
    let warp = options.configuration.weights == .warp
    if let volumeConfiguration {
      let draw = volumeConfiguration.draw(seed: options.seed, index: index, sourceCount: count)
      let i = draw.sourceIndex
      let source = volumes[i]
      func volume<S: PixelSample>(_ samples: [S]) -> Volume<S> {
        Volume(width: source.width, height: source.height, depth: source.depth, spacing: source.spacing, samples: samples)
      }
      let out = augmenter.augment(
        volume: source, labels: labelVolumes[i], weights: warp ? volume(sourceWeights[i].weights) : nil,
        mask: warp ? volume(sourceWeights[i].mask) : nil, values: draw.values)
      return (out.image.samples, out.mask.samples, out.labels.samples, out.weights.samples)
    }
    let draw = options.configuration.draw(seed: options.seed, index: index, sourceCount: count)
    let i = draw.sourceIndex
    let source = images[i]
    func image<S: PixelSample>(_ samples: [S]) -> Image<S> {
      Image(width: source.width, height: source.height, samples: samples)
    }
    let out = augmenter.augment(
      image: source, labels: labels[i], weights: warp ? image(sourceWeights[i].weights) : nil,
      mask: warp ? image(sourceWeights[i].mask) : nil, values: draw.values)
    // image.npy holds several channels as (C, H, W).
    return (out.image.planarSamples, out.mask.samples, out.labels.samples, out.weights.samples)
  }
}

/// The sample types of source images (`UNETKIT_IMAGE_*`).
private func anyImage(
  type: Int32, width: Int, height: Int, channels: Int, _ pointer: UnsafeRawPointer, _ index: Int
) throws -> AnyImage {
  let n = width * height * channels
  func image<S: PixelSample>(_: S.Type) -> Image<S> {
    Image(
      width: width, height: height, channels: channels,
      samples: Array(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: S.self), count: n)))
  }
  switch type {
  case 0: return .uint8(image(UInt8.self))
  case 1: return .uint16(image(UInt16.self))
  case 2: return .uint32(image(UInt32.self))
  case 3: return .int32(image(Int32.self))
  case 4: return .float32(image(Float.self))
  default: throw CallError("invalid image type \(type) of source \(index): must be 0...4")
  }
}

@_cdecl("unetkit_augmenter_create")
public func unetkitAugmenterCreate(
  _ ndim: Int32, _ count: Int32, _ shapes: UnsafePointer<Int64>?, _ channels: UnsafePointer<Int32>?,
  _ imageTypes: UnsafePointer<Int32>?, _ images: UnsafePointer<UnsafeRawPointer?>?,
  _ labels: UnsafePointer<UnsafePointer<UInt32>?>?, _ optionsJSON: UnsafePointer<CChar>?,
  _ augmenter: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
  _ message: UnsafeMutablePointer<CChar>?, _ messageCapacity: Int64
) -> Int32 {
  reporting(message, messageCapacity) {
    guard let augmenter else { throw CallError("augmenter is NULL") }
    augmenter.pointee = nil
    guard count >= 1 else { throw CallError("an augmenter needs at least one source") }
    guard ndim == 2 || ndim == 3 else { throw CallError("sources must be 2-D or 3-D, got \(ndim)-D") }
    guard let shapes, let imageTypes, let images, let labels else { throw CallError("a source array is NULL") }
    guard let optionsJSON else { throw CallError("options is NULL") }
    let options = try AugmenterOptions(json: String(cString: optionsJSON))
    try checkGrid(options.configuration.gridSize, dimensions: Int(ndim))
    var sizes: [ArrayShape] = []
    for i in 0..<Int(count) {
      let size = try ArrayShape(ndim: ndim, shape: shapes + i * Int(ndim))
      let c = Int(channels?[i] ?? 1)
      guard (1...4).contains(c), ndim == 2 || c == 1 else {
        throw CallError("source \(i) has \(c) channels: images take 1 to 4, volumes 1")
      }
      guard size.count * c <= elementLimit else { throw CallError(.tooLarge, "source \(i) exceeds the size limit") }
      guard images[i] != nil, labels[i] != nil else { throw CallError("source \(i) is NULL") }
      sizes.append(size)
    }
    let state: AugmenterState
    if ndim == 2 {
      var raw: [AnyImage] = []
      var ids: [LabelImage] = []
      for (i, size) in sizes.enumerated() {
        raw.append(
          try anyImage(
            type: imageTypes[i], width: size.width, height: size.height, channels: Int(channels?[i] ?? 1), images[i]!, i))
        ids.append(
          LabelImage(
            width: size.width, height: size.height,
            samples: Array(UnsafeBufferPointer(start: labels[i]!, count: size.count))))
      }
      state = AugmenterState(images: raw, labels: ids, options: options)
    } else {
      var raw: [AnyVolume] = []
      var ids: [LabelVolume] = []
      for (i, size) in sizes.enumerated() {
        let flat = try anyImage(
          type: imageTypes[i], width: size.width, height: size.height * size.depth, channels: 1, images[i]!, i)
        raw.append(AnyVolume(flat: flat, depth: size.depth))
        ids.append(
          LabelVolume(
            width: size.width, height: size.height, depth: size.depth,
            samples: Array(UnsafeBufferPointer(start: labels[i]!, count: size.count))))
      }
      state = try AugmenterState(volumes: raw, labels: ids, options: options)
    }
    augmenter.pointee = Unmanaged.passRetained(state).toOpaque()
  }
}

@_cdecl("unetkit_augmenter_source")
public func unetkitAugmenterSource(_ augmenter: UnsafeRawPointer?, _ index: UInt64) -> Int32 {
  guard let augmenter else { return -1 }
  return Int32(Unmanaged<AugmenterState>.fromOpaque(augmenter).takeUnretainedValue().source(of: index))
}

@_cdecl("unetkit_augmenter_sample")
public func unetkitAugmenterSample(
  _ augmenter: UnsafeRawPointer?, _ index: UInt64, _ image: UnsafeMutablePointer<Float>?,
  _ mask: UnsafeMutablePointer<UInt8>?, _ labels: UnsafeMutablePointer<UInt32>?,
  _ weights: UnsafeMutablePointer<Float>?,
  _ message: UnsafeMutablePointer<CChar>?, _ messageCapacity: Int64
) -> Int32 {
  reporting(message, messageCapacity) {
    guard let augmenter else { throw CallError("augmenter is NULL") }
    let state = Unmanaged<AugmenterState>.fromOpaque(augmenter).takeUnretainedValue()
    let out = state.sample(index)
    store(out.image, into: image)
    store(out.mask, into: mask)
    store(out.labels, into: labels)
    store(out.weights, into: weights)
  }
}

@_cdecl("unetkit_augmenter_free")
public func unetkitAugmenterFree(_ augmenter: UnsafeMutableRawPointer?) {
  guard let augmenter else { return }
  Unmanaged<AugmenterState>.fromOpaque(augmenter).release()
}

import Raster

/// The fields of one sample of a UNetKit dataset — the one definition that
/// the dataset writer (`Augment`'s ``AugmentedDataset``, `unet augment`)
/// and its readers (`UNet`'s training stream, the Python examples) share.
///
/// | field | 2-D (``image``) | 3-D (``volume``) |
/// |---|---|---|
/// | `image.npy` | float32 `(H, W)`, or `(C, H, W)` for C > 1 channels | float32 `(D, H, W)` |
/// | `mask.png` / `mask.npy` | 8-bit gray PNG, 0 background, 1 foreground | uint8 `(D, H, W)` in `mask.npy` (PNG is 2-D) |
/// | `labels.npy` (optional) | uint32 `(H, W)` instance ids | uint32 `(D, H, W)` |
/// | `weight.npy` | float32 `(H, W)` | float32 `(D, H, W)` |
/// | `json` | one line of JSON: source and drawn values | the same |
///
/// Entries appear in that order, named `KEY.FIELD`. A 3-D dataset's manifest
/// records `"dimensions": 3` and the voxel spacing among its parameters
/// (``DatasetDescription/layout`` and ``DatasetDescription/spacing``), so
/// that no reader takes `(D, H, W)` for `(C, H, W)`; a 2-D manifest has
/// neither key (2 is the default).
public enum SampleLayout: Sendable, Equatable, CaseIterable {
  /// 2-D samples.
  case image
  /// 3-D samples.
  case volume

  /// `image.npy`.
  public static let imageField = "image.npy"
  /// `labels.npy`.
  public static let labelsField = "labels.npy"
  /// `weight.npy`.
  public static let weightField = "weight.npy"
  /// `json`.
  public static let recordField = "json"
  /// The manifest entry that names the dimensionality.
  public static let dimensionsKey = DatasetDescription.Key.dimensions.rawValue
  /// The manifest entry that holds a 3-D dataset's voxel spacing.
  public static let spacingKey = DatasetDescription.Key.spacing.rawValue

  /// 2 or 3.
  public var dimensions: Int { self == .image ? 2 : 3 }

  /// `mask.png` in 2-D, `mask.npy` in 3-D.
  public var maskField: String { self == .image ? "mask.png" : "mask.npy" }

  /// The field names of a sample, in entry order.
  public func fields(labels: Bool) -> [String] {
    [Self.imageField, maskField] + (labels ? [Self.labelsField] : []) + [Self.weightField, Self.recordField]
  }

  // MARK: Manifest

  /// The layout a dataset's manifest parameters declare: ``volume`` for
  /// `"dimensions": 3`, ``image`` when the key is absent or 2 (see
  /// ``DatasetDescription/layout``).
  ///
  /// - Throws: ``ShardError`` `.invalidManifest` naming `path` for another value.
  public init(configuration: JSONValue, path: String) throws {
    self = try DatasetDescription.layout(of: configuration, path: path)
  }

  /// The manifest parameters that declare this layout: none for 2-D (so
  /// 2-D manifests stay as they were), `dimensions` and `spacing` (z, y, x
  /// and the unit) for 3-D, as ``DatasetDescription/json`` writes them.
  public static func manifestEntries(spacing: VoxelSpacing) -> [String: JSONValue] {
    guard case .object(let members) = DatasetDescription(layout: .volume, spacing: spacing).json else { return [:] }
    return members
  }

  // MARK: Writing

  /// The sample of a 2-D image, its mask, optional labels, weights and record.
  ///
  /// - Precondition: one-channel mask, labels and weights of the image's size.
  /// - Throws: ``ShardError`` for a key that breaks the naming rules.
  public static func encode(
    key: String, image: Image<Float>, mask: Image<UInt8>, labels: LabelImage?, weights: Image<Float>, record: [UInt8]
  ) throws -> ShardSample {
    for (name, w, h, c) in [
      ("mask", mask.width, mask.height, mask.channels), ("weights", weights.width, weights.height, weights.channels),
    ] + (labels.map { [("labels", $0.width, $0.height, $0.channels)] } ?? []) {
      precondition(w == image.width && h == image.height && c == 1, "SampleLayout: \(name) differ from the image")
    }
    var fields: [ShardSample.Field] = [
      .init(name: imageField, bytes: try ImageFile.encoded(AnyImage(image), as: .npy, channelsFirst: true)),
      .init(name: SampleLayout.image.maskField, bytes: try ImageFile.encoded(AnyImage(mask), as: .png)),
    ]
    if let labels { fields.append(.init(name: labelsField, bytes: try ImageFile.encoded(AnyImage(labels), as: .npy))) }
    fields.append(.init(name: weightField, bytes: try ImageFile.encoded(AnyImage(weights), as: .npy)))
    fields.append(.init(name: recordField, bytes: record))
    return try ShardSample(key: key, fields: fields)
  }

  /// The sample of a volume, its mask, optional labels, weights and record.
  ///
  /// - Precondition: mask, labels and weights of the image's size.
  /// - Throws: ``ShardError`` for a key that breaks the naming rules.
  public static func encode(
    key: String, volume image: Volume<Float>, mask: Volume<UInt8>, labels: LabelVolume?, weights: Volume<Float>,
    record: [UInt8]
  ) throws -> ShardSample {
    func same<S>(_ v: Volume<S>) -> Bool { v.width == image.width && v.height == image.height && v.depth == image.depth }
    precondition(same(mask) && same(weights) && labels.map(same) != false, "SampleLayout: arrays of different sizes")
    var fields: [ShardSample.Field] = [
      .init(name: imageField, bytes: try ImageFile.encoded(AnyVolume(image), as: .npy)),
      .init(name: SampleLayout.volume.maskField, bytes: try ImageFile.encoded(AnyVolume(mask), as: .npy)),
    ]
    if let labels { fields.append(.init(name: labelsField, bytes: try ImageFile.encoded(AnyVolume(labels), as: .npy))) }
    fields.append(.init(name: weightField, bytes: try ImageFile.encoded(AnyVolume(weights), as: .npy)))
    fields.append(.init(name: recordField, bytes: record))
    return try ShardSample(key: key, fields: fields)
  }

  // MARK: Reading

  /// The arrays of a decoded 2-D sample.
  public struct ImageSample: Sendable, Equatable {
    /// Float32, C channels interleaved (`image.npy` holds them as `(C, H, W)`).
    public var image: Image<Float>
    public var mask: Image<UInt8>
    public var weights: Image<Float>
    /// Nil when the dataset was written without labels.
    public var labels: LabelImage?
  }

  /// The arrays of a decoded 3-D sample.
  public struct VolumeSample: Sendable, Equatable {
    public var image: Volume<Float>
    public var mask: Volume<UInt8>
    public var weights: Volume<Float>
    public var labels: LabelVolume?
  }

  /// Decodes the 2-D fields of `sample` (the record is left alone).
  ///
  /// - Parameters:
  ///   - shard: the shard's path, named in errors.
  ///   - labels: whether to decode `labels.npy` when present.
  /// - Throws: ``ShardError`` `.invalidSample` naming the shard and entry
  ///   when a field is missing, of another type or shape, or the arrays'
  ///   sizes differ; ``RasterError`` for a field that does not decode.
  public static func decodeImage(_ sample: ShardSample, shard: String, labels wantLabels: Bool = true) throws -> ImageSample {
    let layout = SampleLayout.image
    let image = try layout.field(Self.imageField, of: sample, shard: shard) { bytes, name -> Image<Float>? in
      guard case .float32(let i) = try ImageFile.decoded(bytes, as: .npy, name: name, channelsFirst: true) else { return nil }
      return i
    }!
    let mask = try layout.field(layout.maskField, of: sample, shard: shard, expected: "an 8-bit gray PNG of class indices") {
      bytes, name -> Image<UInt8>? in
      guard case .uint8(let m) = try ImageFile.decoded(bytes, as: .png, name: name), m.channels == 1 else { return nil }
      return m
    }!
    let weights = try layout.field(Self.weightField, of: sample, shard: shard) { bytes, name -> Image<Float>? in
      guard case .float32(let w) = try ImageFile.decoded(bytes, as: .npy, name: name), w.channels == 1 else { return nil }
      return w
    }!
    let labels = !wantLabels ? nil : try layout.field(Self.labelsField, of: sample, shard: shard, required: false) {
      bytes, name -> LabelImage? in
      guard case .uint32(let l) = try ImageFile.decoded(bytes, as: .npy, name: name), l.channels == 1 else { return nil }
      return l
    }
    guard image.width > 0, image.height > 0 else {
      throw ShardError(.invalidSample, path: shard, entry: sample.key + "." + imageField, "the image is empty")
    }
    let arrays = [(layout.maskField, mask.width, mask.height), (weightField, weights.width, weights.height)]
      + (labels.map { [(labelsField, $0.width, $0.height)] } ?? [])
    for (name, w, h) in arrays where (w, h) != (image.width, image.height) {
      throw ShardError(
        .invalidSample, path: shard, entry: sample.key + "." + name,
        "is \(w) x \(h) but \(imageField) is \(image.width) x \(image.height) (width x height)")
    }
    return ImageSample(image: image, mask: mask, weights: weights, labels: labels)
  }

  /// Decodes the 3-D fields of `sample` (the record is left alone), and
  /// `labels.npy` when present and `labels` asks for it; see
  /// ``decodeImage(_:shard:labels:)`` for the errors.
  public static func decodeVolume(_ sample: ShardSample, shard: String, labels wantLabels: Bool = true) throws
    -> VolumeSample
  {
    let layout = SampleLayout.volume
    func volume<S: PixelSample>(_ field: String, _: S.Type, required: Bool = true) throws -> Volume<S>? {
      try layout.field(field, of: sample, shard: shard, required: required) { bytes, name in
        try ImageFile.decodedVolume(bytes, as: .npy, name: name).typed(S.self)
      }
    }
    let image = try volume(imageField, Float.self)!
    let mask = try volume(layout.maskField, UInt8.self)!
    let weights = try volume(weightField, Float.self)!
    let labels = wantLabels ? try volume(labelsField, UInt32.self, required: false) : nil
    let size = (image.width, image.height, image.depth)
    let arrays = [(layout.maskField, mask.width, mask.height, mask.depth), (weightField, weights.width, weights.height, weights.depth)]
      + (labels.map { [(labelsField, $0.width, $0.height, $0.depth)] } ?? [])
    for (name, w, h, d) in arrays where (w, h, d) != size {
      throw ShardError(
        .invalidSample, path: shard, entry: sample.key + "." + name,
        "is \(w) x \(h) x \(d) but \(imageField) is \(size.0) x \(size.1) x \(size.2) (width x height x depth)")
    }
    return VolumeSample(image: image, mask: mask, weights: weights, labels: labels)
  }

  /// Field `name` of `sample` decoded by `decode` (nil: the wrong type or shape).
  private func field<T>(
    _ name: String, of sample: ShardSample, shard: String, required: Bool = true, expected: String? = nil,
    _ decode: ([UInt8], String) throws -> T?
  ) throws -> T? {
    let entry = sample.key + "." + name
    guard let bytes = sample[field: name] else {
      guard required else { return nil }
      throw ShardError(
        .invalidSample, path: shard, entry: entry,
        "the sample has no \(name); write the dataset with unet augment, which stores it")
    }
    guard let value = try decode(bytes, "\(shard): entry \"\(entry)\"") else {
      throw ShardError(.invalidSample, path: shard, entry: entry, "expected \(expected ?? description(of: name))")
    }
    return value
  }

  /// What field `name` holds, in words.
  private func description(of name: String) -> String {
    let shape = self == .image ? "(H, W)" : "(D, H, W)"
    switch name {
    case Self.imageField: return "float32 of shape " + (self == .image ? "(H, W) or (C, H, W)" : shape)
    case Self.weightField: return "float32 of shape \(shape)"
    case Self.labelsField: return "uint32 of shape \(shape)"
    default: return "uint8 of shape \(shape)"
    }
  }
}

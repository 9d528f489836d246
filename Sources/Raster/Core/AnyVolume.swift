/// A volume whose sample type is known only at run time, as read from a file.
///
/// Held as its slices stacked into one `width × (height·depth)` image
/// (``Volume/flat``), so that every per-sample operation of ``AnyImage``
/// (type, range, conversion, label checks) serves volumes too.
public struct AnyVolume: Sendable, Equatable {
  /// The samples, slices stacked top to bottom, one channel.
  public let flat: AnyImage
  /// Slices (z).
  public let depth: Int
  /// The physical size of a voxel.
  public var spacing: VoxelSpacing

  /// Wraps a typed volume.
  public init<S: PixelSample>(_ volume: Volume<S>) {
    flat = AnyImage(volume.flat)
    depth = volume.depth
    spacing = volume.spacing
  }

  /// Stacks slices of one size, channel count 1 and sample type.
  ///
  /// - Precondition: `flat` has one channel and a multiple of `depth` rows.
  public init(flat: AnyImage, depth: Int, spacing: VoxelSpacing = .unit) {
    precondition(flat.channels == 1 && depth > 0 && flat.height % depth == 0, "AnyVolume: bad flat image")
    self.flat = flat
    self.depth = depth
    self.spacing = spacing
  }

  public var width: Int { flat.width }
  public var height: Int { flat.height / depth }
  public var sampleType: SampleType { flat.sampleType }
  /// `width * height * depth`.
  public var voxelCount: Int { flat.width * flat.height }

  /// The smallest and largest sample (NaNs skipped), or nil when empty.
  public var range: (min: Double, max: Double)? { flat.range }

  /// The number of distinct non-zero values of an integer volume; nil for float.
  public var distinctNonZeroCount: Int? { flat.distinctNonZeroCount }

  /// The volume as `Volume<S>`, or nil when its samples are of another type.
  public func typed<S: PixelSample>(_: S.Type) -> Volume<S>? {
    let image: Image<S>?
    switch flat {
    case .uint8(let i): image = i as? Image<S>
    case .uint16(let i): image = i as? Image<S>
    case .uint32(let i): image = i as? Image<S>
    case .int32(let i): image = i as? Image<S>
    case .float32(let i): image = i as? Image<S>
    }
    return image.map { Volume(flat: $0, depth: depth, spacing: spacing) }
  }

  /// Every sample converted to Float.
  public func floatVolume() -> Volume<Float> {
    Volume(flat: flat.floatImage(), depth: depth, spacing: spacing)
  }

  /// The volume as instance labels: integer, non-negative.
  ///
  /// - Throws: ``RasterError`` (`.unsupported`) naming `path` for float
  ///   samples or a negative value.
  public func labels(path: String) throws -> LabelVolume {
    Volume(flat: try flat.labels(path: path), depth: depth, spacing: spacing)
  }

  /// Slice `z` as an image of the run-time type.
  public func slice(_ z: Int) -> AnyImage {
    precondition(z >= 0 && z < depth, "AnyVolume: no slice \(z) in a volume of depth \(depth)")
    func cut<S: PixelSample>(_ i: Image<S>) -> AnyImage {
      let n = i.width * height
      return AnyImage(Image(width: i.width, height: height, samples: Array(i.samples[(z * n)..<((z + 1) * n)])))
    }
    switch flat {
    case .uint8(let i): return cut(i)
    case .uint16(let i): return cut(i)
    case .uint32(let i): return cut(i)
    case .int32(let i): return cut(i)
    case .float32(let i): return cut(i)
    }
  }
}

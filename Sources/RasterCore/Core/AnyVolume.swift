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

  /// Stacks slices (z = 0 first) of one size, one channel and one sample type.
  ///
  /// - Throws: ``RasterError`` `.unsupported` naming `path` when they differ.
  public init(slices: [AnyImage], spacing: VoxelSpacing = .unit, path: String) throws {
    guard let first = slices.first else { throw RasterError(.unsupported, path: path, "a volume needs a slice") }
    for (z, s) in slices.enumerated() {
      guard s.channels == 1, s.width == first.width, s.height == first.height, s.sampleType == first.sampleType else {
        throw RasterError(
          .unsupported, path: path,
          "slice \(z) is \(s.width) x \(s.height), \(s.channels) channel(s) of \(s.sampleType.rawValue), but slice 0 is "
            + "\(first.width) x \(first.height), 1 channel of \(first.sampleType.rawValue)")
      }
    }
    func stack<S: PixelSample>(_: Image<S>) -> AnyImage {
      var samples: [S] = []
      samples.reserveCapacity(first.width * first.height * slices.count)
      for s in slices {
        switch s {
        case .uint8(let i): samples += i.samples as! [S]
        case .uint16(let i): samples += i.samples as! [S]
        case .uint32(let i): samples += i.samples as! [S]
        case .int32(let i): samples += i.samples as! [S]
        case .float32(let i): samples += i.samples as! [S]
        }
      }
      return AnyImage(Image(width: first.width, height: first.height * slices.count, samples: samples))
    }
    switch first {
    case .uint8(let i): flat = stack(i)
    case .uint16(let i): flat = stack(i)
    case .uint32(let i): flat = stack(i)
    case .int32(let i): flat = stack(i)
    case .float32(let i): flat = stack(i)
    }
    depth = slices.count
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

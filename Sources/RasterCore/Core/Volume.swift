/// A 3-D image of one sample per voxel: `depth` slices of `height` rows of
/// `width` samples, with the physical size of a voxel.
///
/// Layout: slice after slice, each row-major — sample `(x, y, z)` lives at
/// `samples[(z * height + y) * width + x]`, the order of a C-contiguous
/// numpy array of shape `(depth, height, width)`. Axes and spacing are
/// listed in that order, (z, y, x), as NPY stores them; sizes on the
/// command line are written W × H × D like the 2-D W × H.
public struct Volume<Sample: PixelSample>: Sendable, Equatable {
  /// Voxels per row (x).
  public let width: Int
  /// Rows per slice (y).
  public let height: Int
  /// Slices (z).
  public let depth: Int
  /// `width * height * depth` samples, slice after slice, each row-major.
  public var samples: [Sample]
  /// The physical size of a voxel along z, y and x.
  public var spacing: VoxelSpacing

  /// Wraps existing samples; the count must be `width * height * depth`.
  public init(width: Int, height: Int, depth: Int, spacing: VoxelSpacing = .unit, samples: [Sample]) {
    precondition(width >= 0 && height >= 0 && depth >= 0, "Volume: negative size \(width)x\(height)x\(depth)")
    precondition(
      samples.count == width * height * depth,
      "Volume: \(samples.count) samples for \(width)x\(height)x\(depth)")
    self.width = width
    self.height = height
    self.depth = depth
    self.spacing = spacing
    self.samples = samples
  }

  /// A volume filled with one value.
  public init(width: Int, height: Int, depth: Int, spacing: VoxelSpacing = .unit, repeating value: Sample = .zero) {
    self.init(
      width: width, height: height, depth: depth, spacing: spacing,
      samples: [Sample](repeating: value, count: width * height * depth))
  }

  /// A volume of one-channel slices of equal size, first slice at z = 0.
  public init(slices: [Image<Sample>], spacing: VoxelSpacing = .unit) {
    let first = slices.first
    let (w, h) = (first?.width ?? 0, first?.height ?? 0)
    precondition(
      slices.allSatisfy { $0.channels == 1 && $0.width == w && $0.height == h },
      "Volume: slices must be one channel of one size")
    var samples: [Sample] = []
    samples.reserveCapacity(w * h * slices.count)
    for s in slices { samples += s.samples }
    self.init(width: w, height: h, depth: slices.count, spacing: spacing, samples: samples)
  }

  /// A volume whose slices are stacked, top to bottom, in `flat` (a
  /// `width × (height·depth)` one-channel image; see ``flat``).
  public init(flat: Image<Sample>, depth: Int, spacing: VoxelSpacing = .unit) {
    precondition(flat.channels == 1, "Volume: the flat image must have one channel")
    precondition(depth > 0 && flat.height % depth == 0, "Volume: \(flat.height) rows are not \(depth) slices")
    self.init(width: flat.width, height: flat.height / depth, depth: depth, spacing: spacing, samples: flat.samples)
  }

  /// Number of voxels, `width * height * depth`.
  @inlinable public var voxelCount: Int { width * height * depth }

  /// Samples per slice, `width * height`.
  @inlinable public var sliceCount: Int { width * height }

  /// The sample at column `x`, row `y`, slice `z`.
  @inlinable public subscript(x: Int, y: Int, z: Int) -> Sample {
    get { samples[(z * height + y) * width + x] }
    set { samples[(z * height + y) * width + x] = newValue }
  }

  /// Slice `z` as a one-channel image.
  public func slice(_ z: Int) -> Image<Sample> {
    precondition(z >= 0 && z < depth, "Volume: no slice \(z) in a volume of depth \(depth)")
    let n = sliceCount
    return Image(width: width, height: height, samples: Array(samples[(z * n)..<((z + 1) * n)]))
  }

  /// Every slice, z = 0 first.
  public var slices: [Image<Sample>] { (0..<depth).map(slice) }

  /// The samples as one `width × (height·depth)` image, the slices stacked
  /// top to bottom: the same array, for operations that treat every sample
  /// alike (normalisation, gray values).
  public var flat: Image<Sample> { Image(width: width, height: height * depth, samples: samples) }
}

/// Instance labels of a volume: 0 is background, every other value one instance.
public typealias LabelVolume = Volume<UInt32>

extension Volume where Sample: Comparable {
  /// The smallest and largest sample, or nil for an empty volume.
  public var range: (min: Sample, max: Sample)? { flat.range }
}

/// The physical size of a voxel along z, y and x (NPY's axis order), and
/// the unit these sizes are in.
///
/// Distances in 3-D (weight maps) are measured in this unit. ``unit`` is
/// the file's (ImageJ's `unit=`), or `voxel` when nothing names one; with
/// the unit spacing `(1, 1, 1)` a distance in `voxel` is one in voxels.
public struct VoxelSpacing: Sendable, Hashable, Codable, CustomStringConvertible {
  public var z: Double
  public var y: Double
  public var x: Double
  /// The length unit of ``z``, ``y`` and ``x``, e.g. `micron` or `voxel`.
  public var unit: String

  /// A spacing; every value finite and > 0 (see ``problem(z:y:x:)``).
  public init(z: Double, y: Double, x: Double, unit: String = "voxel") {
    precondition(Self.problem(z: z, y: y, x: x) == nil, "VoxelSpacing: \(Self.problem(z: z, y: y, x: x)!)")
    self.z = z
    self.y = y
    self.x = x
    self.unit = unit
  }

  /// One voxel in every direction.
  public static let unit = VoxelSpacing(z: 1, y: 1, x: 1)

  /// Why `(z, y, x)` is not a spacing, or nil: each must be finite and > 0.
  public static func problem(z: Double, y: Double, x: Double) -> String? {
    for (name, v) in [("z", z), ("y", y), ("x", x)] where !(v.isFinite && v > 0) {
      return "the \(name) spacing \(v) is not positive and finite"
    }
    return nil
  }

  /// `(z, y, x)`.
  public var values: [Double] { [z, y, x] }

  /// `Z,Y,X UNIT`, e.g. `2.0,0.5,0.5 micron`.
  public var description: String { "\(z),\(y),\(x) \(unit)" }

  private enum CodingKeys: String, CodingKey { case z, y, x, unit }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let (z, y, x) = (try c.decode(Double.self, forKey: .z), try c.decode(Double.self, forKey: .y), try c.decode(Double.self, forKey: .x))
    if let problem = Self.problem(z: z, y: y, x: x) {
      throw DecodingError.dataCorruptedError(forKey: .z, in: c, debugDescription: problem)
    }
    self.init(z: z, y: y, x: x, unit: try c.decodeIfPresent(String.self, forKey: .unit) ?? "voxel")
  }
}

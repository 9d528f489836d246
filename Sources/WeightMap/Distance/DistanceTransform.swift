import RasterCore

/// The exact Euclidean distance transform of a 2-D grid of sites, or of a
/// 3-D grid with anisotropic voxels.
///
/// For every pixel `x` it gives the squared Euclidean distance between pixel
/// centres to the nearest site, `min over sites p of |x − p|²`, and on request
/// the nearest site itself (the feature transform). In a volume each axis
/// is scaled by the voxel spacing, `(sz·Δz)² + (sy·Δy)² + (sx·Δx)²`.
///
/// Method: Felzenszwalb and Huttenlocher's separable algorithm — one
/// 1-D pass along the outermost axis (down every column of an image), then
/// the lower envelope of parabolas `s²·(q − p)² + f(p)` along each further
/// axis, `s` its spacing (P. F. Felzenszwalb, D. P. Huttenlocher, "Distance
/// Transforms of Sampled Functions", Theory of Computing 8, 2012,
/// doi:10.4086/toc.2012.v008a019). In 2-D (and with unit spacing) every
/// quantity is an integer held exactly in a `Double` (up to 2⁵³) and the
/// parabola intersections are exact (see ``LowerEnvelope``), so every result
/// is exact; with other spacings exact up to Double rounding.
///
/// Pixels with no site at all (an image without sites) get `+∞`.
///
/// - Complexity: O(width × height × depth) time; memory: the result, the
///   nearest-site indices when asked for, and O(longest axis) per pass.
public enum DistanceTransform {
  /// The value of ``nearestSites(width:height:isSite:)``'s `nearest` for a
  /// pixel when there are no sites.
  public static let noSite = -1

  /// Squared Euclidean distances to the nearest site.
  ///
  /// - Parameters:
  ///   - width: grid width in pixels.
  ///   - height: grid height in pixels.
  ///   - isSite: `width × height` flags, row-major (`y * width + x`).
  /// - Returns: `width × height` squared distances, row-major; `+∞` everywhere
  ///   when there is no site.
  public static func squaredEuclidean(width: Int, height: Int, isSite: [Bool]) -> [Double] {
    transform(width: width, height: height, depth: 1, spacing: .unit, isSite: isSite, wantNearest: false).squared
  }

  /// Squared Euclidean distances to the nearest non-zero pixel of a
  /// single-channel image.
  @inlinable
  public static func squaredEuclidean<S: PixelSample>(toNonZeroOf image: Image<S>) -> [Double] {
    precondition(image.channels == 1, "DistanceTransform: expected 1 channel, got \(image.channels)")
    return squaredEuclidean(
      width: image.width, height: image.height, isSite: image.samples.map { $0 != .zero })
  }

  /// Euclidean distances (not squared) to the nearest non-zero pixel, as a
  /// `Float` image; `+∞` everywhere when there is no non-zero pixel.
  @inlinable
  public static func euclidean<S: PixelSample>(toNonZeroOf image: Image<S>) -> Image<Float> {
    let sq = squaredEuclidean(toNonZeroOf: image)
    return Image(width: image.width, height: image.height, samples: sq.map { Float($0.squareRoot()) })
  }

  /// The feature transform: squared distances and, for each pixel, the
  /// row-major index (`y * width + x`) of one nearest site.
  ///
  /// Where several sites are equally near, one of them is returned.
  /// `nearest` is ``noSite`` everywhere when there is no site.
  public static func nearestSites(
    width: Int, height: Int, isSite: [Bool]
  ) -> (squaredDistances: [Double], nearest: [Int]) {
    let r = transform(width: width, height: height, depth: 1, spacing: .unit, isSite: isSite, wantNearest: true)
    return (r.squared, r.nearest)
  }

  // MARK: - Volumes

  /// Squared Euclidean distances in a volume with anisotropic voxels:
  /// `min over sites p of (sz·Δz)² + (sy·Δy)² + (sx·Δx)²`, in the
  /// spacing's unit squared.
  ///
  /// - Parameters:
  ///   - isSite: `width × height × depth` flags, slice after slice, each row-major.
  ///   - spacing: the voxel's size along z, y, x.
  /// - Returns: the squared distances in the same order; `+∞` everywhere
  ///   when there is no site.
  /// - Complexity: O(width × height × depth); one pass per axis.
  public static func squaredEuclidean(
    width: Int, height: Int, depth: Int, spacing: VoxelSpacing, isSite: [Bool]
  ) -> [Double] {
    transform(width: width, height: height, depth: depth, spacing: spacing, isSite: isSite, wantNearest: false).squared
  }

  /// The feature transform of a volume: squared distances (as
  /// ``squaredEuclidean(width:height:depth:spacing:isSite:)``) and the
  /// index `(z * height + y) * width + x` of one nearest site per voxel.
  public static func nearestSites(
    width: Int, height: Int, depth: Int, spacing: VoxelSpacing, isSite: [Bool]
  ) -> (squaredDistances: [Double], nearest: [Int]) {
    let r = transform(width: width, height: height, depth: depth, spacing: spacing, isSite: isSite, wantNearest: true)
    return (r.squared, r.nearest)
  }

  /// Euclidean distances (not squared, in the volume's spacing unit) to the
  /// nearest non-zero voxel; `+∞` everywhere when there is none.
  public static func euclidean<S: PixelSample>(toNonZeroOf volume: Volume<S>) -> Volume<Float> {
    let sq = squaredEuclidean(
      width: volume.width, height: volume.height, depth: volume.depth, spacing: volume.spacing,
      isSite: volume.samples.map { $0 != .zero })
    return Volume(
      width: volume.width, height: volume.height, depth: volume.depth, spacing: volume.spacing,
      samples: sq.map { Float($0.squareRoot()) })
  }

  // MARK: - Implementation

  /// One pass per axis, outermost first: along the first axis longer than
  /// one sample, one scan each way (the nearest site at or before, at or
  /// after); along each further axis the lower envelope of the parabolas
  /// `s²·(q − p)² + f(p)` of the previous pass's values `f`.
  private static func transform(
    width: Int, height: Int, depth: Int, spacing: VoxelSpacing, isSite: [Bool], wantNearest: Bool
  ) -> (squared: [Double], nearest: [Int]) {
    precondition(width >= 0 && height >= 0 && depth >= 0, "DistanceTransform: negative size \(width)x\(height)x\(depth)")
    precondition(
      isSite.count == width * height * depth,
      "DistanceTransform: \(isSite.count) flags for \(width)x\(height)x\(depth)")
    let n = width * height * depth
    guard n > 0 else { return ([], []) }
    // (count, stride, spacing²) of z, y, x; leading axes of one sample dropped.
    var axes = [(depth, width * height, spacing.z * spacing.z), (height, width, spacing.y * spacing.y), (width, 1, spacing.x * spacing.x)]
    while axes.count > 1 && axes[0].0 == 1 { axes.removeFirst() }
    var squared = [Double](repeating: .infinity, count: n)
    var nearest = [Int](repeating: noSite, count: wantNearest ? n : 0)
    squared.withUnsafeMutableBufferPointer { sq in
      nearest.withUnsafeMutableBufferPointer { near in
        isSite.withUnsafeBufferPointer { site in
          firstAxis(site, count: axes[0].0, stride: axes[0].1, s2: axes[0].2, into: sq, nearest: wantNearest ? near : nil)
        }
        for (count, stride, s2) in axes.dropFirst() {
          envelopeAxis(count: count, stride: stride, s2: s2, total: n, values: sq, nearest: wantNearest ? near : nil)
        }
      }
    }
    return (squared, nearest)
  }

  /// Along the outermost axis (`count` positions `stride` apart, every line
  /// starting in `0..<stride`): `(s·Δ)²` to the nearest site of the line,
  /// and its index.
  private static func firstAxis(
    _ site: UnsafeBufferPointer<Bool>, count: Int, stride: Int, s2: Double,
    into sq: UnsafeMutableBufferPointer<Double>, nearest: UnsafeMutableBufferPointer<Int>?
  ) {
    // One scan down (nearest site at or before), one up (at or after).
    var last = [Int](repeating: -1, count: stride)
    var found = [Int](repeating: -1, count: nearest == nil ? 0 : count * stride)
    for k in 0..<count {
      let row = k * stride
      for i in 0..<stride {
        if site[row + i] { last[i] = k }
        let l = last[i]
        if l >= 0 {
          sq[row + i] = Double((k - l) * (k - l)) * s2
          if nearest != nil { found[row + i] = l }
        }
      }
    }
    for i in 0..<stride { last[i] = -1 }
    for k in Swift.stride(from: count - 1, through: 0, by: -1) {
      let row = k * stride
      for i in 0..<stride {
        if site[row + i] { last[i] = k }
        let l = last[i]
        if l >= 0 && Double((l - k) * (l - k)) * s2 < sq[row + i] {
          sq[row + i] = Double((l - k) * (l - k)) * s2
          if nearest != nil { found[row + i] = l }
        }
      }
    }
    if let nearest {
      for k in 0..<count {
        for i in 0..<stride where found[k * stride + i] >= 0 { nearest[k * stride + i] = found[k * stride + i] * stride + i }
      }
    }
  }

  /// The lower envelope along one further axis, line by line (gathered
  /// into a buffer when the axis is not the innermost).
  private static func envelopeAxis(
    count: Int, stride: Int, s2: Double, total: Int,
    values: UnsafeMutableBufferPointer<Double>, nearest: UnsafeMutableBufferPointer<Int>?
  ) {
    var envelope = LowerEnvelope(capacity: count)
    var f = [Double](repeating: .infinity, count: count)
    var g = [Int](repeating: DistanceTransform.noSite, count: nearest == nil ? 0 : count)
    let block = count * stride
    f.withUnsafeMutableBufferPointer { f in
      g.withUnsafeMutableBufferPointer { g in
        for outer in Swift.stride(from: 0, to: total, by: block) {
          for inner in 0..<stride {
            let base = outer + inner
            for k in 0..<count { f[k] = values[base + k * stride] }
            if let nearest { for k in 0..<count { g[k] = nearest[base + k * stride] } }
            envelope.transform(UnsafeBufferPointer(f), s2: s2) { q, value, p in
              values[base + q * stride] = value
              if let nearest { nearest[base + q * stride] = g[p] }
            }
          }
        }
      }
    }
  }
}

/// Felzenszwalb–Huttenlocher 1-D distance transform of a sampled function:
/// `min over p of s²·(q − p)² + f[p]` for every `q`, and the minimising `p`.
///
/// The boundary between two parabolas is the first integer position where
/// the newer one is strictly lower, `⌊(f[q] + s²q² − f[p] − s²p²) / (2s²(q − p))⌋ + 1`;
/// on a tie the parabola of the smaller `p` wins. With `s = 1` and integer
/// `f` (squared pixel distances below 2⁵³) every quantity is an integer held
/// exactly in a Double and the quotient is never within rounding of an
/// integer it does not equal (its denominator is below 2²⁰), so the
/// envelope is exact; with other spacings it is exact up to rounding.
struct LowerEnvelope {
  /// Abscissae of the parabolas in the envelope.
  private var v: [Int]
  /// `z[k]`: first integer position where parabola `v[k]` is the lowest.
  private var z: [Int]

  init(capacity: Int) {
    v = [Int](repeating: 0, count: Swift.max(capacity, 1))
    z = [Int](repeating: 0, count: Swift.max(capacity, 1))
  }

  /// Calls `body(q, value, p)` for every `q` where some `f[p]` is finite
  /// (nothing when all are infinite).
  @inline(__always)
  mutating func transform(
    _ f: UnsafeBufferPointer<Double>, s2: Double, _ body: (_ q: Int, _ value: Double, _ p: Int) -> Void
  ) {
    let n = f.count
    if v.count < n {
      v = [Int](repeating: 0, count: n)
      z = [Int](repeating: 0, count: n)
    }
    v.withUnsafeMutableBufferPointer { v in
      z.withUnsafeMutableBufferPointer { z in
        Self.transform(f, s2: s2, v: v.baseAddress!, z: z.baseAddress!, body)
      }
    }
  }

  /// The transform with caller-owned scratch: `v` and `z` hold at least
  /// `f.count` entries each (no allocation, no reference counting). Only
  /// the positions `queries` (default: all) are reported; the envelope is
  /// that of all of `f` all the same.
  @inline(__always)
  static func transform(
    _ f: UnsafeBufferPointer<Double>, s2: Double, v: UnsafeMutablePointer<Int>, z: UnsafeMutablePointer<Int>,
    queries: Range<Int>? = nil, _ body: (_ q: Int, _ value: Double, _ p: Int) -> Void
  ) {
    let n = f.count
    var k = -1
    for q in 0..<n where f[q] != .infinity {
      let fq = f[q] + s2 * Double(q * q)
      while k >= 0 {
        let p = v[k]
        // First integer position where parabola q is strictly below p.
        let cut = (fq - (f[p] + s2 * Double(p * p))) / (2 * s2 * Double(q - p))
        // ⌊cut⌋ + 1, cut clamped to [−1, n] (a NaN, from spacings too
        // small to square, to n); the floor by truncation, no libm call.
        let start: Int
        if cut < Double(n) {
          let c = Swift.max(cut, -1)
          let truncated = Int(c)
          start = (Double(truncated) > c ? truncated - 1 : truncated) + 1
        } else {
          start = n
        }
        if start <= z[k] {
          k -= 1  // parabola p is never the lowest
          continue
        }
        if start < n {
          k += 1
          v[k] = q
          z[k] = start
        }  // else: q is never the lowest inside the domain
        break
      }
      if k < 0 {
        k = 0
        v[0] = q
        z[0] = 0
      }
    }
    guard k >= 0 else { return }
    var j = 0
    for q in queries ?? 0..<n {
      while j < k && z[j + 1] <= q { j += 1 }
      let p = v[j]
      body(q, s2 * Double((q - p) * (q - p)) + f[p], p)
    }
  }
}


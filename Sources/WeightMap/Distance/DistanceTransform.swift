import Raster

/// The exact Euclidean distance transform of a 2-D grid of sites.
///
/// For every pixel `x` it gives the squared Euclidean distance between pixel
/// centres to the nearest site, `min over sites p of |x − p|²`, and on request
/// the nearest site itself (the feature transform).
///
/// Method: Felzenszwalb and Huttenlocher's separable algorithm — one
/// 1-D pass down every column, then the lower envelope of parabolas along
/// every row (P. F. Felzenszwalb, D. P. Huttenlocher, "Distance Transforms of
/// Sampled Functions", Theory of Computing 8, 2012, doi:10.4086/toc.2012.v008a019).
/// The parabola intersections are computed with integer floor division, so
/// every result is exact (no floating-point ties).
///
/// Pixels with no site at all (an image without sites) get `+∞`.
/// Squared distances are integers held exactly in a `Double` (up to 2⁵³).
///
/// - Complexity: O(width × height) time; memory: the result plus one `Int`
///   per pixel (the column pass) and O(width) for the envelope.
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
    transform(width: width, height: height, isSite: isSite, wantNearest: false).squared
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
    let r = transform(width: width, height: height, isSite: isSite, wantNearest: true)
    return (r.squared, r.nearest)
  }

  // MARK: - Implementation

  private static func transform(
    width: Int, height: Int, isSite: [Bool], wantNearest: Bool
  ) -> (squared: [Double], nearest: [Int]) {
    precondition(width >= 0 && height >= 0, "DistanceTransform: negative size \(width)x\(height)")
    precondition(
      isSite.count == width * height,
      "DistanceTransform: \(isSite.count) flags for \(width)x\(height)")
    let n = width * height
    guard n > 0 else { return ([], []) }
    var squared = [Double](repeating: .infinity, count: n)
    var nearest = [Int](repeating: noSite, count: wantNearest ? n : 0)
    // Column pass: vertical squared distance g², "infinite" without a site
    // in the column, and the row of that nearest site.
    var g2 = [Int](repeating: LowerEnvelope.infinite, count: n)
    var siteRow = [Int32](repeating: -1, count: wantNearest ? n : 0)
    var envelope = LowerEnvelope(capacity: width)
    isSite.withUnsafeBufferPointer { site in
      g2.withUnsafeMutableBufferPointer { g2 in
        siteRow.withUnsafeMutableBufferPointer { siteRow in
          // One scan down (nearest site at or above), one up (at or below).
          var last = [Int](repeating: -1, count: width)
          for y in 0..<height {
            let row = y * width
            for x in 0..<width {
              if site[row + x] { last[x] = y }
              let l = last[x]
              if l >= 0 {
                g2[row + x] = (y - l) * (y - l)
                if wantNearest { siteRow[row + x] = Int32(l) }
              }
            }
          }
          for x in 0..<width { last[x] = -1 }
          for y in stride(from: height - 1, through: 0, by: -1) {
            let row = y * width
            for x in 0..<width {
              if site[row + x] { last[x] = y }
              let l = last[x]
              if l >= 0 && (l - y) * (l - y) < g2[row + x] {
                g2[row + x] = (l - y) * (l - y)
                if wantNearest { siteRow[row + x] = Int32(l) }
              }
            }
          }
          // Row pass: lower envelope of the parabolas (x − p)² + g(p)².
          squared.withUnsafeMutableBufferPointer { squared in
            nearest.withUnsafeMutableBufferPointer { nearest in
              for y in 0..<height {
                let row = y * width
                envelope.transform(
                  UnsafeBufferPointer(rebasing: g2[row..<(row + width)])
                ) { x, value, p in
                  squared[row + x] = Double(value)
                  if wantNearest { nearest[row + x] = Int(siteRow[row + p]) * width + p }
                }
              }
            }
          }
        }
      }
    }
    return (squared, nearest)
  }
}

/// Felzenszwalb–Huttenlocher 1-D distance transform of a sampled function
/// with integer values: `min over p of (q − p)² + f[p]` for every `q`, and
/// the minimising `p`.
///
/// The boundary between two parabolas is the first integer position where
/// the newer one is strictly lower, found by integer floor division, so the
/// envelope is exact; on a tie the parabola of the smaller `p` wins.
struct LowerEnvelope {
  /// A value of `f` that marks "no parabola here".
  static let infinite = Int.max
  /// Abscissae of the parabolas in the envelope.
  private var v: [Int]
  /// `z[k]`: first integer position where parabola `v[k]` is the lowest.
  private var z: [Int]

  init(capacity: Int) {
    v = [Int](repeating: 0, count: Swift.max(capacity, 1))
    z = [Int](repeating: 0, count: Swift.max(capacity, 1))
  }

  /// Calls `body(q, value, p)` for every `q` where some `f[p]` is finite
  /// (nothing when all are ``infinite``).
  @inline(__always)
  mutating func transform(
    _ f: UnsafeBufferPointer<Int>, _ body: (_ q: Int, _ value: Int, _ p: Int) -> Void
  ) {
    let n = f.count
    if v.count < n {
      v = [Int](repeating: 0, count: n)
      z = [Int](repeating: 0, count: n)
    }
    v.withUnsafeMutableBufferPointer { v in
      z.withUnsafeMutableBufferPointer { z in
        var k = -1
        for q in 0..<n where f[q] != Self.infinite {
          let fq = f[q] + q * q
          while k >= 0 {
            let p = v[k]
            // First integer position where parabola q is strictly below p.
            let start = floorDiv(fq - (f[p] + p * p), 2 * (q - p)) + 1
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
        for q in 0..<n {
          while j < k && z[j + 1] <= q { j += 1 }
          let p = v[j]
          body(q, (q - p) * (q - p) + f[p], p)
        }
      }
    }
  }
}

/// ⌊a / b⌋ for b > 0.
@inline(__always)
func floorDiv(_ a: Int, _ b: Int) -> Int {
  a >= 0 ? a / b : -((-a + b - 1) / b)
}

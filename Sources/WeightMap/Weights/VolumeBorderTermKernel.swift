#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import RasterCore
import _Support

/// The border term of a volume with anisotropic voxels: the 2-D kernel's
/// method with one more axis (see ``WeightMapper`` for the method and its
/// error bound). Distances are physical, `(sz·Δz)² + (sy·Δy)² + (sx·Δx)²`,
/// in Double.
///
/// Per slice z, in the order of the ``ColumnSweep`` over z:
/// 1. z: the two nearest distinct instances along each voxel's z line, at
///    or above and at or below (the sweep), merged;
/// 2. y: for each voxel, the two nearest distinct over its plane's column,
///    candidates `(sy·dy)² + z-value` from rows `y'`: Felzenszwalb and
///    Huttenlocher's lower envelope once for the nearest, and once per
///    nearest instance of the column for the nearest other one
///    (``TwoNearestAlongLine``);
/// 3. x: the same along the row from the y values, then the weight.
/// Candidates beyond `R` are dropped, which keeps the two nearest exact
/// wherever `d1 + d2 ≤ R`: a dropped candidate is farther than `R` from the
/// voxel, and the values kept are distances of real instances, so a sum
/// ≤ `R` is that of the two nearest. The x scan, which gives the final
/// values, stops where nothing unseen can be nearer than the second value
/// (`(sx·dx)² ≥ v2`) and by the 2-D kernel's rule `min(d1, sx·dx) + sx·dx > R`. Keeping two
/// distinct instances per stage suffices by the 2-D argument, stage by stage.
///
/// Memory: the sweep's `width × height × (band + 2)` tracks and two
/// `width × height` planes of candidates (the z values column by column,
/// the y values row by row, so that both scans read consecutive entries)
/// — never one array per instance.
struct VolumeBorderTermKernel {
  let w0: Double
  /// σ in the spacing's unit.
  let sigma: Double
  /// `R`, in the spacing's unit.
  let radius: Double
  let region: BorderRegion
  let spacing: VoxelSpacing
  /// Slices per band of the z sweep, at least.
  let minimumBandSlices: Int
  /// Slabs of slices computed at once, on as many threads (the result does
  /// not depend on it).
  var jobs = 1

  /// Writes `w_c + border term` for every voxel of `labels` into `out`.
  func run(
    labels: UnsafeBufferPointer<UInt32>, width: Int, height: Int, depth: Int,
    background: Double, foreground: Double, into out: UnsafeMutableBufferPointer<Float>
  ) {
    let plane = width * height
    let n = plane * depth
    precondition(labels.count == n && out.count == n, "VolumeBorderTermKernel: size mismatch")
    for i in 0..<n { out[i] = labels[i] != 0 ? Float(foreground) : Float(background) }
    guard n > 0, w0 > 0, radius > 0, BorderTermKernel.hasTwoInstances(labels) else { return }

    let reachZ = Int(Swift.min((radius / spacing.z).rounded(.down), Double(depth)))
    let sweep = ColumnSweep(
      columns: plane, rows: depth, reach: reachZ,
      bandRows: Swift.min(depth, Swift.max(minimumBandSlices, 2 * reachZ, 1)))
    let slabs = Swift.max(1, Swift.min(jobs, depth))
    // Each slab reads `labels` and writes only its own slices of `out`.
    nonisolated(unsafe) let (labels, out) = (labels, out)
    try? Parallel.forEach(slabs, jobs: slabs) { k in
      run(slab: (depth * k / slabs)..<(depth * (k + 1) / slabs), sweep: sweep, labels: labels, width: width,
          height: height, background: background, foreground: foreground, into: out)
    }
  }

  /// The weights of the slices `slab`.
  private func run(
    slab: Range<Int>, sweep: ColumnSweep, labels: UnsafeBufferPointer<UInt32>, width: Int, height: Int,
    background: Double, foreground: Double, into out: UnsafeMutableBufferPointer<Float>
  ) {
    let plane = width * height
    let zPlane = UnsafeMutableBufferPointer<TopTwo<Double>>.allocate(capacity: plane)
    let yPlane = UnsafeMutableBufferPointer<TopTwo<Double>>.allocate(capacity: plane)
    let yStage = TwoNearestAlongLine(count: height, step: spacing.y, radius: radius)
    defer {
      zPlane.deallocate()
      yPlane.deallocate()
    }
    let r2 = radius * radius
    let sz2 = spacing.z * spacing.z
    sweep.run(labels, rows: slab) { z, under, above, hasBackground in
      if region == .background && !hasBackground { return }
      // 1. z: merge the two directions, dropping what lies beyond R.
      @inline(__always) func offer(_ t: inout TopTwo<Double>, _ label: UInt32, _ row: Int32) {
        guard label != 0 else { return }
        let dz = Double(Int(row) - z)
        let v = dz * dz * sz2
        if v <= r2 { t.offer(v, label) }
      }
      // Stored column by column (x-major), so that the y scans read
      // consecutive entries.
      for y in 0..<height {
        for x in 0..<width {
          var t = TopTwo<Double>()
          let a = above[y * width + x], u = under[y * width + x]
          offer(&t, a.label1, a.row1)
          offer(&t, a.label2, a.row2)
          offer(&t, u.label1, u.row1)
          offer(&t, u.label2, u.row2)
          zPlane[x * height + y] = t
        }
      }
      // 2. y, column by column.
      for x in 0..<width {
        yStage.transform(UnsafeBufferPointer(rebasing: zPlane[(x * height)..<((x + 1) * height)])) { y, t in
          yPlane[y * width + x] = t
        }
      }
      // 3. x, and the weights.
      let scanX = AxisScan(count: width, stride: 1, step: spacing.x, radius: radius, final: true)
      let twoSigma2 = 2 * sigma * sigma
      let slice = z * plane
      for y in 0..<height {
        let row = y * width
        for x in 0..<width {
          let label = labels[slice + row + x]
          if region == .background && label != 0 { continue }
          let t = scanX.nearest(at: x, base: row, in: yPlane)
          guard t.l2 != 0 else { continue }
          let sum = t.v1.squareRoot() + t.v2.squareRoot()
          guard sum <= radius else { continue }
          let wc = label != 0 ? foreground : background
          out[slice + row + x] = Float(wc + w0 * exp(-(sum * sum) / twoSigma2))
        }
      }
    }
  }
}

/// One scan of the volume kernel along an axis: for position `p` of a line
/// (`count` positions `stride` apart from `base`), the two nearest distinct
/// instances among the line's candidates at `p ± d`, each plus `(step·d)²`.
struct AxisScan {
  let count: Int
  let stride: Int
  let step: Double
  let radius: Double
  /// The final axis: also stop once `min(d1, step·d) + step·d > R`.
  let final: Bool

  @inline(__always)
  func nearest<Plane: CandidatePlane>(at p: Int, base: Int, in plane: Plane) -> TopTwo<Double> {
    var t = TopTwo<Double>()
    @inline(__always) func consider(_ c: TopTwo<Double>, _ d2: Double) {
      guard c.l1 != 0 else { return }
      let c1 = d2 + c.v1
      guard c1 < t.v2 else { return }
      t.offer(c1, c.l1)
      if c.l2 != 0 { t.offer(d2 + c.v2, c.l2) }
    }
    consider(plane[base &+ p &* stride], 0)
    var d = 1
    while true {
      let offset = step * Double(d)
      let d2 = offset * offset
      // Nothing unseen is nearer than the second value, or within R.
      if d2 >= t.v2 || offset > radius { break }
      if final {
        // Anything unseen makes d1 + d2 > R (see the 2-D kernel): where
        // d1 ≥ step·d once 2·step·d > R, else once d1 > R − step·d.
        let rest = radius - offset
        if t.v1 >= d2 ? 2 * offset > radius : t.v1 > rest * rest { break }
      }
      let below = p &- d, above = p &+ d
      if below < 0 && above >= count { break }
      if below >= 0 { consider(plane[base &+ below &* stride], d2) }
      if above < count { consider(plane[base &+ above &* stride], d2) }
      d &+= 1
    }
    return t
  }
}

/// The candidates an ``AxisScan`` reads, by index in the slice.
protocol CandidatePlane {
  subscript(_ i: Int) -> TopTwo<Double> { get }
}

extension UnsafeMutableBufferPointer: CandidatePlane where Element == TopTwo<Double> {}


/// For every position `q` of a line of candidate pairs (two nearest
/// distinct instances with their values), the two nearest distinct over
/// the line: `min over p of s²·(q − p)² + value`, twice.
///
/// The nearest is the lower envelope of the first candidates `v1(p)`
/// (``LowerEnvelope``, Felzenszwalb–Huttenlocher), with its instance `L(q)`.
/// The nearest other instance is `min over p of s²·(q − p)² + g_L(p)`, `g_L(p)`
/// the best of `p`'s two candidates whose instance is not `L`: `v1(p)`
/// unless `p`'s first instance is `L`, then `v2(p)` — one more envelope per
/// instance that is some position's nearest, over the positions within `R`
/// of those it is nearest to. Values beyond `R²` are dropped.
///
/// - Complexity: O(count + Σ (span + 2R/s)) over the nearest instances;
///   a line with more than ``maxEnvelopes`` of them takes O(count × R)
///   window scans instead.
final class TwoNearestAlongLine {
  let count: Int
  let s2: Double
  let r2: Double
  /// The most instance envelopes a line takes before the window scan.
  static let maxEnvelopes = 12
  // Scratch allocated once and reused line after line: unsafe buffers, so
  // that the per-position writes inside the envelope's closure cost no
  // reference counting or uniqueness checks.
  private let v: UnsafeMutablePointer<Int>
  private let z: UnsafeMutablePointer<Int>
  private let f: UnsafeMutablePointer<Double>
  private let firstValue: UnsafeMutablePointer<Double>
  private let firstLabel: UnsafeMutablePointer<UInt32>
  private let out: UnsafeMutablePointer<TopTwo<Double>>
  private let labels: UnsafeMutablePointer<UInt32>
  private let spans: UnsafeMutablePointer<(lower: Int, upper: Int)>

  init(count: Int, step: Double, radius: Double) {
    self.count = count
    s2 = step * step
    r2 = radius * radius
    let c = Swift.max(count, 1)
    v = .allocate(capacity: c)
    z = .allocate(capacity: c)
    f = .allocate(capacity: c)
    f.initialize(repeating: .infinity, count: c)
    firstValue = .allocate(capacity: c)
    firstLabel = .allocate(capacity: c)
    out = .allocate(capacity: c)
    labels = .allocate(capacity: Self.maxEnvelopes + 1)
    spans = .allocate(capacity: Self.maxEnvelopes + 1)
  }

  deinit {
    v.deallocate()
    z.deallocate()
    f.deallocate()
    firstValue.deallocate()
    firstLabel.deallocate()
    out.deallocate()
    labels.deallocate()
    spans.deallocate()
  }

  /// Calls `body(q, twoNearest)` for every position of `line`.
  @inline(__always)
  func transform(_ line: UnsafeBufferPointer<TopTwo<Double>>, _ body: (Int, TopTwo<Double>) -> Void) {
    let n = count
    let (s2, r2) = (self.s2, self.r2)
    let (f, firstValue, firstLabel, out, labels, spans) = (f, firstValue, firstLabel, out, labels, spans)
    // The nearest: the envelope of the first candidates.
    for p in 0..<n { f[p] = line[p].l1 != 0 ? line[p].v1 : .infinity }
    for q in 0..<n {
      firstValue[q] = .infinity
      firstLabel[q] = 0
    }
    LowerEnvelope.transform(UnsafeBufferPointer(start: f, count: n), s2: s2, v: v, z: z) { q, value, p in
      if value <= r2 {
        firstValue[q] = value
        firstLabel[q] = line[p].l1
      }
    }
    // The nearest instances of the line and the span of positions each is nearest to.
    var instances = 0
    for q in 0..<n where firstLabel[q] != 0 {
      let label = firstLabel[q]
      var k = 0
      while k < instances && labels[k] != label { k += 1 }
      if k < instances {
        spans[k].upper = q + 1
      } else {
        labels[instances] = label
        spans[instances] = (q, q + 1)
        instances += 1
        if instances > Self.maxEnvelopes { break }
      }
    }
    if instances > Self.maxEnvelopes {
      let scan = AxisScan(count: n, stride: 1, step: s2.squareRoot(), radius: r2.squareRoot(), final: false)
      let plane = UnsafeMutableBufferPointer(mutating: line)
      for q in 0..<n { body(q, scan.nearest(at: q, base: 0, in: plane)) }
      return
    }
    // The nearest other instance, one envelope per nearest instance L, over
    // its span widened by R (positions farther are beyond R of it).
    for q in 0..<n {
      out[q] = TopTwo()
      if firstLabel[q] != 0 { out[q].offer(firstValue[q], firstLabel[q]) }
    }
    // At most the whole line; ∞ / ∞ (a huge σ and spacing) is the whole line too.
    let steps = (r2.squareRoot() / s2.squareRoot()).rounded(.up)
    let reach = steps.isNaN ? n : Int(Swift.min(steps, Double(n)))
    for k in 0..<instances {
      let label = labels[k], span = spans[k]
      let lo = Swift.max(0, span.lower - reach), hi = Swift.min(n, span.upper + reach)
      for p in lo..<hi {
        let c = line[p]
        f[p] = c.l1 == 0 ? .infinity : c.l1 != label ? c.v1 : c.l2 != 0 ? c.v2 : .infinity
      }
      // Read out over the span only: elsewhere L is not the nearest.
      LowerEnvelope.transform(
        UnsafeBufferPointer(start: f + lo, count: hi - lo), s2: s2, v: v, z: z,
        queries: (span.lower - lo)..<(span.upper - lo)
      ) { q, value, p in
        guard firstLabel[lo + q] == label, value <= r2 else { return }
        let c = line[lo + p]
        out[lo + q].offer(value, c.l1 != label ? c.l1 : c.l2)
      }
    }
    for q in 0..<n { body(q, out[q]) }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import Raster

/// The border term of a volume with anisotropic voxels: the 2-D kernel's
/// method with one more axis (see ``WeightMapper`` for the method and its
/// error bound). Distances are physical, `(sz·Δz)² + (sy·Δy)² + (sx·Δx)²`,
/// in Double.
///
/// Per slice z, in the order of the ``ColumnSweep`` over z:
/// 1. z: the two nearest distinct instances along each voxel's z line, at
///    or above and at or below (the sweep), merged;
/// 2. y: for a voxel, the two nearest distinct over its plane's column,
///    candidates `(sy·dy)² + z-value` from rows `y ± dy` — computed when
///    step 3 first asks for it, like the 2-D kernel's merged columns;
/// 3. x: the same along the row from the y values, then the weight.
/// The y scan stops where nothing unseen can be nearer than the second
/// value (`(sy·dy)² ≥ v2`) or farther than `R`; candidates beyond `R` are
/// dropped. Both keep the two nearest exact wherever `d1 + d2 ≤ R`: a
/// dropped or unseen candidate is farther than `R` from the voxel, and the
/// values kept are distances of real instances, so a sum ≤ `R` is that of
/// the two nearest. The x scan, which gives the final values, also stops
/// by the 2-D kernel's rule `min(d1, sx·dx) + sx·dx > R`. Keeping two
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
    // The slice whose y values `yPlane[i]` holds (computed on first use).
    let ySlice = UnsafeMutableBufferPointer<Int32>.allocate(capacity: plane)
    ySlice.initialize(repeating: -1)
    defer {
      zPlane.deallocate()
      yPlane.deallocate()
      ySlice.deallocate()
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
      // 2. y, on first use by step 3 (voxels farther than their scans
      // reach from any voxel to weigh are never computed).
      let yValues = LazyYPlane(
        scan: AxisScan(count: height, stride: 1, step: spacing.y, radius: radius, final: false),
        width: width, stamp: Int32(z), zPlane: zPlane, yPlane: yPlane, ySlice: ySlice)
      // 3. x, and the weights.
      let scanX = AxisScan(count: width, stride: 1, step: spacing.x, radius: radius, final: true)
      let twoSigma2 = 2 * sigma * sigma
      let slice = z * plane
      for y in 0..<height {
        let row = y * width
        for x in 0..<width {
          let label = labels[slice + row + x]
          if region == .background && label != 0 { continue }
          let t = scanX.nearest(at: x, base: row, in: yValues)
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
private struct AxisScan {
  let count: Int
  let stride: Int
  /// `(step·d)²` for every offset `d` within `R` (`step·d ≤ R`).
  let squares: [Double]
  /// The final axis: also stop once `min(d1, step·d) + step·d > R`, i.e.
  /// where `d1 ≥ step·d`, once `2·step·d > R` (`stopIfFar[d]`), else once
  /// `d1² > (R − step·d)²` (`stopIfNear[d]`).
  let final: Bool
  let stopIfNear: [Double]
  let stopIfFar: [Bool]

  init(count: Int, stride: Int, step: Double, radius: Double, final: Bool) {
    self.count = count
    self.stride = stride
    self.final = final
    let last = Int((radius / step).rounded(.down))
    let offsets = (0...Swift.max(0, Swift.min(last, count))).map { step * Double($0) }.filter { $0 <= radius }
    squares = offsets.map { $0 * $0 }
    stopIfNear = offsets.map { (radius - $0) * (radius - $0) }
    stopIfFar = offsets.map { 2 * $0 > radius }
  }

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
    consider(plane[base + p * stride], 0)
    squares.withUnsafeBufferPointer { squares in
      for d in 1..<squares.count {
        let d2 = squares[d]
        // Nothing unseen is nearer than the second value (nor within R,
        // past the last offset).
        if d2 >= t.v2 { break }
        // Anything unseen makes d1 + d2 > R (see the 2-D kernel).
        if final && (t.v1 >= d2 ? stopIfFar[d] : t.v1 > stopIfNear[d]) { break }
        let below = p - d, above = p + d
        if below < 0 && above >= count { break }
        if below >= 0 { consider(plane[base + below * stride], d2) }
        if above < count { consider(plane[base + above * stride], d2) }
      }
    }
    return t
  }
}

/// The candidates an ``AxisScan`` reads, by index in the slice.
private protocol CandidatePlane {
  subscript(_ i: Int) -> TopTwo<Double> { get }
}

extension UnsafeMutableBufferPointer: CandidatePlane where Element == TopTwo<Double> {}

/// The y values of a slice, each computed from the z values on first use.
private struct LazyYPlane: CandidatePlane {
  let scan: AxisScan
  let width: Int
  let stamp: Int32
  let zPlane: UnsafeMutableBufferPointer<TopTwo<Double>>
  let yPlane: UnsafeMutableBufferPointer<TopTwo<Double>>
  /// The slice whose values `yPlane[i]` holds.
  let ySlice: UnsafeMutableBufferPointer<Int32>

  subscript(_ i: Int) -> TopTwo<Double> {
    @inline(__always) get {
      if ySlice[i] == stamp { return yPlane[i] }
      let t = scan.nearest(at: i / width, base: (i % width) * scan.count, in: zPlane)
      yPlane[i] = t
      ySlice[i] = stamp
      return t
    }
  }
}

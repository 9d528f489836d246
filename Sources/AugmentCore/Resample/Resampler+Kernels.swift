import RasterCore

// The hot loops, over a run of output pixels whose source positions are
// given (a sampling map's arrays). Pixels are handled
// four at a time ("lanes" of SIMD4 vectors): positions are split into
// integer and fraction, weights computed from the fractions, tap indices
// mapped through the border rule and the taps gathered, all lane-wise.
// Index arithmetic is Int32 and wraps (`&+`, `&*`): positions are bounded
// by `SamplingMap.coordinateLimit` and arrays hold fewer than 2³¹ samples
// (checked by the resampler), so nothing overflows and checks would only
// cost time.

/// A source array as raw pointer and shape.
struct SourceArray<T> {
  let samples: UnsafePointer<T>
  let width: Int
  let height: Int
  let channels: Int
}

/// `(⌊v⌋, v − ⌊v⌋)` lane-wise for `|v| ≤ 2²²` (``SamplingMap/coordinateLimit``),
/// without a libm call or a checked conversion: adding `1.5·2²³` rounds `v`
/// to the nearest integer, read from the sum's bits; one step down where
/// that rounded up. The integer part is exact; so is the fraction, except
/// for `−1 < v < 0`, where `v + 1` is rounded (possibly to 1, which every
/// kernel treats as the next sample with fraction 0).
@inline(__always)
func floorAndFraction4(_ v: SIMD4<Float>) -> (SIMD4<Int32>, SIMD4<Float>) {
  let sum = v + SIMD4<Float>(repeating: 12_582_912)
  let rounded = unsafeBitCast(sum, to: SIMD4<Int32>.self) &- SIMD4<Int32>(repeating: 0x4B40_0000)
  let i = rounded.replacing(with: rounded &- 1, where: SIMD4<Float>(rounded) .> v)
  return (i, v - SIMD4<Float>(i))
}

/// `⌊v + ½⌋` lane-wise for `|v| ≤ 2²²`, exactly (from the exact fraction,
/// not from a rounded `v + ½`): ties go up.
@inline(__always)
func nearestIndex4(_ v: SIMD4<Float>) -> SIMD4<Int32> {
  let (i, t) = floorAndFraction4(v)
  return i.replacing(with: i &+ 1, where: t .>= SIMD4<Float>(repeating: 0.5))
}

/// Four lanes of positions from `xs`, `ys` at `p`; lanes past `count`
/// read position 0 (their results are not stored).
@inline(__always)
func loadPositions(_ xs: UnsafePointer<Float>, _ ys: UnsafePointer<Float>, _ p: Int, lanes: Int)
  -> (SIMD4<Float>, SIMD4<Float>)
{
  if lanes == 4 {
    return (
      UnsafeRawPointer(xs + p).loadUnaligned(as: SIMD4<Float>.self),
      UnsafeRawPointer(ys + p).loadUnaligned(as: SIMD4<Float>.self)
    )
  }
  var vx = SIMD4<Float>()
  var vy = SIMD4<Float>()
  for l in 0..<lanes {
    vx[l] = xs[p &+ l]
    vy[l] = ys[p &+ l]
  }
  return (vx, vy)
}

enum Kernels {
  // Entry points taking the border mode at run time: one switch per run,
  // then the kernel compiled for that rule.

  static func cubic(
    _ s: SourceArray<Float>, _ xs: UnsafePointer<Float>, _ ys: UnsafePointer<Float>, count: Int,
    _ dst: UnsafeMutablePointer<Float>, _ border: BorderMode
  ) {
    switch border {
    case .mirror: cubic(s, xs, ys, count: count, dst, MirrorRule.self)
    case .constant: cubic(s, xs, ys, count: count, dst, ConstantRule.self)
    case .nearest: cubic(s, xs, ys, count: count, dst, ClampRule.self)
    }
  }

  static func linear(
    _ s: SourceArray<Float>, _ xs: UnsafePointer<Float>, _ ys: UnsafePointer<Float>, count: Int,
    _ dst: UnsafeMutablePointer<Float>, _ border: BorderMode
  ) {
    switch border {
    case .mirror: linear(s, xs, ys, count: count, dst, MirrorRule.self)
    case .constant: linear(s, xs, ys, count: count, dst, ConstantRule.self)
    case .nearest: linear(s, xs, ys, count: count, dst, ClampRule.self)
    }
  }

  static func nearest<T>(
    _ s: SourceArray<T>, _ xs: UnsafePointer<Float>, _ ys: UnsafePointer<Float>, count: Int,
    _ dst: UnsafeMutablePointer<T>, _ border: BorderMode, zero: T
  ) {
    switch border {
    case .mirror: nearest(s, xs, ys, count: count, dst, MirrorRule.self, zero: zero)
    case .constant: nearest(s, xs, ys, count: count, dst, ConstantRule.self, zero: zero)
    case .nearest: nearest(s, xs, ys, count: count, dst, ClampRule.self, zero: zero)
    }
  }

  /// Cubic resampling of a run of `count` output pixels.
  ///
  /// Every output value is `Σ_k wy_k · h_k` with
  /// `h_k = Σ_i wx_i · s(x_i, y_k)`, both sums in the order
  /// `((w₀a + w₁b) + w₂c) + w₃d` — except that a one-channel pixel whose x
  /// taps are a mirrored (descending) run sums them in ascending sample
  /// order. Which path a pixel takes depends only on its own position, so
  /// its value never depends on its neighbours. At integral positions the
  /// weights are exactly `(0, 1, 0, 0)`, so the value is the sample itself
  /// (for finite samples; a constant border also assumes finite samples,
  /// since taps outside are read as `0 × sample`).
  ///
  /// Paths, per group of four pixels: all taps inside and one channel —
  /// four 4-wide row loads per pixel, transposed to line up with the
  /// weight vectors; one channel elsewhere — the same, from each row's
  /// mapped index, where each pixel's x taps are a consecutive run
  /// (ascending, or descending under a mirror), and a scalar sum for pixels
  /// whose taps straddle an edge; several channels — every tap gathered.
  static func cubic<B: BorderRule>(
    _ s: SourceArray<Float>, _ xs: UnsafePointer<Float>, _ ys: UnsafePointer<Float>, count: Int,
    _ dst: UnsafeMutablePointer<Float>, _ border: B.Type
  ) {
    let w = s.width
    let ch = s.channels
    let src = s.samples
    let w32 = Int32(truncatingIfNeeded: w)
    let h32 = Int32(truncatingIfNeeded: s.height)
    let one = SIMD4<Int32>(repeating: 1)
    // All four taps inside: 1 ≤ i ≤ n − 3.
    let highX = SIMD4<Int32>(repeating: w32 &- 3)
    let highY = SIMD4<Int32>(repeating: h32 &- 3)
    var p = 0
    while p < count {
      let lanes = min(4, count &- p)
      let (vx, vy) = loadPositions(xs, ys, p, lanes: lanes)
      let (ix, tx) = floorAndFraction4(vx)
      let (iy, ty) = floorAndFraction4(vy)
      let (ax0, ax1, ax2, ax3) = CubicKernel.weights4(tx)
      let (ay0, ay1, ay2, ay3) = CubicKernel.weights4(ty)
      let allInside = lanes == 4 && all((ix .>= one) .& (ix .<= highX) .& (iy .>= one) .& (iy .<= highY))

      if ch == 1 && allInside {
        // Interior, one channel: per lane, four 4-wide row loads, transposed
        // so that tap vectors line up with the weight vectors.
        let o = (iy &- 1) &* SIMD4<Int32>(repeating: w32) &+ (ix &- 1)
        let v = interiorSums(src, o, rowStride: w, ax0, ax1, ax2, ax3, ay0, ay1, ay2, ay3)
        UnsafeMutableRawPointer(dst + p).storeBytes(of: v, as: SIMD4<Float>.self)
        p &+= 4
        continue
      }

      cubicGroup(
        s, p, lanes, ix, iy, ax0, ax1, ax2, ax3, ay0, ay1, ay2, ay3, dst, border)
      p &+= 4
    }
  }

  /// The bicubic sums of four lanes whose 4 × 4 taps all lie inside one
  /// plane: lane `l`'s top-left tap at `src + o[l]`, rows `rowStride`
  /// apart. Four 4-wide row loads per lane, transposed so that tap vectors
  /// line up with the weight vectors.
  @inline(__always)
  static func interiorSums(
    _ src: UnsafePointer<Float>, _ o: SIMD4<Int32>, rowStride w: Int,
    _ ax0: SIMD4<Float>, _ ax1: SIMD4<Float>, _ ax2: SIMD4<Float>, _ ax3: SIMD4<Float>,
    _ ay0: SIMD4<Float>, _ ay1: SIMD4<Float>, _ ay2: SIMD4<Float>, _ ay3: SIMD4<Float>
  ) -> SIMD4<Float> {
    let o0 = Int(o[0])
    let o1 = Int(o[1])
    let o2 = Int(o[2])
    let o3 = Int(o[3])
    let h0 = rowSums(src, o0, o1, o2, o3, ax0, ax1, ax2, ax3)
    let h1 = rowSums(src, o0 &+ w, o1 &+ w, o2 &+ w, o3 &+ w, ax0, ax1, ax2, ax3)
    let w2 = w &+ w
    let h2 = rowSums(src, o0 &+ w2, o1 &+ w2, o2 &+ w2, o3 &+ w2, ax0, ax1, ax2, ax3)
    let w3 = w2 &+ w
    let h3 = rowSums(src, o0 &+ w3, o1 &+ w3, o2 &+ w3, o3 &+ w3, ax0, ax1, ax2, ax3)
    return combine(ay0, ay1, ay2, ay3, h0, h1, h2, h3)
  }

  /// One group of four pixels anywhere (the interior fast path excluded):
  /// tap indices through the border rule, then row loads or gathers. Kept
  /// out of line so that the interior loop stays small.
  @inline(never)
  static func cubicGroup<B: BorderRule>(
    _ s: SourceArray<Float>, _ p: Int, _ lanes: Int, _ ix: SIMD4<Int32>, _ iy: SIMD4<Int32>,
    _ ax0: SIMD4<Float>, _ ax1: SIMD4<Float>, _ ax2: SIMD4<Float>, _ ax3: SIMD4<Float>,
    _ ay0: SIMD4<Float>, _ ay1: SIMD4<Float>, _ ay2: SIMD4<Float>, _ ay3: SIMD4<Float>,
    _ dst: UnsafeMutablePointer<Float>, _ border: B.Type
  ) {
    var (ax0, ax1, ax2, ax3) = (ax0, ax1, ax2, ax3)
    var (ay0, ay1, ay2, ay3) = (ay0, ay1, ay2, ay3)
    let w = s.width
    let ch = s.channels
    let src = s.samples
    let w32 = Int32(truncatingIfNeeded: w)
    let h32 = Int32(truncatingIfNeeded: s.height)
    let ch32 = Int32(truncatingIfNeeded: ch)
    let stride32 = w32 &* ch32
    let constant = B.zeroesOutside
    let (x0, vx0) = B.indices4(ix &- 1, count: w32)
    let (x1, vx1) = B.indices4(ix, count: w32)
    let (x2, vx2) = B.indices4(ix &+ 1, count: w32)
    let (x3, vx3) = B.indices4(ix &+ 2, count: w32)
    let (y0, vy0) = B.indices4(iy &- 1, count: h32)
    let (y1, vy1) = B.indices4(iy, count: h32)
    let (y2, vy2) = B.indices4(iy &+ 1, count: h32)
    let (y3, vy3) = B.indices4(iy &+ 2, count: h32)
    // With a constant border, taps outside weigh 0, and a lane with no tap
    // inside on either axis is exactly +0 (on every path).
    var killed = SIMDMask<SIMD4<Int32>>(repeating: false)
    if constant {
      ax0.replace(with: 0, where: .!vx0)
      ax1.replace(with: 0, where: .!vx1)
      ax2.replace(with: 0, where: .!vx2)
      ax3.replace(with: 0, where: .!vx3)
      ay0.replace(with: 0, where: .!vy0)
      ay1.replace(with: 0, where: .!vy1)
      ay2.replace(with: 0, where: .!vy2)
      ay3.replace(with: 0, where: .!vy3)
      killed = .!(vx0 .| vx1 .| vx2 .| vx3) .| .!(vy0 .| vy1 .| vy2 .| vy3)
    }
    if ch == 1 && w >= 4 {
      // Where each lane's x taps are four consecutive samples, ascending
      // or descending (mirrored), rows load 4-wide as in the interior.
      let ascending = (x1 .== x0 &+ 1) .& (x2 .== x0 &+ 2) .& (x3 .== x0 &+ 3)
      let descending = (x1 .== x0 &- 1) .& (x2 .== x0 &- 2) .& (x3 .== x0 &- 3)
      let loadable = ascending .| descending .| killed
      var start = x0.replacing(with: x3, where: descending)
      start.replace(with: 0, where: .!loadable .| killed)
      // A descending lane's taps are its loaded samples in reverse: its
      // weights are reversed instead (it then sums in ascending sample order).
      let bx0 = ax0.replacing(with: ax3, where: descending)
      let bx1 = ax1.replacing(with: ax2, where: descending)
      let bx2 = ax2.replacing(with: ax1, where: descending)
      let bx3 = ax3.replacing(with: ax0, where: descending)
      let wv = SIMD4<Int32>(repeating: w32)
      let o0 = y0 &* wv &+ start
      let o1 = y1 &* wv &+ start
      let o2 = y2 &* wv &+ start
      let o3 = y3 &* wv &+ start
      let h0 = rowSums(src, Int(o0[0]), Int(o0[1]), Int(o0[2]), Int(o0[3]), bx0, bx1, bx2, bx3)
      let h1 = rowSums(src, Int(o1[0]), Int(o1[1]), Int(o1[2]), Int(o1[3]), bx0, bx1, bx2, bx3)
      let h2 = rowSums(src, Int(o2[0]), Int(o2[1]), Int(o2[2]), Int(o2[3]), bx0, bx1, bx2, bx3)
      let h3 = rowSums(src, Int(o3[0]), Int(o3[1]), Int(o3[2]), Int(o3[3]), bx0, bx1, bx2, bx3)
      var v = combine(ay0, ay1, ay2, ay3, h0, h1, h2, h3)
      if !all(loadable) {
        // Lanes whose taps straddle an edge (rare): the same sums, scalar.
        for l in 0..<4 where !loadable[l] {
          v[l] = cubicLane(
            src, (x0[l], x1[l], x2[l], x3[l]),
            (y0[l] &* w32, y1[l] &* w32, y2[l] &* w32, y3[l] &* w32),
            (ax0[l], ax1[l], ax2[l], ax3[l]), (ay0[l], ay1[l], ay2[l], ay3[l]))
        }
      }
      if constant { v.replace(with: 0, where: killed) }
      for l in 0..<lanes { dst[p &+ l] = v[l] }
      return
    }
    // Otherwise every tap is gathered.
    let c = SIMD4<Int32>(repeating: ch32)
    let r = SIMD4<Int32>(repeating: stride32)
    let cx0 = x0 &* c
    let cx1 = x1 &* c
    let cx2 = x2 &* c
    let cx3 = x3 &* c
    let ry0 = y0 &* r
    let ry1 = y1 &* r
    let ry2 = y2 &* r
    let ry3 = y3 &* r
    for channel in 0..<ch {
      let q = src + channel
      let h0 = gatheredRowSums(q, ry0, cx0, cx1, cx2, cx3, ax0, ax1, ax2, ax3)
      let h1 = gatheredRowSums(q, ry1, cx0, cx1, cx2, cx3, ax0, ax1, ax2, ax3)
      let h2 = gatheredRowSums(q, ry2, cx0, cx1, cx2, cx3, ax0, ax1, ax2, ax3)
      let h3 = gatheredRowSums(q, ry3, cx0, cx1, cx2, cx3, ax0, ax1, ax2, ax3)
      var v = combine(ay0, ay1, ay2, ay3, h0, h1, h2, h3)
      if constant { v.replace(with: 0, where: killed) }
      for l in 0..<lanes { dst[(p &+ l) &* ch &+ channel] = v[l] }
    }
  }

  /// One lane of the cubic sums, scalar: taps `x_i` (indices) of rows at
  /// offsets `r_k`, in the same order as the lane-wise code.
  @inline(never)
  static func cubicLane(
    _ q: UnsafePointer<Float>, _ x: (Int32, Int32, Int32, Int32), _ r: (Int32, Int32, Int32, Int32),
    _ wx: (Float, Float, Float, Float), _ wy: (Float, Float, Float, Float)
  ) -> Float {
    @inline(__always) func row(_ o: Int32) -> Float {
      var h = wx.0 * q[Int(o &+ x.0)]
      h += wx.1 * q[Int(o &+ x.1)]
      h += wx.2 * q[Int(o &+ x.2)]
      h += wx.3 * q[Int(o &+ x.3)]
      return h
    }
    var v = wy.0 * row(r.0)
    v += wy.1 * row(r.1)
    v += wy.2 * row(r.2)
    v += wy.3 * row(r.3)
    return v
  }

  /// `((a₀·h₀ + a₁·h₁) + a₂·h₂) + a₃·h₃`, lane-wise.
  @inline(__always)
  static func combine(
    _ a0: SIMD4<Float>, _ a1: SIMD4<Float>, _ a2: SIMD4<Float>, _ a3: SIMD4<Float>,
    _ h0: SIMD4<Float>, _ h1: SIMD4<Float>, _ h2: SIMD4<Float>, _ h3: SIMD4<Float>
  ) -> SIMD4<Float> {
    var v: SIMD4<Float> = a0 * h0
    v += a1 * h1
    v += a2 * h2
    v += a3 * h3
    return v
  }

  /// For four lanes whose four taps of one row start at `src + o_l`: the
  /// lane-wise sums `((wx₀·s₀ + wx₁·s₁) + wx₂·s₂) + wx₃·s₃`.
  @inline(__always)
  static func rowSums(
    _ src: UnsafePointer<Float>, _ o0: Int, _ o1: Int, _ o2: Int, _ o3: Int,
    _ ax0: SIMD4<Float>, _ ax1: SIMD4<Float>, _ ax2: SIMD4<Float>, _ ax3: SIMD4<Float>
  ) -> SIMD4<Float> {
    let (t0, t1, t2, t3) = transposedLoads(src, o0, o1, o2, o3)
    return combine(ax0, ax1, ax2, ax3, t0, t1, t2, t3)
  }

  /// Four 4-wide loads at `src + o_l`, transposed: `t_i = (a[i], b[i], c[i], d[i])`.
  @inline(__always)
  static func transposedLoads(_ src: UnsafePointer<Float>, _ o0: Int, _ o1: Int, _ o2: Int, _ o3: Int)
    -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)
  {
    let a = UnsafeRawPointer(src + o0).loadUnaligned(as: SIMD4<Float>.self)
    let b = UnsafeRawPointer(src + o1).loadUnaligned(as: SIMD4<Float>.self)
    let c = UnsafeRawPointer(src + o2).loadUnaligned(as: SIMD4<Float>.self)
    let d = UnsafeRawPointer(src + o3).loadUnaligned(as: SIMD4<Float>.self)
    let ab01 = SIMD4(a[0], b[0], a[1], b[1])
    let cd01 = SIMD4(c[0], d[0], c[1], d[1])
    let ab23 = SIMD4(a[2], b[2], a[3], b[3])
    let cd23 = SIMD4(c[2], d[2], c[3], d[3])
    return (
      SIMD4(lowHalf: ab01.lowHalf, highHalf: cd01.lowHalf),
      SIMD4(lowHalf: ab01.highHalf, highHalf: cd01.highHalf),
      SIMD4(lowHalf: ab23.lowHalf, highHalf: cd23.lowHalf),
      SIMD4(lowHalf: ab23.highHalf, highHalf: cd23.highHalf)
    )
  }

  /// ``rowSums(_:_:_:_:_:_:_:_:_:)`` with every tap gathered: lane `l` of
  /// tap `i` is `q[row[l] + x_i[l]]`.
  @inline(__always)
  static func gatheredRowSums(
    _ q: UnsafePointer<Float>, _ row: SIMD4<Int32>,
    _ x0: SIMD4<Int32>, _ x1: SIMD4<Int32>, _ x2: SIMD4<Int32>, _ x3: SIMD4<Int32>,
    _ ax0: SIMD4<Float>, _ ax1: SIMD4<Float>, _ ax2: SIMD4<Float>, _ ax3: SIMD4<Float>
  ) -> SIMD4<Float> {
    @inline(__always) func gather(_ o: SIMD4<Int32>) -> SIMD4<Float> {
      SIMD4(q[Int(o[0])], q[Int(o[1])], q[Int(o[2])], q[Int(o[3])])
    }
    return combine(
      ax0, ax1, ax2, ax3, gather(row &+ x0), gather(row &+ x1), gather(row &+ x2), gather(row &+ x3))
  }

  /// Nearest-neighbour values of four lanes at pixel indices `(nx, ny)`
  /// anywhere, through the border rule, stored to `out[0..<lanes]` (kept
  /// out of line so that the interior loop stays small).
  @inline(never)
  static func nearestLanes<T, B: BorderRule>(
    _ s: SourceArray<T>, _ nx: SIMD4<Int32>, _ ny: SIMD4<Int32>, _ border: B.Type,
    _ out: UnsafeMutablePointer<T>, lanes: Int, zero: T
  ) {
    let ch = s.channels
    let src = s.samples
    let (jx, validX) = B.indices4(nx, count: Int32(truncatingIfNeeded: s.width))
    let (jy, validY) = B.indices4(ny, count: Int32(truncatingIfNeeded: s.height))
    let valid = validX .& validY
    let w = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: s.width))
    let off = (jy &* w &+ jx) &* SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: ch))
    for l in 0..<lanes {
      let o = Int(off[l])
      for c in 0..<ch { out[l &* ch &+ c] = valid[l] ? src[o &+ c] : zero }
    }
  }

  /// Nearest neighbour, any sample type; zero outside with a constant border.
  static func nearest<T, B: BorderRule>(
    _ s: SourceArray<T>, _ xs: UnsafePointer<Float>, _ ys: UnsafePointer<Float>, count: Int,
    _ dst: UnsafeMutablePointer<T>, _ border: B.Type, zero: T
  ) {
    let ch = s.channels
    let src = s.samples
    let zeroV = SIMD4<Int32>()
    let w = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: s.width))
    let lastX = w &- 1
    let lastY = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: s.height) &- 1)
    var p = 0
    while p < count {
      let lanes = min(4, count &- p)
      let (vx, vy) = loadPositions(xs, ys, p, lanes: lanes)
      let nx = nearestIndex4(vx)
      let ny = nearestIndex4(vy)
      if ch == 1 && lanes == 4 && all((nx .>= zeroV) .& (nx .<= lastX) .& (ny .>= zeroV) .& (ny .<= lastY)) {
        let off = ny &* w &+ nx
        dst[p] = src[Int(off[0])]
        dst[p &+ 1] = src[Int(off[1])]
        dst[p &+ 2] = src[Int(off[2])]
        dst[p &+ 3] = src[Int(off[3])]
      } else {
        nearestLanes(s, nx, ny, border, dst + p &* ch, lanes: lanes, zero: zero)
      }
      p &+= 4
    }
  }

  /// Bilinear resampling: `(1 − ty)·((1 − tx)·a + tx·b) + ty·((1 − tx)·c + tx·d)`,
  /// lane-wise in that order; exactly the sample at integral positions.
  static func linear<B: BorderRule>(
    _ s: SourceArray<Float>, _ xs: UnsafePointer<Float>, _ ys: UnsafePointer<Float>, count: Int,
    _ dst: UnsafeMutablePointer<Float>, _ border: B.Type
  ) {
    let ch = s.channels
    let src = s.samples
    let w32 = Int32(truncatingIfNeeded: s.width)
    let h32 = Int32(truncatingIfNeeded: s.height)
    let c = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: ch))
    let r = SIMD4<Int32>(repeating: w32 &* Int32(truncatingIfNeeded: ch))
    let one = SIMD4<Float>(repeating: 1)
    let constant = B.zeroesOutside
    let w = s.width
    let zero = SIMD4<Int32>()
    let highX = SIMD4<Int32>(repeating: w32 &- 2)
    let highY = SIMD4<Int32>(repeating: h32 &- 2)
    var p = 0
    while p < count {
      let lanes = min(4, count &- p)
      let (vx, vy) = loadPositions(xs, ys, p, lanes: lanes)
      let (ix, tx) = floorAndFraction4(vx)
      let (iy, ty) = floorAndFraction4(vy)
      var wx0 = one - tx
      var wx1 = tx
      var wy0 = one - ty
      var wy1 = ty
      if ch == 1 && lanes == 4 && all((ix .>= zero) .& (ix .<= highX) .& (iy .>= zero) .& (iy .<= highY)) {
        // Interior: direct offsets, the same arithmetic.
        let o = iy &* SIMD4<Int32>(repeating: w32) &+ ix
        let o0 = Int(o[0])
        let o1 = Int(o[1])
        let o2 = Int(o[2])
        let o3 = Int(o[3])
        var r0: SIMD4<Float> = wx0 * SIMD4(src[o0], src[o1], src[o2], src[o3])
        r0 += wx1 * SIMD4(src[o0 &+ 1], src[o1 &+ 1], src[o2 &+ 1], src[o3 &+ 1])
        var r1: SIMD4<Float> = wx0 * SIMD4(src[o0 &+ w], src[o1 &+ w], src[o2 &+ w], src[o3 &+ w])
        r1 += wx1 * SIMD4(src[o0 &+ w &+ 1], src[o1 &+ w &+ 1], src[o2 &+ w &+ 1], src[o3 &+ w &+ 1])
        var v: SIMD4<Float> = wy0 * r0
        v += wy1 * r1
        UnsafeMutableRawPointer(dst + p).storeBytes(of: v, as: SIMD4<Float>.self)
        p &+= 4
        continue
      }
      let (x0, vx0) = B.indices4(ix, count: w32)
      let (x1, vx1) = B.indices4(ix &+ 1, count: w32)
      let (y0, vy0) = B.indices4(iy, count: h32)
      let (y1, vy1) = B.indices4(iy &+ 1, count: h32)
      if constant {
        wx0.replace(with: 0, where: .!vx0)
        wx1.replace(with: 0, where: .!vx1)
        wy0.replace(with: 0, where: .!vy0)
        wy1.replace(with: 0, where: .!vy1)
      }
      let cx0 = x0 &* c
      let cx1 = x1 &* c
      let ry0 = y0 &* r
      let ry1 = y1 &* r
      for channel in 0..<ch {
        let q = src + channel
        @inline(__always) func gather(_ o: SIMD4<Int32>) -> SIMD4<Float> {
          SIMD4(q[Int(o[0])], q[Int(o[1])], q[Int(o[2])], q[Int(o[3])])
        }
        var r0: SIMD4<Float> = wx0 * gather(ry0 &+ cx0)
        r0 += wx1 * gather(ry0 &+ cx1)
        var r1: SIMD4<Float> = wx0 * gather(ry1 &+ cx0)
        r1 += wx1 * gather(ry1 &+ cx1)
        var v: SIMD4<Float> = wy0 * r0
        v += wy1 * r1
        for l in 0..<lanes { dst[(p &+ l) &* ch &+ channel] = v[l] }
      }
      p &+= 4
    }
  }
}

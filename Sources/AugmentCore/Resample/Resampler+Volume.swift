import RasterCore

extension Resampler {
  /// `volume` resampled along `map`: tricubic (Keys `a = −0.5` on each
  /// axis, 4 × 4 × 4 taps), trilinear or nearest; positions outside read
  /// the volume extended by ``border`` on each axis. Cubic and linear
  /// return the source sample exactly at integral positions (finite samples).
  ///
  /// Every value is `Σ_k wz_k · b_k`, `b_k` the bicubic sum of the 2-D
  /// kernels over slice `z_k`, in the order `((w₀a + w₁b) + w₂c) + w₃d` on
  /// every axis; a voxel's value depends on its own position only.
  ///
  /// - Precondition: the map's size equals the volume's; fewer than 2³¹ voxels.
  public func resample(
    _ volume: Volume<Float>, along map: VolumeSamplingMap, interpolation: Interpolation = .cubic
  ) -> Volume<Float> {
    let border = self.border
    return apply(volume, along: map) { source, n, dst in
      switch interpolation {
      case .cubic: VolumeKernels.cubic(source, map, count: n, dst, border)
      case .linear: VolumeKernels.linear(source, map, count: n, dst, border)
      case .nearest: VolumeKernels.nearest(source, map, count: n, dst, border, zero: 0)
      }
    }
  }

  /// Instance labels resampled by nearest neighbour (voxel `⌊p + ½⌋` on each axis).
  public func nearest(_ labels: LabelVolume, along map: VolumeSamplingMap) -> LabelVolume {
    let border = self.border
    return apply(labels, along: map) { VolumeKernels.nearest($0, map, count: $1, $2, border, zero: 0) }
  }

  /// A mask resampled by nearest neighbour.
  public func nearest(_ mask: Volume<UInt8>, along map: VolumeSamplingMap) -> Volume<UInt8> {
    let border = self.border
    return apply(mask, along: map) { VolumeKernels.nearest($0, map, count: $1, $2, border, zero: 0) }
  }

  private func apply<T: PixelSample>(
    _ volume: Volume<T>, along map: VolumeSamplingMap,
    _ kernel: (SourceArray3D<T>, Int, UnsafeMutablePointer<T>) -> Void
  ) -> Volume<T> {
    precondition(
      volume.width == map.width && volume.height == map.height && volume.depth == map.depth,
      "Resampler: \(volume.width)x\(volume.height)x\(volume.depth) volume with a \(map.width)x\(map.height)x\(map.depth) map")
    precondition(volume.voxelCount < Int(Int32.max), "Resampler: \(volume.voxelCount) voxels, the limit is 2^31 - 1")
    var out = volume
    guard volume.voxelCount > 0 else { return out }
    volume.samples.withUnsafeBufferPointer { src in
      out.samples.withUnsafeMutableBufferPointer { dst in
        kernel(
          SourceArray3D(samples: src.baseAddress!, width: volume.width, height: volume.height, depth: volume.depth),
          volume.voxelCount, dst.baseAddress!)
      }
    }
    return out
  }
}

/// A source volume as raw pointer and shape.
struct SourceArray3D<T> {
  let samples: UnsafePointer<T>
  let width: Int
  let height: Int
  let depth: Int
}

/// The volume kernels: four voxels at a time, as the 2-D ``Kernels`` (and
/// with their helpers), one more axis.
enum VolumeKernels {
  static func cubic(
    _ s: SourceArray3D<Float>, _ map: VolumeSamplingMap, count: Int, _ dst: UnsafeMutablePointer<Float>,
    _ border: BorderMode
  ) {
    switch border {
    case .mirror: cubic(s, map, count: count, dst, MirrorRule.self)
    case .constant: cubic(s, map, count: count, dst, ConstantRule.self)
    case .nearest: cubic(s, map, count: count, dst, ClampRule.self)
    }
  }

  static func linear(
    _ s: SourceArray3D<Float>, _ map: VolumeSamplingMap, count: Int, _ dst: UnsafeMutablePointer<Float>,
    _ border: BorderMode
  ) {
    switch border {
    case .mirror: linear(s, map, count: count, dst, MirrorRule.self)
    case .constant: linear(s, map, count: count, dst, ConstantRule.self)
    case .nearest: linear(s, map, count: count, dst, ClampRule.self)
    }
  }

  static func nearest<T>(
    _ s: SourceArray3D<T>, _ map: VolumeSamplingMap, count: Int, _ dst: UnsafeMutablePointer<T>,
    _ border: BorderMode, zero: T
  ) {
    switch border {
    case .mirror: nearest(s, map, count: count, dst, MirrorRule.self, zero: zero)
    case .constant: nearest(s, map, count: count, dst, ConstantRule.self, zero: zero)
    case .nearest: nearest(s, map, count: count, dst, ClampRule.self, zero: zero)
    }
  }

  /// Runs `body(p, lanes, vx, vy, vz)` for each group of four voxels of an
  /// output row (the last group of a row may have fewer lanes), rows in
  /// bands of 8: for each band, slice after slice. A voxel's value depends
  /// on its own position only, so the order changes no result; this one
  /// keeps the source rows a band reads over four consecutive slices in
  /// cache, where plain slice order would reread each slice from memory.
  @inline(__always)
  static func groups(
    _ map: VolumeSamplingMap, count: Int,
    _ body: (Int, Int, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) -> Void
  ) {
    let (w, h, d) = (map.width, map.height, map.depth)
    guard w * h * d == count, count > 0 else { return }
    map.x.withUnsafeBufferPointer { xs in
      map.y.withUnsafeBufferPointer { ys in
        map.z.withUnsafeBufferPointer { zs in
          for y0 in stride(from: 0, to: h, by: 8) {
            for z in 0..<d {
              for y in y0..<min(y0 &+ 8, h) {
                let row = (z &* h &+ y) &* w
                var x = 0
                while x < w {
                  let p = row &+ x
                  let lanes = min(4, w &- x)
                  let (vx, vy) = loadPositions(xs.baseAddress!, ys.baseAddress!, p, lanes: lanes)
                  let (vz, _) = loadPositions(zs.baseAddress!, zs.baseAddress!, p, lanes: lanes)
                  body(p, lanes, vx, vy, vz)
                  x &+= 4
                }
              }
            }
          }
        }
      }
    }
  }

  /// Tricubic resampling: inside (every tap within the volume) four slices
  /// of the 2-D interior sums; elsewhere every tap through the border rule,
  /// gathered.
  static func cubic<B: BorderRule>(
    _ s: SourceArray3D<Float>, _ map: VolumeSamplingMap, count: Int, _ dst: UnsafeMutablePointer<Float>,
    _ border: B.Type
  ) {
    let (w32, h32, d32) = (Int32(s.width), Int32(s.height), Int32(s.depth))
    let plane = s.width &* s.height
    let one = SIMD4<Int32>(repeating: 1)
    let high = (SIMD4<Int32>(repeating: w32 &- 3), SIMD4<Int32>(repeating: h32 &- 3), SIMD4<Int32>(repeating: d32 &- 3))
    let src = s.samples
    groups(map, count: count) { p, lanes, vx, vy, vz in
      let (ix, tx) = floorAndFraction4(vx)
      let (iy, ty) = floorAndFraction4(vy)
      let (iz, tz) = floorAndFraction4(vz)
      let ax = CubicKernel.weights4(tx)
      let ay = CubicKernel.weights4(ty)
      let az = CubicKernel.weights4(tz)
      let inside =
        lanes == 4
        && all((ix .>= one) .& (ix .<= high.0) .& (iy .>= one) .& (iy .<= high.1) .& (iz .>= one) .& (iz .<= high.2))
      if inside {
        let o = ((iz &- 1) &* SIMD4(repeating: h32) &+ (iy &- 1)) &* SIMD4(repeating: w32) &+ (ix &- 1)
        let step = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: plane))
        @inline(__always) func slice(_ k: Int32) -> SIMD4<Float> {
          Kernels.interiorSums(
            src, o &+ step &* SIMD4(repeating: k), rowStride: s.width, ax.0, ax.1, ax.2, ax.3, ay.0, ay.1, ay.2, ay.3)
        }
        let v = Kernels.combine(az.0, az.1, az.2, az.3, slice(0), slice(1), slice(2), slice(3))
        UnsafeMutableRawPointer(dst + p).storeBytes(of: v, as: SIMD4<Float>.self)
        return
      }
      let v = gatheredCubic(s, ix, iy, iz, ax, ay, az, B.self)
      for l in 0..<lanes { dst[p &+ l] = v[l] }
    }
  }

  /// The tricubic sums of four lanes anywhere, every tap gathered through
  /// the border rule (kept out of line so that the interior loop stays small).
  @inline(never)
  static func gatheredCubic<B: BorderRule>(
    _ s: SourceArray3D<Float>, _ ix: SIMD4<Int32>, _ iy: SIMD4<Int32>, _ iz: SIMD4<Int32>,
    _ ax: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>),
    _ ay: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>),
    _ az: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>), _: B.Type
  ) -> SIMD4<Float> {
    let tx = Taps<B>(ix, count: Int32(s.width), ax)
    let ty = Taps<B>(iy, count: Int32(s.height), ay)
    let tz = Taps<B>(iz, count: Int32(s.depth), az)
    let w = SIMD4<Int32>(repeating: Int32(s.width)), h = SIMD4<Int32>(repeating: Int32(s.height))
    // Where every lane's x taps are four consecutive samples, ascending or
    // descending (mirrored), rows load 4-wide as inside; a descending lane's
    // weights are reversed instead (it sums in ascending sample order).
    let ascending = (tx.i1 .== tx.i0 &+ 1) .& (tx.i2 .== tx.i0 &+ 2) .& (tx.i3 .== tx.i0 &+ 3)
    let descending = (tx.i1 .== tx.i0 &- 1) .& (tx.i2 .== tx.i0 &- 2) .& (tx.i3 .== tx.i0 &- 3)
    let loadable = s.width >= 4 && all(ascending .| descending)
    let start = tx.i0.replacing(with: tx.i3, where: descending)
    let bx = (
      tx.w0.replacing(with: tx.w3, where: descending), tx.w1.replacing(with: tx.w2, where: descending),
      tx.w2.replacing(with: tx.w1, where: descending), tx.w3.replacing(with: tx.w0, where: descending)
    )
    @inline(__always) func slice(_ z: SIMD4<Int32>) -> SIMD4<Float> {
      @inline(__always) func row(_ y: SIMD4<Int32>) -> SIMD4<Float> {
        let r = (z &* h &+ y) &* w
        if loadable {
          let o = r &+ start
          return Kernels.rowSums(s.samples, Int(o[0]), Int(o[1]), Int(o[2]), Int(o[3]), bx.0, bx.1, bx.2, bx.3)
        }
        return Kernels.gatheredRowSums(s.samples, r, tx.i0, tx.i1, tx.i2, tx.i3, tx.w0, tx.w1, tx.w2, tx.w3)
      }
      return Kernels.combine(ty.w0, ty.w1, ty.w2, ty.w3, row(ty.i0), row(ty.i1), row(ty.i2), row(ty.i3))
    }
    var v = Kernels.combine(tz.w0, tz.w1, tz.w2, tz.w3, slice(tz.i0), slice(tz.i1), slice(tz.i2), slice(tz.i3))
    // A lane with no tap inside on some axis is exactly +0.
    if B.zeroesOutside { v.replace(with: 0, where: .!(tx.any .& ty.any .& tz.any)) }
    return v
  }

  /// Trilinear: `(1 − tz)·bilinear(z₀) + tz·bilinear(z₁)`, each bilinear as
  /// the 2-D kernel orders it; every tap gathered through the border rule.
  static func linear<B: BorderRule>(
    _ s: SourceArray3D<Float>, _ map: VolumeSamplingMap, count: Int, _ dst: UnsafeMutablePointer<Float>,
    _: B.Type
  ) {
    let (w32, h32, d32) = (Int32(s.width), Int32(s.height), Int32(s.depth))
    let w = SIMD4<Int32>(repeating: w32), h = SIMD4<Int32>(repeating: h32)
    let one = SIMD4<Float>(repeating: 1)
    let src = s.samples
    groups(map, count: count) { p, lanes, vx, vy, vz in
      let (ix, tx) = floorAndFraction4(vx)
      let (iy, ty) = floorAndFraction4(vy)
      let (iz, tz) = floorAndFraction4(vz)
      var (wx0, wx1, wy0, wy1, wz0, wz1) = (one - tx, tx, one - ty, ty, one - tz, tz)
      let (x0, vx0) = B.indices4(ix, count: w32)
      let (x1, vx1) = B.indices4(ix &+ 1, count: w32)
      let (y0, vy0) = B.indices4(iy, count: h32)
      let (y1, vy1) = B.indices4(iy &+ 1, count: h32)
      let (z0, vz0) = B.indices4(iz, count: d32)
      let (z1, vz1) = B.indices4(iz &+ 1, count: d32)
      if B.zeroesOutside {
        wx0.replace(with: 0, where: .!vx0)
        wx1.replace(with: 0, where: .!vx1)
        wy0.replace(with: 0, where: .!vy0)
        wy1.replace(with: 0, where: .!vy1)
        wz0.replace(with: 0, where: .!vz0)
        wz1.replace(with: 0, where: .!vz1)
      }
      @inline(__always) func gather(_ o: SIMD4<Int32>) -> SIMD4<Float> {
        SIMD4(src[Int(o[0])], src[Int(o[1])], src[Int(o[2])], src[Int(o[3])])
      }
      @inline(__always) func bilinear(_ z: SIMD4<Int32>) -> SIMD4<Float> {
        let r0 = (z &* h &+ y0) &* w
        let r1 = (z &* h &+ y1) &* w
        var a: SIMD4<Float> = wx0 * gather(r0 &+ x0)
        a += wx1 * gather(r0 &+ x1)
        var b: SIMD4<Float> = wx0 * gather(r1 &+ x0)
        b += wx1 * gather(r1 &+ x1)
        var v: SIMD4<Float> = wy0 * a
        v += wy1 * b
        return v
      }
      var v: SIMD4<Float> = wz0 * bilinear(z0)
      v += wz1 * bilinear(z1)
      for l in 0..<lanes { dst[p &+ l] = v[l] }
    }
  }

  /// Nearest neighbour, any sample type; zero outside with a constant border.
  static func nearest<T, B: BorderRule>(
    _ s: SourceArray3D<T>, _ map: VolumeSamplingMap, count: Int, _ dst: UnsafeMutablePointer<T>,
    _: B.Type, zero: T
  ) {
    let (w32, h32, d32) = (Int32(s.width), Int32(s.height), Int32(s.depth))
    let w = SIMD4<Int32>(repeating: w32), h = SIMD4<Int32>(repeating: h32)
    let src = s.samples
    let zero4 = SIMD4<Int32>()
    let last = (w &- 1, h &- 1, SIMD4<Int32>(repeating: d32 &- 1))
    groups(map, count: count) { p, lanes, vx, vy, vz in
      let (nx, ny, nz) = (nearestIndex4(vx), nearestIndex4(vy), nearestIndex4(vz))
      if lanes == 4
        && all((nx .>= zero4) .& (nx .<= last.0) .& (ny .>= zero4) .& (ny .<= last.1) .& (nz .>= zero4) .& (nz .<= last.2))
      {
        let off = (nz &* h &+ ny) &* w &+ nx
        dst[p] = src[Int(off[0])]
        dst[p &+ 1] = src[Int(off[1])]
        dst[p &+ 2] = src[Int(off[2])]
        dst[p &+ 3] = src[Int(off[3])]
        return
      }
      let (jx, validX) = B.indices4(nx, count: w32)
      let (jy, validY) = B.indices4(ny, count: h32)
      let (jz, validZ) = B.indices4(nz, count: d32)
      let valid = validX .& validY .& validZ
      let off = (jz &* h &+ jy) &* w &+ jx
      for l in 0..<lanes { dst[p &+ l] = valid[l] ? src[Int(off[l])] : zero }
    }
  }
}

/// The four cubic taps of four lanes along one axis: their indices through
/// the border rule and their weights (0 where a constant border reads
/// nothing), and which lanes have a tap inside.
struct Taps<B: BorderRule> {
  var i0, i1, i2, i3: SIMD4<Int32>
  var w0, w1, w2, w3: SIMD4<Float>
  var any = SIMDMask<SIMD4<Int32>>(repeating: true)

  @inline(__always)
  init(_ i: SIMD4<Int32>, count n: Int32, _ a: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)) {
    let (j0, v0) = B.indices4(i &- 1, count: n)
    let (j1, v1) = B.indices4(i, count: n)
    let (j2, v2) = B.indices4(i &+ 1, count: n)
    let (j3, v3) = B.indices4(i &+ 2, count: n)
    (i0, i1, i2, i3) = (j0, j1, j2, j3)
    (w0, w1, w2, w3) = a
    if B.zeroesOutside {
      w0.replace(with: 0, where: .!v0)
      w1.replace(with: 0, where: .!v1)
      w2.replace(with: 0, where: .!v2)
      w3.replace(with: 0, where: .!v3)
      any = v0 .| v1 .| v2 .| v3
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The row-band, two-pass computation of `d1`, `d2` and the weights; see
/// ``WeightMapper`` for the method and its error bound.
struct BorderTermKernel {
  let w0: Double
  let sigmaPixels: Double
  /// `R`: the term is dropped where `d1 + d2 > R`.
  let radius: Double
  let region: BorderRegion
  /// Rows per band of the column pass, at least.
  let minimumBandRows: Int

  /// Writes `w_c + border term` for every pixel of `labels` into `out`.
  func run(
    labels: UnsafeBufferPointer<UInt32>, width: Int, height: Int,
    background: Double, foreground: Double, into out: UnsafeMutableBufferPointer<Float>
  ) {
    let n = width * height
    precondition(labels.count == n && out.count == n, "BorderTermKernel: size mismatch")
    let wcBackground = Float(background)
    let wcForeground = Float(foreground)
    for i in 0..<n { out[i] = labels[i] != 0 ? wcForeground : wcBackground }
    guard n > 0, w0 > 0, radius >= 1, Self.hasTwoInstances(labels) else { return }

    // Offsets beyond the image never occur, so the window can be clipped.
    let r = Int(Swift.min(radius.rounded(.down), Double(Swift.max(width, height))))
    let s = Scratch(width: width, r: r, radius: radius)
    defer { s.deallocate() }
    let sweep = ColumnSweep(
      columns: width, rows: height, reach: r, bandRows: Swift.min(height, Swift.max(minimumBandRows, 2 * r, 1)))
    sweep.run(labels) { y, under, above, hasBackground in
      if region == .background && !hasBackground { return }
      let row = y * width
      rowPass(
        y: y, width: width, labels: UnsafeBufferPointer(rebasing: labels[row..<(row + width)]),
        under: under, above: above, scratch: s, background: background, foreground: foreground,
        out: UnsafeMutableBufferPointer(rebasing: out[row..<(row + width)]))
    }
  }

  /// Border terms of row `y`: for each pixel, the two nearest distinct
  /// instances among the column candidates of `x ± dx`, scanned outward.
  @inline(__always)
  private func rowPass(
    y: Int, width: Int, labels: UnsafeBufferPointer<UInt32>, under: UnsafeBufferPointer<ColumnTrack>,
    above: UnsafeBufferPointer<ColumnTrack>, scratch s: Scratch, background: Double, foreground: Double, out: UnsafeMutableBufferPointer<Float>
  ) {
    let r = s.stopIfFar.count - 1
    let twoSigma2 = 2 * sigmaPixels * sigmaPixels
    let onlyBackground = region == .background

    /// Column `c`'s two nearest distinct instances, merged from the two
    /// directions on first use in this row.
    @inline(__always) func column(_ c: Int) -> ColumnNearest {
      if s.mergedRow[c] == y { return s.merged[c] }
      s.mergedRow[c] = y
      var t = TopTwo<Int>()
      let a = above[c]
      if a.label1 != 0 {
        t.offer(y - Int(a.row1), a.label1)
        if a.label2 != 0 { t.offer(y - Int(a.row2), a.label2) }
      }
      let u = under[c]
      if u.label1 != 0 {
        t.offer(Int(u.row1) - y, u.label1)
        if u.label2 != 0 { t.offer(Int(u.row2) - y, u.label2) }
      }
      let e = ColumnNearest(
        g1: t.l1 != 0 ? Int32(t.v1) : 0, label1: t.l1, g2: t.l2 != 0 ? Int32(t.v2) : 0, label2: t.l2)
      s.merged[c] = e
      return e
    }
    @inline(__always) func consider(_ e: ColumnNearest, _ dx2: Int, _ t: inout TopTwo<Int>) {
      guard e.label1 != 0 else { return }
      let g1 = Int(e.g1)
      let c1 = dx2 + g1 * g1
      guard c1 < t.v2 else { return }
      t.offer(c1, e.label1)
      guard e.label2 != 0 else { return }
      let g2 = Int(e.g2)
      t.offer(dx2 + g2 * g2, e.label2)
    }

    for x in 0..<width {
      let label = labels[x]
      if onlyBackground && label != 0 { continue }
      var t = TopTwo<Int>()
      consider(column(x), 0, &t)
      var dx = 1
      while dx <= r {
        let dx2 = dx * dx
        // Nothing left can be nearer than d2 ...
        if dx2 >= t.v2 { break }
        // ... or anything left makes d1 + d2 > R.
        if t.v1 >= dx2 ? s.stopIfFar[dx] : t.v1 > s.stopIfNear[dx] { break }
        if x >= dx { consider(column(x - dx), dx2, &t) }
        if x + dx < width { consider(column(x + dx), dx2, &t) }
        dx += 1
      }
      guard t.l2 != 0 else { continue }
      let sum = Double(t.v1).squareRoot() + Double(t.v2).squareRoot()
      guard sum <= radius else { continue }
      let wc = label != 0 ? foreground : background
      out[x] = Float(wc + w0 * exp(-(sum * sum) / twoSigma2))
    }
  }

  /// Whether at least two distinct non-zero labels occur.
  static func hasTwoInstances(_ labels: UnsafeBufferPointer<UInt32>) -> Bool {
    var first: UInt32 = 0
    for l in labels where l != 0 {
      if first == 0 {
        first = l
      } else if l != first {
        return true
      }
    }
    return false
  }
}

/// The row pass's working memory: O(width + R), never per instance.
private struct Scratch {
  /// Per column: the current row's merged candidates, valid where
  /// `mergedRow[x]` is the current row.
  let merged: UnsafeMutableBufferPointer<ColumnNearest>
  let mergedRow: UnsafeMutableBufferPointer<Int>
  /// `stopIfNear[dx]`: while `d1 < dx`, the scan stops once
  /// `d1² > ⌊(R − dx)²⌋`, i.e. `d1 + dx > R`.
  let stopIfNear: UnsafeMutableBufferPointer<Int>
  /// `stopIfFar[dx]`: while `d1 ≥ dx`, the scan stops once `2·dx > R`.
  let stopIfFar: UnsafeMutableBufferPointer<Bool>

  init(width: Int, r: Int, radius: Double) {
    merged = .allocate(capacity: width)
    merged.initialize(repeating: ColumnNearest())
    mergedRow = .allocate(capacity: width)
    mergedRow.initialize(repeating: -1)
    stopIfNear = .allocate(capacity: r + 1)
    stopIfFar = .allocate(capacity: r + 1)
    for dx in 0...r {
      let rest = radius - Double(dx)
      // Capped at 2⁶², beyond every squared distance of an image, so that a
      // huge σ (R² = ∞) converts.
      stopIfNear[dx] = Int(Swift.min((rest * rest).rounded(.down), 0x1p62))
      stopIfFar[dx] = 2 * Double(dx) > radius
    }
  }

  func deallocate() {
    merged.deallocate()
    mergedRow.deallocate()
    stopIfNear.deallocate()
    stopIfFar.deallocate()
  }
}

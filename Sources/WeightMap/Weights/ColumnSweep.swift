/// The column pass of the border-term kernels, shared by images and
/// volumes: a grid of `rows` rows (image rows, or the slices of a volume)
/// of `columns` sites each (a row's pixels, or a slice's voxels). For each
/// row in order it gives, per column, the two nearest distinct instances at
/// or below the row (within ``reach`` rows) and at or above it.
///
/// Rows go in bands of ``bandRows``: a band's upward scan starts ``reach``
/// rows below it (farther instances cannot matter) and keeps its results
/// for the band; the downward scan runs once through all rows. Memory:
/// `columns × (bandRows + 2)` tracks, never one per instance.
struct ColumnSweep {
  let columns: Int
  let rows: Int
  /// Rows beyond a band that may still hold a relevant instance.
  let reach: Int
  /// Rows per band, ≥ 1.
  let bandRows: Int

  /// Calls `body(row, under, above, hasBackground)` for every row of
  /// `range` (default: all) in order; `hasBackground` tells whether the row
  /// has a pixel of label 0. The tracks of a row do not depend on the range
  /// (the downward scan starts `reach` rows above it), so ranges can run
  /// apart, on separate threads.
  func run(
    _ labels: UnsafeBufferPointer<UInt32>, rows range: Range<Int>? = nil,
    _ body: (_ row: Int, _ under: UnsafeBufferPointer<ColumnTrack>, _ above: UnsafeBufferPointer<ColumnTrack>,
      _ hasBackground: Bool) -> Void
  ) {
    let width = columns
    let band = UnsafeMutableBufferPointer<ColumnTrack>.allocate(capacity: width * bandRows)
    band.initialize(repeating: ColumnTrack())
    let above = UnsafeMutableBufferPointer<ColumnTrack>.allocate(capacity: width)
    above.initialize(repeating: ColumnTrack())
    let below = UnsafeMutableBufferPointer<ColumnTrack>.allocate(capacity: width)
    defer {
      band.deallocate()
      above.deallocate()
      below.deallocate()
    }
    let range = range ?? 0..<rows
    // Above the range, within reach: the downward scan's start.
    for y in Swift.max(0, range.lowerBound - reach)..<range.lowerBound {
      let row = y * width
      for x in 0..<width where labels[row + x] != 0 { above[x].see(labels[row + x], row: Int32(y)) }
    }
    var y0 = range.lowerBound
    while y0 < range.upperBound {
      let y1 = Swift.min(range.upperBound, y0 + bandRows)
      // Upward: for every row of the band, the two nearest distinct
      // instances at or below, within `reach` rows past the band.
      below.initialize(repeating: ColumnTrack())
      var y = Swift.min(rows - 1, y1 - 1 + reach)
      while y >= y0 {
        let row = y * width
        for x in 0..<width where labels[row + x] != 0 {
          below[x].see(labels[row + x], row: Int32(y))
        }
        if y < y1 {
          let b = (y - y0) * width
          _ = UnsafeMutableBufferPointer(rebasing: band[b..<(b + width)]).update(fromContentsOf: below)
        }
        y -= 1
      }
      // Downward (at or above), then the row's own work.
      for y in y0..<y1 {
        let row = y * width
        var hasBackground = false
        for x in 0..<width {
          let l = labels[row + x]
          if l != 0 {
            above[x].see(l, row: Int32(y))
          } else {
            hasBackground = true
          }
        }
        let b = (y - y0) * width
        body(y, UnsafeBufferPointer(rebasing: band[b..<(b + width)]), UnsafeBufferPointer(above), hasBackground)
      }
      y0 = y1
    }
  }
}

/// The two nearest distinct instances seen in one column, going one way
/// (down or up): their labels (0 = none) and the rows of their nearest
/// pixels, nearest first.
struct ColumnTrack {
  var label1: UInt32 = 0
  var row1: Int32 = 0
  var label2: UInt32 = 0
  var row2: Int32 = 0

  /// Takes a pixel of `label` (non-zero) at `row`, the newest so far.
  @inline(__always) mutating func see(_ label: UInt32, row: Int32) {
    if label == label1 {
      row1 = row
    } else {
      label2 = label1
      row2 = row1
      label1 = label
      row1 = row
    }
  }
}

/// For one pixel: the vertical distances to the two nearest distinct
/// instances in its column, `g1 ≤ g2`, with their labels (0 = none, and
/// then the distance is meaningless).
struct ColumnNearest {
  var g1: Int32 = 0
  var label1: UInt32 = 0
  var g2: Int32 = 0
  var label2: UInt32 = 0
}

/// The two smallest values of distinct labels seen so far, `v1 ≤ v2`;
/// `none` (`Int.max`, `+∞`) and label 0 while absent.
struct TopTwo<V: Comparable> {
  // Values first: 24 bytes for Double and Int values, not 32.
  var v1: V
  var v2: V
  var l1: UInt32 = 0
  var l2: UInt32 = 0

  @inline(__always) init(none: V) {
    v1 = none
    v2 = none
  }

  @inline(__always) mutating func offer(_ v: V, _ l: UInt32) {
    if v >= v2 { return }
    if l == l1 {
      if v < v1 { v1 = v }
    } else if v < v1 {
      v2 = v1
      l2 = l1
      v1 = v
      l1 = l
    } else {
      v2 = v
      l2 = l
    }
  }
}


extension TopTwo where V == Int {
  @inline(__always) init() { self.init(none: .max) }
}

extension TopTwo where V == Double {
  @inline(__always) init() { self.init(none: .infinity) }
}

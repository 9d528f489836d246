/// Percentiles of one channel, numpy `method='linear'` (see
/// ``Normalization/percentile(lowPercent:highPercent:)``), from order
/// statistics: counting for 8- and 16-bit samples, quickselect otherwise.
enum Percentiles {
  static func of(_ image: AnyImage, channel c: Int, _ low: Double, _ high: Double)
    -> (low: Double, high: Double)
  {
    switch image {
    case .uint8(let i): return counted(i, c, 256, low, high)
    case .uint16(let i): return counted(i, c, 65536, low, high)
    case .uint32(let i): return selected(i, c, low, high)
    case .int32(let i): return selected(i, c, low, high)
    case .float32(let i): return selected(i, c, low, high)
    }
  }

  /// `h = (n−1)·P/100` (in that order) split into `⌊h⌋` and its fraction.
  static func position(count n: Int, percent: Double) -> (k: Int, fraction: Double) {
    let h = Double(n - 1) * percent / 100
    let k = min(Int(h), n - 1)
    return (k, h - Double(k))
  }

  /// `a + (b − a)·f`, and exactly `a` when `f = 0`.
  static func lerp(_ a: Double, _ b: Double, _ f: Double) -> Double {
    f == 0 ? a : a + (b - a) * f
  }

  private static func counted<S: PixelSample & BinaryInteger>(
    _ image: Image<S>, _ c: Int, _ levels: Int, _ low: Double, _ high: Double
  ) -> (low: Double, high: Double) {
    var counts = [Int](repeating: 0, count: levels)
    let ch = image.channels
    image.samples.withUnsafeBufferPointer { s in
      counts.withUnsafeMutableBufferPointer { h in
        for i in Swift.stride(from: c, to: s.count, by: ch) { h[Int(s[i])] += 1 }
      }
    }
    let n = image.pixelCount
    guard n > 0 else { return (0, 0) }
    // The k-th and (k+1)-th smallest values by one cumulative scan.
    func orderStatistics(_ k: Int) -> (Double, Double) {
      var seen = 0
      var v = 0
      while seen + counts[v] <= k {
        seen += counts[v]
        v += 1
      }
      let a = Double(v)
      if k + 1 < seen + counts[v] || k + 1 >= n { return (a, a) }
      var u = v + 1
      while counts[u] == 0 { u += 1 }
      return (a, Double(u))
    }
    func percentile(_ p: Double) -> Double {
      let (k, f) = position(count: n, percent: p)
      let (a, b) = orderStatistics(k)
      return lerp(a, b, f)
    }
    return (percentile(low), percentile(high))
  }

  private static func selected<S: PixelSample>(
    _ image: Image<S>, _ c: Int, _ low: Double, _ high: Double
  ) -> (low: Double, high: Double) {
    var values: [Double] = []
    values.reserveCapacity(image.pixelCount)
    let ch = image.channels
    for i in Swift.stride(from: c, to: image.samples.count, by: ch) {
      let v = image.samples[i].doubleValue
      if !v.isNaN { values.append(v) }
    }
    let n = values.count
    guard n > 0 else { return (0, 0) }
    return values.withUnsafeMutableBufferPointer { a in
      func percentile(_ p: Double) -> Double {
        let (k, f) = position(count: n, percent: p)
        let x = select(a, k)
        guard f != 0, k + 1 < n else { return x }
        // After selection every value right of k is ≥ a[k]: the next order
        // statistic is their minimum.
        var y = a[k + 1]
        for i in (k + 2)..<n where a[i] < y { y = a[i] }
        return lerp(x, y, f)
      }
      return (percentile(low), percentile(high))
    }
  }

  /// Rearranges `a` so that `a[k]` is its k-th smallest value, everything
  /// before it ≤ and everything after it ≥ (Hoare's quickselect with
  /// median-of-three pivots; a range still unsplit after 2·log₂(n) + 8 rounds
  /// is sorted instead, so the worst case stays O(n log n)).
  static func select(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
    var lo = 0
    var hi = a.count - 1
    var budget = 2 * (Int.bitWidth - a.count.leadingZeroBitCount) + 8
    while hi > lo {
      if budget == 0 {
        var range = UnsafeMutableBufferPointer(rebasing: a[lo...hi])
        range.sort()
        return a[k]
      }
      budget -= 1
      let mid = lo + (hi - lo) / 2
      let (x, y, z) = (a[lo], a[mid], a[hi])
      let pivot = max(min(x, y), min(max(x, y), z))
      var i = lo
      var j = hi
      while i <= j {
        while a[i] < pivot { i += 1 }
        while a[j] > pivot { j -= 1 }
        if i <= j {
          a.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      if k <= j {
        hi = j
      } else if k >= i {
        lo = i
      } else {
        return a[k]
      }
    }
    return a[k]
  }
}

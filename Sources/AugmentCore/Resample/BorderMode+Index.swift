extension BorderMode {
  /// The sample index that index `i` of an axis of length `n ≥ 1` reads, or
  /// nil where it reads zero (``constant`` outside `0..<n`).
  ///
  /// ``mirror``: period `2(n−1)`, folded: `m = i mod 2(n−1)`, then
  /// `m < n ? m : 2(n−1) − m` (always 0 when `n = 1`).
  @inline(__always)
  func index(_ i: Int, count n: Int) -> Int? {
    if i >= 0 && i < n { return i }
    switch self {
    case .constant:
      return nil
    case .nearest:
      return i < 0 ? 0 : n - 1
    case .mirror:
      if n == 1 { return 0 }
      // One reflection covers the usual case; the modulo handles the rest.
      if i < 0 && i > -n { return -i }
      if i >= n && i < 2 * n - 1 { return 2 * (n - 1) - i }
      let period = 2 * (n - 1)
      var m = i % period
      if m < 0 { m += period }
      return m < n ? m : period - m
    }
  }
}

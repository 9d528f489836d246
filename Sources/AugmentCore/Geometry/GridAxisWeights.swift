/// The cubic interpolation weights of a control grid along one image axis.
///
/// `nodes` control points sit at pixel positions `i·(n−1)/(nodes−1)`. Pixel
/// `p` has grid coordinate `u = p·(nodes−1)/(n−1)` (0 when `n = 1`), interval
/// `k = min(⌊u⌋, nodes−2)`, `t = u − k`, and the Keys (Catmull-Rom) weights
/// of nodes `k−1 … k+2` (``CubicKernel``). The two missing nodes beyond the
/// grid's ends take Keys' boundary condition (eq. 25 of his paper),
/// `f(−1) = 3f(0) − 3f(1) + f(2)` and `f(G) = 3f(G−1) − 3f(G−2) + f(G−3)`,
/// which keeps the interpolant's third-order accuracy; with only 2 nodes,
/// linear extrapolation `f(−1) = 2f(0) − f(1)`, `f(2) = 2f(1) − f(0)`.
/// Folded into the real nodes, pixel `p` depends on the `min(nodes, 4)`
/// consecutive nodes from `first[p]`.
struct GridAxisWeights {
  /// `weights[p·4 + m]`: the weight of node `first[p] + m` (0 beyond the grid).
  let weights: [Double]
  /// The first node of pixel `p`'s taps.
  let first: [Int]
  /// Runs of consecutive pixels sharing their `first` node.
  let runs: [(first: Int, pixels: Range<Int>)]

  init(nodes g: Int, length n: Int) {
    precondition(g >= 2, "GridAxisWeights: needs 2 nodes or more, got \(g)")
    var weights = [Double](repeating: 0, count: n * 4)
    var first = [Int](repeating: 0, count: n)
    var runs: [(first: Int, pixels: Range<Int>)] = []
    for p in 0..<n {
      let u = n > 1 ? Double(p) * Double(g - 1) / Double(n - 1) : 0
      let k = min(Int(u), g - 2)
      let (wm, w0, w1, w2) = CubicKernel.weights(u - Double(k))
      let start = max(0, min(k - 1, g - 4))
      first[p] = start
      // Taps k−1 … k+2; an extended node is a combination of real ones.
      func add(_ node: Int, _ weight: Double) {
        func put(_ real: Int, _ factor: Double) {
          let m = real - start
          precondition(m >= 0 && m < 4, "GridAxisWeights: node \(real) outside the taps from \(start)")
          weights[p * 4 + m] += factor * weight
        }
        if node < 0 {
          put(0, g >= 3 ? 3 : 2)
          put(1, g >= 3 ? -3 : -1)
          if g >= 3 { put(2, 1) }
        } else if node >= g {
          put(g - 1, g >= 3 ? 3 : 2)
          put(g - 2, g >= 3 ? -3 : -1)
          if g >= 3 { put(g - 3, 1) }
        } else {
          put(node, 1)
        }
      }
      add(k - 1, wm)
      add(k, w0)
      add(k + 1, w1)
      add(k + 2, w2)
      if let last = runs.last, last.first == start {
        runs[runs.count - 1].pixels = last.pixels.lowerBound..<(p + 1)
      } else {
        runs.append((start, p..<(p + 1)))
      }
    }
    self.weights = weights
    self.first = first
    self.runs = runs
  }
}

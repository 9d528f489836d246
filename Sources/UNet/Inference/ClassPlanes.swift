/// Per-pixel decisions from class planes: K planes of H×W values
/// (probabilities or logits), plane j holding class j, as
/// `TiledPredictor.probabilities` returns them.
public enum ClassPlanes {
  /// The class with the largest value at each of the `planes.count / k`
  /// pixels; the lower class on ties.
  ///
  /// - Precondition: `1 ≤ k ≤ 256` and `planes.count` is a multiple of `k`.
  /// - Complexity: O(`planes.count`).
  public static func argmax(_ planes: [Float], classes k: Int) -> [UInt8] {
    precondition((1...256).contains(k) && planes.count % k == 0, "\(planes.count) values are not \(k) class planes")
    let plane = planes.count / k
    var classes = [UInt8](repeating: 0, count: plane)
    planes.withUnsafeBufferPointer { p in
      for i in 0..<plane {
        var best = 0
        for j in 1..<k where p[j * plane + i] > p[best * plane + i] { best = j }
        classes[i] = UInt8(best)
      }
    }
    return classes
  }
}

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

// MARK: Foreground probability

extension ClassPlanes {
  /// The pages of a probability map (`NAME.prob.tiff`) for K class planes:
  /// class 1's plane alone for 2 classes (the foreground probability), every
  /// class plane, in class order, for more.
  ///
  /// - Precondition: `k ≥ 2` and `planes.count` is a multiple of `k`.
  public static func probabilityPages(_ planes: [Float], classes k: Int) -> [ArraySlice<Float>] {
    precondition(k >= 2 && planes.count % k == 0, "\(planes.count) values are not \(k) class planes")
    let plane = planes.count / k
    return k == 2 ? [planes[plane..<2 * plane]] : (0..<k).map { planes[$0 * plane..<($0 + 1) * plane] }
  }

  /// The foreground probability of a probability map's pages: a single page
  /// is the foreground probability itself; several pages are class planes,
  /// page 0 the background, and the foreground is 1 − page 0.
  ///
  /// This is the one rule by which `unet predict` makes instances, `unet
  /// eval` reads a probability map and validation scores a checkpoint.
  ///
  /// - Precondition: at least one page.
  public static func foreground(pages: [some Collection<Float>]) -> [Float] {
    precondition(!pages.isEmpty, "a probability map has at least one page")
    return pages.count == 1 ? Array(pages[0]) : pages[0].map { 1 - $0 }
  }

  /// The foreground probability of K class planes: class 1's plane for 2
  /// classes, else 1 − class 0's, as ``foreground(pages:)`` reads the
  /// ``probabilityPages(_:classes:)`` of the planes.
  ///
  /// - Precondition: `k ≥ 2` and `planes.count` is a multiple of `k`.
  public static func foreground(_ planes: [Float], classes k: Int) -> [Float] {
    foreground(pages: probabilityPages(planes, classes: k))
  }
}

// MARK: Volumes

extension ClassPlanes {
  /// The foreground probability of a volume's probability map
  /// (`NAME.prob.tiff`) from its pages, `depth` slices to a volume: D pages
  /// are the foreground probability; K·D pages (K ≥ 2) are K class volumes,
  /// class after class, each slice after slice (the
  /// ``probabilityPages(_:classes:)`` of K volume planes, each page cut
  /// into its slices), and the foreground is read from them by
  /// ``foreground(pages:)``: 1 − class 0.
  ///
  /// - Returns: the foreground in the volume's layout; nil when the number
  ///   of pages is not a multiple of `depth`.
  public static func foreground(volumePages slices: [some Collection<Float>], depth: Int) -> [Float]? {
    guard depth >= 1, !slices.isEmpty, slices.count % depth == 0 else { return nil }
    let volumes = stride(from: 0, to: slices.count, by: depth).map { start in
      slices[start..<start + depth].flatMap { $0 }
    }
    return foreground(pages: volumes)
  }
}

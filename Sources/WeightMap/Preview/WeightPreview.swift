import RasterCore

/// A colour picture of a weight map for people: a heat map of `w` with the
/// instance outlines drawn over it, as in the U-Net paper's Fig. 3d.
public enum WeightPreview {
  /// Renders `weights` with a perceptual colour map (dark blue → yellow,
  /// "viridis"-like) from its minimum to its maximum, and paints in white
  /// every pixel whose instance differs from one of its 4-neighbours
  /// (instance outlines, background excluded).
  ///
  /// - Returns: an 8-bit RGB image of the same size.
  /// - Complexity: O(width × height).
  public static func render(weights: Image<Float>, instances: LabelImage) -> Image<UInt8> {
    render(weights: weights, instances: instances, range: (weights.samples.min() ?? 0, weights.samples.max() ?? 1))
  }

  /// ``render(weights:instances:)`` with the colour map spanning `range`.
  static func render(weights: Image<Float>, instances: LabelImage, range: (Float, Float)) -> Image<UInt8> {
    precondition(
      weights.width == instances.width && weights.height == instances.height,
      "WeightPreview: weights \(weights.width)x\(weights.height) vs instances \(instances.width)x\(instances.height)")
    let (w, h) = (weights.width, weights.height)
    let (lo, hi) = range
    let scale = hi > lo ? 1 / (hi - lo) : 0
    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    let ids = instances.samples
    for y in 0..<h {
      for x in 0..<w {
        let p = y * w + x
        let id = ids[p]
        var outline = false
        if id != 0 {
          outline =
            (x > 0 && ids[p - 1] != id) || (x + 1 < w && ids[p + 1] != id)
            || (y > 0 && ids[p - w] != id) || (y + 1 < h && ids[p + w] != id)
        }
        let color = outline ? (255, 255, 255) : colormap(Double((weights.samples[p] - lo) * scale))
        rgb[3 * p] = UInt8(color.0)
        rgb[3 * p + 1] = UInt8(color.1)
        rgb[3 * p + 2] = UInt8(color.2)
      }
    }
    return Image(width: w, height: h, channels: 3, samples: rgb)
  }

  /// Anchors of the viridis colour map (van der Walt and Smith, matplotlib
  /// 2.0) at t = 0, 0.25, 0.5, 0.75, 1, linearly interpolated.
  static let anchors: [(Double, Double, Double)] = [
    (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
  ]

  static func colormap(_ t: Double) -> (Int, Int, Int) {
    let u = min(max(t.isFinite ? t : 0, 0), 1) * Double(anchors.count - 1)
    let i = min(Int(u), anchors.count - 2)
    let f = u - Double(i)
    let a = anchors[i], b = anchors[i + 1]
    func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
    return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
  }
}

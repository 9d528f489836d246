import Raster

extension TiledPredictor {
  /// Class probabilities averaged over the 8 rotations and flips of the
  /// image (the paper averaged rotated versions for its ISBI submission):
  /// each version is predicted, turned back, and the 8 maps are averaged.
  /// K×H×W, like `probabilities(_:)`.
  public func averagedProbabilities(_ image: Image<Float>) throws -> [Float] {
    let k = architecture.classes
    let (w, h) = (image.width, image.height)
    var sum = [Float](repeating: 0, count: k * w * h)
    for transform in Dihedral.allCases {
      let turned = transform.apply(image)
      let p = try probabilities(turned)
      for j in 0..<k {
        for y in 0..<h {
          for x in 0..<w {
            let (tx, ty) = transform.position(x: x, y: y, width: w, height: h)
            sum[(j * h + y) * w + x] += p[(j * turned.height + ty) * turned.width + tx]
          }
        }
      }
    }
    return sum.map { $0 / Float(Dihedral.allCases.count) }
  }
}

/// The 8 symmetries of the square: a quarter-turn count and an optional
/// horizontal flip (applied first).
enum Dihedral: CaseIterable {
  case identity, rotate90, rotate180, rotate270, flip, flipRotate90, flipRotate180, flipRotate270

  private var flipped: Bool { [.flip, .flipRotate90, .flipRotate180, .flipRotate270].contains(self) }
  private var turns: Int {
    switch self {
    case .identity, .flip: return 0
    case .rotate90, .flipRotate90: return 1
    case .rotate180, .flipRotate180: return 2
    case .rotate270, .flipRotate270: return 3
    }
  }

  /// Where pixel (x, y) of a W×H image lands in the transformed image.
  func position(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
    var (x, y, w, h) = (flipped ? width - 1 - x : x, y, width, height)
    for _ in 0..<turns {
      // A quarter turn clockwise: (x, y) → (h − 1 − y, x) in an h×w image.
      (x, y) = (h - 1 - y, x)
      (w, h) = (h, w)
    }
    return (x, y)
  }

  func apply(_ image: Image<Float>) -> Image<Float> {
    let (w, h, c) = (image.width, image.height, image.channels)
    let (tw, th) = turns % 2 == 0 ? (w, h) : (h, w)
    var out = [Float](repeating: 0, count: image.samples.count)
    for y in 0..<h {
      for x in 0..<w {
        let (tx, ty) = position(x: x, y: y, width: w, height: h)
        for ch in 0..<c { out[(ty * tw + tx) * c + ch] = image.samples[(y * w + x) * c + ch] }
      }
    }
    return Image(width: tw, height: th, channels: c, samples: out)
  }
}

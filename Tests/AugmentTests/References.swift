// Slow, obviously correct references for the fast code, and test inputs.
import Augment
import Foundation
import Raster

enum Reference {
  /// The Keys cubic kernel, a = −0.5, straight from its definition.
  static func keys(_ s: Double) -> Double {
    let a = -0.5
    let x = abs(s)
    if x <= 1 { return (a + 2) * x * x * x - (a + 3) * x * x + 1 }
    if x < 2 { return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a }
    return 0
  }

  /// Mirror (numpy 'reflect') index by repeated reflection.
  static func mirror(_ i: Int, _ n: Int) -> Int {
    if n == 1 { return 0 }
    var j = i
    while j < 0 || j >= n {
      if j < 0 { j = -j }
      if j >= n { j = 2 * (n - 1) - j }
    }
    return j
  }

  /// The index read for index `i`, or nil for zero.
  static func index(_ i: Int, _ n: Int, _ border: BorderMode) -> Int? {
    if i >= 0 && i < n { return i }
    switch border {
    case .constant: return nil
    case .nearest: return i < 0 ? 0 : n - 1
    case .mirror: return mirror(i, n)
    }
  }

  static func sample(_ image: Image<Float>, _ x: Int, _ y: Int, _ c: Int, _ border: BorderMode) -> Double {
    guard let ix = index(x, image.width, border), let iy = index(y, image.height, border) else {
      return 0
    }
    return Double(image[ix, iy, c])
  }

  /// Bicubic (Keys) interpolation at `(x, y)`, every weight from the kernel.
  static func cubic(_ image: Image<Float>, _ x: Double, _ y: Double, _ c: Int, _ border: BorderMode) -> Double
  {
    let fx = Int(x.rounded(.down))
    let fy = Int(y.rounded(.down))
    var v = 0.0
    for j in (fy - 1)...(fy + 2) {
      for i in (fx - 1)...(fx + 2) {
        v += keys(x - Double(i)) * keys(y - Double(j)) * sample(image, i, j, c, border)
      }
    }
    return v
  }

  static func linear(_ image: Image<Float>, _ x: Double, _ y: Double, _ c: Int, _ border: BorderMode)
    -> Double
  {
    let fx = Int(x.rounded(.down))
    let fy = Int(y.rounded(.down))
    let tx = x - Double(fx)
    let ty = y - Double(fy)
    return (1 - ty)
      * ((1 - tx) * sample(image, fx, fy, c, border) + tx * sample(image, fx + 1, fy, c, border))
      + ty * ((1 - tx) * sample(image, fx, fy + 1, c, border) + tx * sample(image, fx + 1, fy + 1, c, border))
  }

  /// Nearest neighbour: pixel (⌊x + ½⌋, ⌊y + ½⌋), in Double.
  static func nearest<T: PixelSample>(_ image: Image<T>, _ x: Double, _ y: Double, _ border: BorderMode) -> T
  {
    let ix = Int((x + 0.5).rounded(.down))
    let iy = Int((y + 0.5).rounded(.down))
    guard let jx = index(ix, image.width, border), let jy = index(iy, image.height, border) else {
      return .zero
    }
    return image[jx, jy]
  }

  /// The bicubic displacement field of a grid, per pixel: the grid's nodes
  /// extended by Keys' boundary condition (linear for 2 nodes), then
  /// Σ K(u − i)·K(v − j)·f(i, j) over the extended nodes.
  static func field(_ grid: DisplacementGrid, width: Int, height: Int) -> (x: [Double], y: [Double]) {
    let g = grid.size
    func extended(_ values: [Double]) -> (Int, Int) -> Double {
      // f(i, j) for i, j in −1...g, extending first along x, then along y.
      func f(_ i: Int, _ j: Int) -> Double {
        if j < 0 { return g >= 3 ? 3 * f(i, 0) - 3 * f(i, 1) + f(i, 2) : 2 * f(i, 0) - f(i, 1) }
        if j >= g {
          return g >= 3 ? 3 * f(i, g - 1) - 3 * f(i, g - 2) + f(i, g - 3) : 2 * f(i, 1) - f(i, 0)
        }
        if i < 0 { return g >= 3 ? 3 * f(0, j) - 3 * f(1, j) + f(2, j) : 2 * f(0, j) - f(1, j) }
        if i >= g {
          return g >= 3 ? 3 * f(g - 1, j) - 3 * f(g - 2, j) + f(g - 3, j) : 2 * f(1, j) - f(0, j)
        }
        return values[j * g + i]
      }
      return f
    }
    let fx = extended(grid.x)
    let fy = extended(grid.y)
    var outX = [Double](repeating: 0, count: width * height)
    var outY = [Double](repeating: 0, count: width * height)
    for y in 0..<height {
      let v = height > 1 ? Double(y) * Double(g - 1) / Double(height - 1) : 0
      for x in 0..<width {
        let u = width > 1 ? Double(x) * Double(g - 1) / Double(width - 1) : 0
        var sx = 0.0
        var sy = 0.0
        for j in -1...g {
          for i in -1...g {
            let k = keys(u - Double(i)) * keys(v - Double(j))
            if k != 0 {
              sx += k * fx(i, j)
              sy += k * fy(i, j)
            }
          }
        }
        outX[y * width + x] = sx
        outY[y * width + x] = sy
      }
    }
    return (outX, outY)
  }

  /// The source position of output pixel (x, y), in Double, from the
  /// documented formula source = c + F·R(−θ)·(p − c − t)/s (no elastic part).
  static func affineSource(_ p: DrawnValues, x: Int, y: Int, width: Int, height: Int) -> (Double, Double)
  {
    let theta = p.rotationDegrees * Double.pi / 180
    let cx = Double(width - 1) / 2
    let cy = Double(height - 1) / 2
    let qx = Double(x) - cx - p.shiftX
    let qy = Double(y) - cy - p.shiftY
    var rx = (cos(theta) * qx + sin(theta) * qy) / p.scale
    var ry = (-sin(theta) * qx + cos(theta) * qy) / p.scale
    if p.flipHorizontal { rx = -rx }
    if p.flipVertical { ry = -ry }
    return (cx + rx, cy + ry)
  }
}

enum Inputs {
  /// Instance labels: `count` discs of radius 4…(4 + spread) at random
  /// places (later ones over earlier ones), ids 1…count (not all visible).
  static func blobs(
    width: Int, height: Int, count: Int, spread: Int = 8, using rng: inout SplitMix64
  ) -> LabelImage {
    var labels = LabelImage(width: width, height: height)
    for id in 1...max(count, 1) where count > 0 {
      let cx = Int(rng.next() % UInt64(width))
      let cy = Int(rng.next() % UInt64(height))
      let r = 4 + Int(rng.next() % UInt64(spread + 1))
      for y in max(0, cy - r)..<min(height, cy + r + 1) {
        for x in max(0, cx - r)..<min(width, cx + r + 1)
        where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
          labels[x, y] = UInt32(id)
        }
      }
    }
    return labels
  }

  /// Uniform random samples in [0, 1).
  static func noise(width: Int, height: Int, channels: Int = 1, using rng: inout SplitMix64) -> Image<Float> {
    Image(
      width: width, height: height, channels: channels,
      samples: (0..<(width * height * channels)).map { _ in Float(rng.unit()) })
  }

  /// A smooth image: sums of sines, about [0, 1].
  static func smooth(width: Int, height: Int, channels: Int = 1) -> Image<Float> {
    var image = Image<Float>(width: width, height: height, channels: channels)
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<channels {
          let v = 0.5 + 0.25 * sin(Double(x) * 0.21 + Double(c)) + 0.2 * cos(Double(y) * 0.17 - Double(c))
          image[x, y, c] = Float(v)
        }
      }
    }
    return image
  }

  /// Distinct values, so that every exact copy is recognisable.
  static func ramp(width: Int, height: Int, channels: Int = 1) -> Image<Float> {
    Image(
      width: width, height: height, channels: channels,
      samples: (0..<(width * height * channels)).map { Float($0) * 0.25 - 3 })
  }
}

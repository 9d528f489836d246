#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import _Support

/// Generates fluorescence-like images of cells with instance labels, many
/// cells touching each other (the situation of the U-Net paper's Fig. 3).
///
/// Cells are ellipses with wobbly outlines; where two overlap, each pixel
/// goes to the cell whose outline is relatively farthest away (a Voronoi
/// split by normalised distance), so neighbours share a border instead of
/// covering each other. Intensity: a dim background, each cell bright with
/// a centre-heavy profile, a 3×3 blur, then shot-like Gaussian noise,
/// stored as 16-bit. Everything follows from `(seed, index)`: the same
/// values give the same pixels.
///
/// Complexity: O(width·height + Σ cell bounding boxes).
public struct CellSynthesizer: Sendable {
  public let width: Int
  public let height: Int
  /// Cells placed per image (some may end up hidden by neighbours, so ids
  /// in the label image need not be contiguous).
  public let cells: Int

  /// The default cell count for a size: one cell per 1200 pixels
  /// (cells of about 30 px in diameter covering ~60% of the image).
  public static func defaultCells(width: Int, height: Int) -> Int {
    max(1, min(65_535, width * height / 1200))
  }

  public init(width: Int, height: Int, cells: Int? = nil) {
    precondition(width > 0 && height > 0, "CellSynthesizer: empty size")
    let k = cells ?? Self.defaultCells(width: width, height: height)
    precondition((1...65_535).contains(k), "CellSynthesizer: cells must be 1...65535 (16-bit ids)")
    self.width = width
    self.height = height
    self.cells = k
  }

  struct Cell {
    var cx, cy, a, b, cosT, sinT: Double
    var harmonics: [(k: Double, amp: Double, phase: Double)]
    var brightness: Double
  }

  /// Image number `index` of the set made from `seed`: the 16-bit image and
  /// its 16-bit instance labels (0 background, cells 1...cells).
  public func generate(seed: UInt64, index: Int) -> (image: Image<UInt16>, labels: Image<UInt16>) {
    var rng = SplitMix64(seed: seed, stream: UInt64(index))
    let area = Double(width * height)
    // Coverage parameter 0.9: with Poisson placement about 60% of the
    // image is covered and most cells touch a neighbour.
    let baseRadius = max(1.5, (0.9 * area / (Double.pi * Double(cells))).squareRoot())
    var list: [Cell] = []
    list.reserveCapacity(cells)
    for _ in 0..<cells {
      let r = baseRadius * rng.uniform(0.7, 1.3)
      let e = rng.uniform(0.0, 0.3)
      let t = rng.uniform(0, Double.pi)
      var harmonics: [(Double, Double, Double)] = []
      for k in 2...4 { harmonics.append((Double(k), rng.uniform(0, 0.06), rng.uniform(0, 2 * Double.pi))) }
      list.append(
        Cell(
          cx: rng.uniform(0, Double(width)), cy: rng.uniform(0, Double(height)),
          a: r * (1 + e), b: r * (1 - e), cosT: cos(t), sinT: sin(t),
          harmonics: harmonics, brightness: rng.uniform(1500, 6000)))
    }
    let background = rng.uniform(200, 400)

    // Ownership: smallest normalised distance rho (< outline) wins.
    var owner = [UInt16](repeating: 0, count: width * height)
    var bestRho = [Float](repeating: .infinity, count: width * height)
    for (i, c) in list.enumerated() {
      let reach = c.a * 1.2 + 1
      let x0 = max(0, Int((c.cx - reach).rounded(.down))), x1 = min(width - 1, Int((c.cx + reach).rounded(.up)))
      let y0 = max(0, Int((c.cy - reach).rounded(.down))), y1 = min(height - 1, Int((c.cy + reach).rounded(.up)))
      if x0 > x1 || y0 > y1 { continue }
      for y in y0...y1 {
        let dy = Double(y) + 0.5 - c.cy
        for x in x0...x1 {
          let dx = Double(x) + 0.5 - c.cx
          let u = dx * c.cosT + dy * c.sinT, v = -dx * c.sinT + dy * c.cosT
          var rho = ((u / c.a) * (u / c.a) + (v / c.b) * (v / c.b)).squareRoot()
          if rho > 1.3 { continue }
          let angle = atan2(v, u)
          var outline = 1.0
          for h in c.harmonics { outline += h.amp * sin(h.k * angle + h.phase) }
          rho /= outline
          let p = y * width + x
          if rho <= 1 && Float(rho) < bestRho[p] {
            bestRho[p] = Float(rho)
            owner[p] = UInt16(i + 1)
          }
        }
      }
    }

    // Intensity, blur, noise.
    var clean = [Double](repeating: background, count: width * height)
    for p in 0..<(width * height) where owner[p] != 0 {
      let rho = Double(bestRho[p])
      clean[p] = background + list[Int(owner[p]) - 1].brightness * (1 - 0.45 * rho * rho)
    }
    var pixels = [UInt16](repeating: 0, count: width * height)
    for y in 0..<height {
      for x in 0..<width {
        var sum = 0.0, n = 0.0
        for yy in max(0, y - 1)...min(height - 1, y + 1) {
          for xx in max(0, x - 1)...min(width - 1, x + 1) {
            sum += clean[yy * width + xx]
            n += 1
          }
        }
        let mean = sum / n
        let noisy = mean + rng.gaussian() * (4 * mean).squareRoot()
        pixels[y * width + x] = UInt16(max(0, min(65_535, noisy.rounded())))
      }
    }
    return (
      Image(width: width, height: height, samples: pixels),
      Image(width: width, height: height, samples: owner)
    )
  }
}

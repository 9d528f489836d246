import Raster
import WeightMap

/// Panels of the `--preview` picture.
enum PreviewPanels {
  /// The first channel (or the first three as RGB), [0, 1] → 0...255, clamped.
  static func gray(_ image: Image<Float>) -> Image<UInt8> {
    var rgb = [UInt8](repeating: 0, count: image.pixelCount * 3)
    for p in 0..<image.pixelCount {
      for c in 0..<3 {
        let v = image.samples[p * image.channels + (image.channels >= 3 ? c : 0)]
        rgb[3 * p + c] = UInt8((min(max(v.isNaN ? 0 : v, 0), 1) * 255).rounded())
      }
    }
    return Image(width: image.width, height: image.height, channels: 3, samples: rgb)
  }

  /// Class 0 black, class 1 white.
  static func mask(_ mask: Image<UInt8>) -> Image<UInt8> {
    Image(width: mask.width, height: mask.height, channels: 3, samples: mask.samples.flatMap { v in
      let g: UInt8 = v == 0 ? 0 : 255
      return [g, g, g]
    })
  }

  /// Panels side by side, rows one below the other, 4 px gaps.
  static func grid(_ rows: [[Image<UInt8>]], gap: Int = 4) -> Image<UInt8> {
    let cellW = rows.flatMap { $0 }.map(\.width).max() ?? 1
    let cellH = rows.flatMap { $0 }.map(\.height).max() ?? 1
    let columns = rows.map(\.count).max() ?? 1
    let width = columns * cellW + (columns - 1) * gap
    let height = rows.count * cellH + (rows.count - 1) * gap
    var out = Image<UInt8>(width: width, height: height, channels: 3, repeating: 255)
    for (r, row) in rows.enumerated() {
      for (c, panel) in row.enumerated() {
        for y in 0..<panel.height {
          for x in 0..<panel.width {
            for ch in 0..<3 { out[c * (cellW + gap) + x, r * (cellH + gap) + y, ch] = panel[x, y, ch] }
          }
        }
      }
    }
    return out
  }
}

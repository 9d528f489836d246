import Raster
import Testing

@Suite("ConnectedComponents")
struct ConnectedComponentsTests {
  @Test(arguments: [Connectivity.four, .eight])
  func randomMasksMatchFloodFill(connectivity: Connectivity) {
    var rng = SplitMix64(seed: connectivity == .four ? 3 : 4)
    for _ in 0..<200 {
      let w = Int.random(in: 1...40, using: &rng)
      let h = Int.random(in: 1...40, using: &rng)
      let density = [0.1, 0.4, 0.55, 0.7, 0.95].randomElement(using: &rng)!
      let fg = (0..<(w * h)).map { _ in Double.random(in: 0..<1, using: &rng) < density }
      let mask = Image<UInt8>(width: w, height: h, samples: fg.map { $0 ? 255 : 0 })
      let got = ConnectedComponents.label(mask, connectivity: connectivity)
      let want = floodFillComponents(fg, width: w, height: h, eight: connectivity == .eight)
      #expect(got.samples == want, "\(w)x\(h) density \(density)")
    }
  }

  @Test func diagonalTouchDependsOnConnectivity() {
    let mask = Image<UInt8>(width: 3, height: 3, samples: [1, 0, 0, 0, 1, 0, 0, 0, 1])
    #expect(ConnectedComponents.label(mask, connectivity: .four).samples == [1, 0, 0, 0, 2, 0, 0, 0, 3])
    #expect(ConnectedComponents.label(mask, connectivity: .eight).samples == [1, 0, 0, 0, 1, 0, 0, 0, 1])
  }

  @Test func uShapeMergesLate() {
    // Two arms that join only on the last row: the union-find must merge them.
    let rows = [
      "#.#.#",
      "#.#.#",
      "#####",
    ]
    let s = rows.joined().map { $0 == "#" ? UInt8(1) : 0 }
    let got = ConnectedComponents.label(Image(width: 5, height: 3, samples: s))
    #expect(Set(got.samples.filter { $0 != 0 }) == [1])
  }

  @Test func emptyAndFull() {
    #expect(ConnectedComponents.label(Image<UInt8>(width: 4, height: 3)).samples.allSatisfy { $0 == 0 })
    #expect(
      ConnectedComponents.label(Image<UInt16>(width: 4, height: 3, repeating: 7)).samples.allSatisfy { $0 == 1 })
    #expect(ConnectedComponents.label(Image<UInt8>(width: 0, height: 0)).samples.isEmpty)
  }
}

/// Components by flood fill (explicit stack), numbered in raster order of
/// their first pixel.
func floodFillComponents(_ mask: [Bool], width: Int, height: Int, eight: Bool) -> [UInt32] {
  var out = [UInt32](repeating: 0, count: width * height)
  var next: UInt32 = 0
  let offsets =
    eight
    ? [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)]
    : [(0, -1), (-1, 0), (1, 0), (0, 1)]
  for start in 0..<(width * height) where mask[start] && out[start] == 0 {
    next += 1
    out[start] = next
    var stack = [start]
    while let p = stack.popLast() {
      let x = p % width
      let y = p / width
      for (dx, dy) in offsets {
        let nx = x + dx
        let ny = y + dy
        guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
        let q = ny * width + nx
        if mask[q] && out[q] == 0 {
          out[q] = next
          stack.append(q)
        }
      }
    }
  }
  return out
}

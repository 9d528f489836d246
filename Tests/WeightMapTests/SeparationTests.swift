import Raster
import Testing
import WeightMap

/// A label image from rows of characters: '.' = 0, 'a' = 7, 'b' = 1000,
/// 'c' = 4_000_000_000, digits = themselves.
func picture(_ rows: [String]) -> LabelImage {
  let w = rows[0].count
  var s: [UInt32] = []
  for r in rows {
    precondition(r.count == w)
    for ch in r {
      switch ch {
      case ".": s.append(0)
      case "a": s.append(7)
      case "b": s.append(1000)
      case "c": s.append(4_000_000_000)
      default: s.append(UInt32(String(ch))!)
      }
    }
  }
  return LabelImage(width: w, height: rows.count, samples: s)
}

@Suite("Separation")
struct SeparationTests {
  func expectSeparation(_ input: [String], _ expected: [String]) {
    let got = Separation.apply(picture(input))
    #expect(got == picture(expected))
    #expect(got == Reference.separate(picture(input)))
  }

  @Test func twoTouchingSquares() {
    expectSeparation(
      [
        "aaabbb",
        "aaabbb",
        "aaabbb",
      ],
      [
        "aa..bb",
        "aa..bb",
        "aa..bb",
      ])
  }

  @Test func diagonalTouch() {
    expectSeparation(
      [
        "aa..",
        "aa..",
        "..bb",
        "..bb",
      ],
      [
        "aa..",
        "a...",
        "...b",
        "..bb",
      ])
  }

  @Test func threeWayJunction() {
    expectSeparation(
      [
        "aaabbb",
        "aaabbb",
        "cccccc",
        "cccccc",
      ],
      [
        "aa..bb",
        "......",
        "......",
        "cccccc",
      ])
  }

  @Test func touchingAtImageBorder() {
    expectSeparation(
      [
        "ab",
        "ab",
      ],
      [
        "..",
        "..",
      ])
    expectSeparation(
      [
        "aaaa",
        "bbbb",
        "....",
      ],
      [
        "....",
        "....",
        "....",
      ])
  }

  @Test func backgroundGapAndSameIdAreKept() {
    expectSeparation(
      [
        "aa.bb",
        "aa.bb",
        "aaaaa",
      ],
      [
        "aa.bb",
        "aa...",
        "aa...",
      ])
    let one = picture(["aaa", "a.a"])
    #expect(Separation.apply(one) == one)
  }

  @Test func randomLabelsMatchReference() {
    var rng = SplitMix64(seed: 5)
    for _ in 0..<50 {
      let im = Inputs.blobs(
        width: Int.random(in: 1...30, using: &rng), height: Int.random(in: 1...30, using: &rng),
        count: Int.random(in: 1...12, using: &rng), using: &rng)
      #expect(Separation.apply(im) == Reference.separate(im))
    }
  }
}

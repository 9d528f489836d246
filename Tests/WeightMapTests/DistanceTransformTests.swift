import Raster
import Testing
import WeightMap

@Suite("DistanceTransform")
struct DistanceTransformTests {
  /// Checks the squared distances exactly and that each nearest site is a
  /// site at that distance.
  func check(width: Int, height: Int, isSite: [Bool]) {
    let ref = Reference.squaredEDT(width: width, height: height, isSite: isSite)
    let fast = DistanceTransform.squaredEuclidean(width: width, height: height, isSite: isSite)
    #expect(fast == ref, "\(width)x\(height)")
    let (sq, nearest) = DistanceTransform.nearestSites(width: width, height: height, isSite: isSite)
    #expect(sq == ref)
    for i in 0..<(width * height) {
      if ref[i].isInfinite {
        #expect(nearest[i] == DistanceTransform.noSite)
        continue
      }
      let p = nearest[i]
      #expect(p >= 0 && p < width * height && isSite[p])
      let dx = p % width - i % width
      let dy = p / width - i / width
      #expect(Double(dx * dx + dy * dy) == ref[i])
    }
  }

  @Test func randomGridsMatchBruteForce() {
    var rng = SplitMix64(seed: 1)
    for _ in 0..<150 {
      let w = Int.random(in: 1...32, using: &rng)
      let h = Int.random(in: 1...32, using: &rng)
      let density = [0.005, 0.02, 0.1, 0.5, 0.95].randomElement(using: &rng)!
      let sites = (0..<(w * h)).map { _ in Double.random(in: 0..<1, using: &rng) < density }
      check(width: w, height: h, isSite: sites)
    }
  }

  @Test func noSitesIsInfinite() {
    let sq = DistanceTransform.squaredEuclidean(width: 5, height: 4, isSite: .init(repeating: false, count: 20))
    #expect(sq.allSatisfy { $0 == .infinity })
    check(width: 5, height: 4, isSite: .init(repeating: false, count: 20))
    let e = DistanceTransform.euclidean(toNonZeroOf: Image<UInt8>(width: 3, height: 2))
    #expect(e.samples.allSatisfy { $0 == .infinity })
  }

  @Test func allSitesIsZero() {
    let sq = DistanceTransform.squaredEuclidean(width: 6, height: 3, isSite: .init(repeating: true, count: 18))
    #expect(sq == .init(repeating: 0, count: 18))
  }

  @Test func singlePixel() {
    var sites = [Bool](repeating: false, count: 7 * 5)
    sites[2 * 7 + 4] = true
    let sq = DistanceTransform.squaredEuclidean(width: 7, height: 5, isSite: sites)
    for y in 0..<5 { for x in 0..<7 { #expect(sq[y * 7 + x] == Double((x - 4) * (x - 4) + (y - 2) * (y - 2))) } }
    check(width: 7, height: 5, isSite: sites)
  }

  @Test func rowsAndColumns() {
    var rng = SplitMix64(seed: 2)
    for n in [1, 2, 3, 17, 100] {
      let sites = (0..<n).map { _ in Int.random(in: 0..<6, using: &rng) == 0 }
      check(width: n, height: 1, isSite: sites)
      check(width: 1, height: n, isSite: sites)
    }
    // 1×N with sites at both ends: a V shape.
    var s = [Bool](repeating: false, count: 9)
    s[0] = true
    s[8] = true
    #expect(DistanceTransform.squaredEuclidean(width: 9, height: 1, isSite: s) == [0, 1, 4, 9, 16, 9, 4, 1, 0])
  }

  @Test func ties() {
    // Two sites equally far from the middle pixel; diagonal ties too.
    var s = [Bool](repeating: false, count: 5 * 5)
    s[0] = true  // (0,0)
    s[4 * 5 + 4] = true  // (4,4)
    s[4] = true  // (4,0)
    check(width: 5, height: 5, isSite: s)
    let sq = DistanceTransform.squaredEuclidean(width: 5, height: 5, isSite: s)
    #expect(sq[2 * 5 + 2] == 8)
    // A checkerboard: many equal parabolas.
    let board = (0..<(12 * 11)).map { ($0 % 12 + $0 / 12) % 2 == 0 }
    check(width: 12, height: 11, isSite: board)
  }

  @Test func farApartSitesInALargeGrid() {
    // Large distances: exact integer arithmetic in the envelope.
    var s = [Bool](repeating: false, count: 3000 * 2)
    s[0] = true
    s[2999 + 3000] = true
    let sq = DistanceTransform.squaredEuclidean(width: 3000, height: 2, isSite: s)
    #expect(sq[1499] == 1499 * 1499)
    #expect(sq[1500 + 3000] == 1499 * 1499)
    #expect(sq[1500] == 1499 * 1499 + 1)
  }

  @Test func imageConvenienceUsesNonZeroPixels() {
    let im = Image<UInt8>(width: 3, height: 1, samples: [0, 9, 0])
    #expect(DistanceTransform.squaredEuclidean(toNonZeroOf: im) == [1, 0, 1])
    #expect(DistanceTransform.euclidean(toNonZeroOf: im).samples == [1, 0, 1])
  }
}

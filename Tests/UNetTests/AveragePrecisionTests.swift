import Foundation
import Raster
import Testing
import _TestSupport

@testable import UNet

/// A label volume of `w × h × d` voxels, background 0, with boxes painted in order.
private func volume(_ w: Int, _ h: Int, _ d: Int, _ boxes: [(id: UInt32, x: Range<Int>, y: Range<Int>, z: Range<Int>)]) -> [UInt32] {
  var v = [UInt32](repeating: 0, count: w * h * d)
  for b in boxes {
    for z in b.z { for y in b.y { for x in b.x { v[(z * h + y) * w + x] = b.id } } }
  }
  return v
}

@Suite("Average precision: StarDist's object matching, hand-computed cases")
struct AveragePrecisionTests {
  let standard = AveragePrecision.standardThresholds

  @Test func standardThresholdsAreTheDecimalLiterals() {
    #expect(standard == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9])
  }

  @Test func identicalLabelsMatchEveryObject() {
    let t = volume(8, 6, 4, [(3, 0..<2, 0..<2, 0..<2), (9, 4..<8, 0..<6, 1..<4), (100, 0..<2, 4..<6, 2..<4)])
    // The same objects under other ids.
    let p = t.map { $0 == 0 ? 0 : $0 + 1 }
    let ap = AveragePrecision(predicted: p, truth: t)
    #expect(ap.truePositives == Array(repeating: 3, count: 9))
    #expect(ap.falsePositives == Array(repeating: 0, count: 9) && ap.falseNegatives == ap.falsePositives)
    #expect(ap.values.allSatisfy { $0 == 1 } && ap.mean == 1 && ap.at50 == 1)
  }

  /// A 4 × 4 × 4 cube shifted by one voxel: 48 shared voxels of 80, IoU 0.6,
  /// a match up to t = 0.6 (equal counts), none above.
  @Test func aShiftedCubeMatchesUpToItsIoU() {
    let t = volume(8, 5, 5, [(1, 0..<4, 0..<4, 0..<4)])
    let p = volume(8, 5, 5, [(1, 1..<5, 0..<4, 0..<4)])
    let ap = AveragePrecision(predicted: p, truth: t)
    #expect(ap.truePositives == [1, 1, 1, 0, 0, 0, 0, 0, 0])
    #expect(ap.falsePositives == [0, 0, 0, 1, 1, 1, 1, 1, 1])
    #expect(ap.falseNegatives == ap.falsePositives)
    #expect(ap.values == [1, 1, 1, 0, 0, 0, 0, 0, 0])
    #expect(abs(ap.mean - 3.0 / 9) < 1e-15)
  }

  /// Two true cubes of 8 voxels predicted as one object of 16: IoU 0.5 with
  /// each; at t = 0.5 one of them matches (TP 1, FN 1, AP 1/2), above none
  /// (TP 0, FP 1, FN 2).
  @Test func aMergeMatchesOneOfTwo() {
    let t = volume(4, 2, 2, [(1, 0..<2, 0..<2, 0..<2), (2, 2..<4, 0..<2, 0..<2)])
    let p = volume(4, 2, 2, [(5, 0..<4, 0..<2, 0..<2)])
    let ap = AveragePrecision(predicted: p, truth: t, thresholds: [0.5, 0.55])
    #expect(ap.truePositives == [1, 0] && ap.falsePositives == [0, 1] && ap.falseNegatives == [1, 2])
    #expect(ap.values == [0.5, 0])
  }

  /// One true object of 16 voxels predicted as two halves: TP 1, FP 1 at 0.5.
  @Test func aSplitMatchesOneHalf() {
    let t = volume(4, 2, 2, [(7, 0..<4, 0..<2, 0..<2)])
    let p = volume(4, 2, 2, [(1, 0..<2, 0..<2, 0..<2), (2, 2..<4, 0..<2, 0..<2)])
    let ap = AveragePrecision(predicted: p, truth: t, thresholds: [0.5, 0.6])
    #expect(ap.truePositives == [1, 0] && ap.falsePositives == [1, 2] && ap.falseNegatives == [0, 1])
    #expect(ap.values == [0.5, 0])
  }

  /// An object's id may cover voxels that do not touch; an extra predicted
  /// object and a missed true one count as FP and FN.
  @Test func objectsAreIdsNotComponents() {
    let t = volume(6, 1, 1, [(4, 0..<2, 0..<1, 0..<1), (4, 4..<6, 0..<1, 0..<1)])
    let p = volume(6, 1, 1, [(1, 0..<2, 0..<1, 0..<1), (1, 4..<6, 0..<1, 0..<1), (2, 2..<3, 0..<1, 0..<1)])
    let ap = AveragePrecision(predicted: p, truth: t, thresholds: [0.9])
    #expect(ap.truePositives == [1] && ap.falsePositives == [1] && ap.falseNegatives == [0])
    let missed = AveragePrecision(predicted: [0, 0, 0], truth: [1, 0, 2], thresholds: [0.5])
    #expect(missed.truePositives == [0] && missed.falseNegatives == [2] && missed.values == [0])
  }

  /// The matching takes as many pairs as possible. True A (voxels 0–5)
  /// overlaps predicted X (0–2 and 6–8, IoU 3/9) and Y (3–5, IoU 1/2); true
  /// B (6–8) only X (IoU 1/2). A comes first and tries X first: a greedy
  /// pass would give X to A and leave B out; at t = 0.3 the augmenting path
  /// gives A Y and B X.
  @Test func theMatchingIsMaximal() {
    let t: [UInt32] = [1, 1, 1, 1, 1, 1, 2, 2, 2]
    let p: [UInt32] = [7, 7, 7, 8, 8, 8, 7, 7, 7]
    let ap = AveragePrecision(predicted: p, truth: t, thresholds: [0.3, 0.4, 0.55])
    #expect(ap.truePositives == [2, 2, 0])
    #expect(ap.falsePositives == [0, 0, 2] && ap.falseNegatives == [0, 0, 2])
  }

  @Test func emptyLabelsScoreZero() {
    let ap = AveragePrecision(predicted: [0, 0], truth: [0, 0])
    #expect(ap.truePositives.allSatisfy { $0 == 0 } && ap.falsePositives.allSatisfy { $0 == 0 })
    #expect(ap.values.allSatisfy { $0 == 0 } && ap.mean == 0)
  }

  @Test func sumsAddCountsBeforeDividing() {
    let a = AveragePrecision(thresholds: [0.5], truePositives: [1], falsePositives: [0], falseNegatives: [0])
    let b = AveragePrecision(thresholds: [0.5], truePositives: [0], falsePositives: [1], falseNegatives: [2])
    let sum = a + b
    #expect(sum.truePositives == [1] && sum.falsePositives == [1] && sum.falseNegatives == [2])
    #expect(sum.values == [0.25])
  }

  @Test func jsonRoundTripsAndShowsTheDerivedValues() throws {
    let ap = AveragePrecision(thresholds: [0.5, 0.75], truePositives: [3, 1], falsePositives: [1, 3], falseNegatives: [0, 2])
    let data = try JSONEncoder().encode(ap)
    #expect(try JSONDecoder().decode(AveragePrecision.self, from: data) == ap)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["ap"] as? [Double] == [0.75, 1.0 / 6])
    #expect(object["ap_50"] as? Double == 0.75)
    #expect(object["mean"] as? Double == (0.75 + 1.0 / 6) / 2)
  }
}

/// The Python with StarDist that the comparison runs.
let stardistPython = ModulePython("numpy, stardist.matching", for: "AveragePrecisionStarDistTests")

/// AveragePrecision against `stardist.matching.matching` and
/// `matching_dataset(by_image=False)` on random label volumes whose
/// predictions shift, merge, split, drop and add objects: the same TP, FP,
/// FN at every threshold, and AP equal to StarDist's `accuracy` (both
/// divide the same integers in double: tolerance 0).
@Suite(.enabled(if: stardistPython.isAvailable, "needs a Python importing numpy and stardist: set UNETKIT_TORCH_PYTHON"))
struct AveragePrecisionStarDistTests {
  let dir = makeTemporaryDirectory()

  /// A random truth of boxes and a prediction made from it.
  static func randomPair(_ rng: inout SplitMix64, w: Int, h: Int, d: Int) -> (truth: LabelVolume, predicted: LabelVolume) {
    func box() -> (Range<Int>, Range<Int>, Range<Int>) {
      func side(_ n: Int) -> Range<Int> {
        let a = Int(rng.next() % UInt64(n - 1)), len = 1 + Int(rng.next() % UInt64(max(1, n / 2)))
        return a..<min(n, a + len)
      }
      return (side(w), side(h), side(d))
    }
    let count = Int(rng.next() % 7)
    var truth = [UInt32](repeating: 0, count: w * h * d)
    for id in 0..<count {
      let (xs, ys, zs) = box()
      for z in zs { for y in ys { for x in xs { truth[(z * h + y) * w + x] = UInt32(10 + 3 * id) } } }
    }
    var predicted = [UInt32](repeating: 0, count: truth.count)
    let ids = Set(truth).subtracting([0]).sorted()
    var next: UInt32 = 500
    for id in ids {
      let op = rng.next() % 6
      let (dx, dy, dz) = (Int(rng.next() % 3) - 1, Int(rng.next() % 3) - 1, Int(rng.next() % 2))
      let target: UInt32 = op == 3 && !ids.isEmpty ? ids[Int(rng.next() % UInt64(ids.count))] + 1000 : id + 1000
      next += 1
      for z in 0..<d {
        for y in 0..<h {
          for x in 0..<w where truth[(z * h + y) * w + x] == id {
            switch op {
            case 0, 1: predicted[(z * h + y) * w + x] = target  // kept
            case 2:  // shifted
              let (sx, sy, sz) = (x + dx, y + dy, z + dz)
              if sx >= 0 && sx < w && sy >= 0 && sy < h && sz < d { predicted[(sz * h + sy) * w + sx] = target }
            case 3: predicted[(z * h + y) * w + x] = target  // merged into another object's id
            case 4: predicted[(z * h + y) * w + x] = x % 2 == 0 ? target : next  // split
            default: break  // dropped
            }
          }
        }
      }
    }
    // A false positive.
    if rng.next() % 2 == 0 {
      let (xs, ys, zs) = box()
      for z in zs { for y in ys { for x in xs where predicted[(z * h + y) * w + x] == 0 { predicted[(z * h + y) * w + x] = 9000 } } }
    }
    return (LabelVolume(width: w, height: h, depth: d, samples: truth), LabelVolume(width: w, height: h, depth: d, samples: predicted))
  }

  @Test func countsAndAPEqualStarDist() throws {
    try stardistPython.checkImports()
    var rng = SplitMix64(seed: 2018)
    let thresholds = [0.1, 0.3] + AveragePrecision.standardThresholds
    var arguments = [pythonScriptsFolder + "/stardist_matching.py", thresholds.map { "\($0)" }.joined(separator: ",")]
    var ours: [AveragePrecision] = []
    for i in 0..<40 {
      let (truth, predicted) = Self.randomPair(&rng, w: 9 + i % 4, h: 7, d: 2 + i % 4)
      let (t, p) = (dir + "/t\(i).npy", dir + "/p\(i).npy")
      try ImageFile.writeVolume(truth, to: t)
      try ImageFile.writeVolume(predicted, to: p)
      arguments += [t, p]
      ours.append(AveragePrecision(predicted: predicted.samples, truth: truth.samples, thresholds: thresholds))
    }
    let result = try stardistPython.python(arguments)
    try #require(result.status == 0, "\(result.stderr)")
    // JSONDecoder, which parses doubles exactly (JSONSerialization on Linux
    // does not).
    struct Output: Decodable {
      var volumes: [[String: [Double]]]
      var dataset: [String: [Double]]
    }
    let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
    let volumes = output.volumes
    func check(_ ap: AveragePrecision, _ theirs: [String: [Double]], _ what: String) {
      #expect(ap.truePositives.map(Double.init) == theirs["tp"], "\(what): TP")
      #expect(ap.falsePositives.map(Double.init) == theirs["fp"], "\(what): FP")
      #expect(ap.falseNegatives.map(Double.init) == theirs["fn"], "\(what): FN")
      #expect(ap.values == theirs["accuracy"], "\(what): AP")
    }
    for (i, theirs) in volumes.enumerated() { check(ours[i], theirs, "volume \(i)") }
    // The random cases reach every kind of count.
    #expect(ours.contains { $0.truePositives[2] > 0 && $0.falsePositives[2] > 0 && $0.falseNegatives[2] > 0 })
    #expect(volumes.count == ours.count)
    check(ours.dropFirst().reduce(ours[0], +), output.dataset, "dataset")
  }
}

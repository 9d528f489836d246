import Foundation
import Raster
import Testing
import UNet
import WeightMap
import _TestSupport

@Suite struct EvalCommandTests {
  let dir = makeTemporaryDirectory()

  struct Row: Decodable, Equatable {
    var name: String?
    var pixel_error: Double
    var pixel_mismatch: Double
    var rand_error: Double
    var iou: Double
    var pixel_error_threshold: Double?
    var pixel_mismatch_threshold: Double?
    var rand_error_threshold: Double?
    var iou_threshold: Double?
    var instances: Instances?
  }

  /// The scores of an instance image beside a probability map.
  struct Instances: Decodable, Equatable {
    var pixel_error: Double
    var pixel_mismatch: Double
    var rand_error: Double
    var iou: Double
    var images: Int?
  }

  struct Report: Decodable {
    var images: [Row]
    var overall: Row
  }

  /// The row the library gives for best scores.
  func row(_ name: String?, _ b: BestScores, instances: Instances? = nil) -> Row {
    Row(
      name: name, pixel_error: b.pixelError.value, pixel_mismatch: b.pixelMismatch.value, rand_error: b.randError.value,
      iou: b.iou.value, pixel_error_threshold: b.pixelError.threshold,
      pixel_mismatch_threshold: b.pixelMismatch.threshold, rand_error_threshold: b.randError.threshold,
      iou_threshold: b.iou.threshold, instances: instances)
  }

  func instances(_ s: SegmentationScores, images: Int? = nil) -> Instances {
    Instances(pixel_error: s.pixelError, pixel_mismatch: s.pixelMismatch, rand_error: s.randError, iou: s.iou, images: images)
  }

  func evalJSON(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Report {
    let r = try unet(["eval", "--json"] + args)
    #expect(r.status == 0, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.isEmpty, sourceLocation: sourceLocation)
    return try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
  }

  func folder(_ name: String) -> String {
    let path = dir + "/" + name
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// A 16 x 12 truth: two touching-free cells (255) on black, as ISBI 2012
  /// labels are drawn.
  static let truthMask: Image<UInt8> = {
    var m = Image<UInt8>(width: 16, height: 12)
    for y in 2..<7 { for x in 1..<6 { m[x, y] = 255 } }
    for y in 3..<11 { for x in 9..<15 { m[x, y] = 255 } }
    return m
  }()

  /// A probability map that is high inside the cells, with a weak bridge
  /// between them and some noise.
  static func probabilities(seed: UInt64) -> Image<Float> {
    var rng = SplitMix64(seed: seed)
    var p = Image<Float>(width: 16, height: 12)
    for y in 0..<12 {
      for x in 0..<16 {
        let inside = truthMask[x, y] != 0
        p[x, y] = Float(inside ? rng.uniform(0.45, 1) : rng.uniform(0, 0.55))
      }
    }
    for x in 6..<9 { p[x, 4] = 0.5 }
    return p
  }

  static let truthInstances = ConnectedComponents.label(truthMask)

  @Test func probabilityMapsMatchTheLibrary() throws {
    let pred = folder("pred"), truth = folder("truth")
    let a = Self.probabilities(seed: 1), b = Self.probabilities(seed: 2)
    try ImageFile.write(a, to: pred + "/a.prob.tiff")
    // Two class pages: foreground = 1 − page 0.
    let background = Image<Float>(width: 16, height: 12, samples: b.samples.map { 1 - $0 })
    try ImageFile.writePages([AnyImage(background), AnyImage(b)], to: pred + "/b.prob.tiff")
    try ImageFile.write(Self.truthMask, to: truth + "/a.png")
    try ImageFile.write(Self.truthMask, to: truth + "/b.tif")

    let report = try evalJSON(["--pred", pred, "--truth", truth, "--thresholds", "7"])
    let thresholds = ThresholdSweep.thresholds(count: 7)
    let sweepA = ThresholdSweep(probabilities: a, truthInstances: Self.truthInstances, thresholds: thresholds)
    let backgroundPage = try ImageFile.readPages(pred + "/b.prob.tiff")[0].floatImage()
    let foregroundB = Image<Float>(width: 16, height: 12, samples: backgroundPage.samples.map { 1 - $0 })
    let sweepB = ThresholdSweep(probabilities: foregroundB, truthInstances: Self.truthInstances, thresholds: thresholds)
    // The JSON numbers are Swift's shortest round-trip form: exact.
    #expect(report.images == [row("a", sweepA.best), row("b", sweepB.best)])
    #expect(report.overall == row(nil, ThresholdSweep.overall([sweepA, sweepB])))
    #expect(report.overall.rand_error_threshold != nil)
    #expect(sweepA.scores.count == 7 && sweepA.scores.contains { $0 != sweepA.scores[0] })

    // Exactly these keys, thresholds null where there are none.
    let r = try unet(["eval", "--json", "--pred", pred, "--truth", truth])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(Set(object.keys) == ["images", "overall"])
    let keys: Set<String> = [
      "pixel_error", "pixel_mismatch", "rand_error", "iou", "pixel_error_threshold", "pixel_mismatch_threshold",
      "rand_error_threshold", "iou_threshold",
    ]
    #expect(Set((object["overall"] as? [String: Any])?.keys ?? [:].keys) == keys)
    let images = try #require(object["images"] as? [[String: Any]])
    #expect(images.map { Set($0.keys) } == [keys.union(["name"]), keys.union(["name"])])
  }

  @Test func masksAndInstancesHaveNoThreshold() throws {
    let pred = folder("pred"), truth = folder("truth")
    // A mask (0/1) that merges the two cells through a bridge.
    var mask = Image<UInt8>(width: 16, height: 12)
    for i in 0..<mask.pixelCount where Self.truthMask.samples[i] != 0 { mask.samples[i] = 1 }
    for x in 6..<9 { mask[x, 4] = 1 }
    try ImageFile.write(mask, to: pred + "/m.mask.png")
    // Instance ids (more than one non-zero value) are taken as they are:
    // one cell split in two.
    var ids = Image<UInt16>(width: 16, height: 12)
    for i in 0..<ids.pixelCount { ids.samples[i] = UInt16(Self.truthInstances.samples[i]) }
    for y in 7..<11 { for x in 9..<15 { ids[x, y] = 3 } }
    try ImageFile.write(ids, to: pred + "/n.instances.png")
    try ImageFile.write(Self.truthMask, to: truth + "/m.png")
    // Truth given as instance ids.
    try ImageFile.write(Self.truthInstances, to: truth + "/n.tif")

    let report = try evalJSON(["--pred", pred, "--truth", truth])
    let sweepM = ThresholdSweep(
      predictedInstances: ConnectedComponents.label(mask), truthInstances: Self.truthInstances)
    let sweepN = ThresholdSweep(
      predictedInstances: LabelImage(width: 16, height: 12, samples: ids.samples.map(UInt32.init)),
      truthInstances: Self.truthInstances)
    #expect(report.images == [row("m", sweepM.best), row("n", sweepN.best)])
    #expect(report.overall == row(nil, ThresholdSweep.overall([sweepM, sweepN])))
    #expect(report.images[0].rand_error > 0 && report.images[1].rand_error > 0)
    #expect(report.images[1].pixel_error == 0 && report.images[1].pixel_mismatch == 0 && report.images[1].iou == 1)
    #expect(report.overall.pixel_error_threshold == nil && report.overall.iou_threshold == nil)
    #expect(report.overall.instances == nil && report.images.allSatisfy { $0.instances == nil })

    // The JSON says null, not nothing.
    let r = try unet(["eval", "--json", "--pred", pred, "--truth", truth])
    #expect(r.stdout.contains("\"rand_error_threshold\" : null"))
  }

  @Test func preferredPredictionOfAName() throws {
    let pred = folder("pred"), truth = folder("truth")
    try ImageFile.write(Self.truthMask, to: truth + "/a.png")
    try ImageFile.write(Image<UInt8>(width: 16, height: 12), to: pred + "/a.mask.png")
    try ImageFile.write(
      Image<UInt16>(width: 16, height: 12, samples: Self.truthInstances.samples.map { UInt16($0) }), to: pred + "/a.instances.png")
    var r = try evalJSON(["--pred", pred, "--truth", truth])
    #expect(r.images[0].rand_error == 0 && r.images[0].iou_threshold == nil)  // instances before mask
    try ImageFile.write(Self.probabilities(seed: 3), to: pred + "/a.prob.tiff")
    r = try evalJSON(["--pred", pred, "--truth", truth])
    #expect(r.images[0].iou_threshold != nil)  // probabilities before both
    #expect(r.images.count == 1)
    // The instance image beside the probabilities is scored too.
    #expect(r.images[0].instances == instances(SegmentationScores(pixelError: 0, pixelMismatch: 0, randError: 0, iou: 1)))
  }

  /// unet predict's output: probabilities and instances of each NAME. Both
  /// are scored, the instances once, without threshold; overall sums the
  /// images' counts for each.
  @Test func instancesBesideProbabilitiesAreScoredToo() throws {
    let pred = folder("pred"), truth = folder("truth")
    let a = Self.probabilities(seed: 7), b = Self.probabilities(seed: 8)
    try ImageFile.write(a, to: pred + "/a.prob.tiff")
    try ImageFile.write(b, to: pred + "/b.prob.tiff")
    // a: the right cells; b: one cell split in two.
    var split = Self.truthInstances
    for y in 7..<11 { for x in 9..<15 { split[x, y] = 3 } }
    try ImageFile.write(Image<UInt16>(width: 16, height: 12, samples: Self.truthInstances.samples.map { UInt16($0) }), to: pred + "/a.instances.png")
    try ImageFile.write(Image<UInt16>(width: 16, height: 12, samples: split.samples.map { UInt16($0) }), to: pred + "/b.instances.png")
    try ImageFile.write(Image<UInt8>(width: 16, height: 12), to: pred + "/b.mask.png")  // not scored
    try ImageFile.write(Self.truthMask, to: truth + "/a.png")
    try ImageFile.write(Self.truthMask, to: truth + "/b.png")

    let report = try evalJSON(["--pred", pred, "--truth", truth])
    let thresholds = ThresholdSweep.thresholds(count: 10)
    let sweepA = ThresholdSweep(probabilities: a, truthInstances: Self.truthInstances, thresholds: thresholds)
    let sweepB = ThresholdSweep(probabilities: b, truthInstances: Self.truthInstances, thresholds: thresholds)
    let countsA = SegmentationMetrics.counts(predictedInstances: Self.truthInstances.samples, truthInstances: Self.truthInstances.samples)
    let countsB = SegmentationMetrics.counts(predictedInstances: split.samples, truthInstances: Self.truthInstances.samples)
    #expect(
      report.images == [
        row("a", sweepA.best, instances: instances(countsA.scores)), row("b", sweepB.best, instances: instances(countsB.scores)),
      ])
    #expect(report.overall == row(nil, ThresholdSweep.overall([sweepA, sweepB]), instances: instances((countsA + countsB).scores, images: 2)))
    #expect(countsB.randError > 0 && countsB.pixelError == 0)

    let table = try unet(["eval", "--pred", pred, "--truth", truth])
    #expect(table.status == 0, "\(table.stderr)")
    let lines = table.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.count == 11 && lines[4].isEmpty && lines[5].hasPrefix("instances"), "\(table.stdout)")
    #expect(lines[7].hasPrefix("a ") && !lines[7].contains("@") && lines[8].hasPrefix("b ") && lines[9].hasPrefix("overall "))
  }

  /// NAME is the file name without its extension, as unet predict names
  /// its outputs: the predictions of a.b.png pair with it, named a.b.
  @Test func dottedNamesPairAsPredictWritesThem() throws {
    let pred = folder("pred"), truth = folder("truth")
    let files = PredictionFiles(folder: pred, input: truth + "/a.b.png")
    try ImageFile.write(Self.probabilities(seed: 5), to: files.probabilities)
    try ImageFile.write(Image<UInt8>(width: 16, height: 12), to: files.mask)
    try ImageFile.write(
      Image<UInt16>(width: 16, height: 12, samples: Self.truthInstances.samples.map { UInt16($0) }), to: files.instances)
    try ImageFile.write(Self.truthMask, to: truth + "/a.b.png")
    try ImageFile.write(Self.probabilities(seed: 6), to: pred + "/a.prob.tiff")
    try ImageFile.write(Self.truthMask, to: truth + "/a.png")
    let r = try evalJSON(["--pred", pred, "--truth", truth])
    #expect(r.images.map(\.name) == ["a.b", "a"])
    #expect(r.images[0].iou_threshold != nil && r.images[0].instances != nil && r.images[1].instances == nil)
  }

  @Test func tableOutput() throws {
    let pred = folder("pred"), truth = folder("truth")
    try ImageFile.write(Self.probabilities(seed: 4), to: pred + "/cell.prob.tiff")
    try ImageFile.write(Self.truthMask, to: truth + "/cell.png")
    let r = try unet(["eval", "--pred", pred + "/*.tiff", "--truth", truth])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("image") && lines[0].contains("pixel error") && lines[0].contains("Rand error") && lines[0].contains("IoU"))
    #expect(lines[0].contains("pixel mismatch"))
    #expect(lines[1].hasPrefix("cell ") && lines[1].contains(" @ "))
    #expect(lines[2].hasPrefix("overall "))
  }

  @Test func isbiLabelAgainstItself() throws {
    let label = datasetsRoot + "/isbi2012/label/0.png"
    let report = try evalJSON(["--pred", label, "--truth", label])
    #expect(report.images == [Row(name: "0", pixel_error: 0, pixel_mismatch: 0, rand_error: 0, iou: 1)])
    #expect(report.overall == Row(pixel_error: 0, pixel_mismatch: 0, rand_error: 0, iou: 1))
  }

  /// Runs `unet eval ARGS` and expects a failure with one error line that
  /// mentions `words`.
  func expectFailure(_ args: [String], mentioning words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let r = try unet(["eval"] + args)
    #expect(r.status != 0, sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    #expect(lines.count == 1 && lines[0].hasPrefix("unet: error: "), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(words), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
  }

  @Test func badInputs() throws {
    let truth = dir + "/t.png"
    try ImageFile.write(Self.truthMask, to: truth)
    let good = dir + "/t.prob.tiff"
    try ImageFile.write(Self.probabilities(seed: 5), to: good)

    try expectFailure(["--pred", dir + "/missing.tiff", "--truth", truth], mentioning: "missing.tiff: no such file")
    try expectFailure(["--pred", good, "--truth", dir + "/missing.png"], mentioning: "missing.png: no such file")
    write(Array(read(truth).prefix(60)), to: dir + "/broken.png")
    try expectFailure(["--pred", dir + "/broken.png", "--truth", truth], mentioning: "broken.png: ")

    var p = Self.probabilities(seed: 6)
    p[3, 2] = 1.5
    try ImageFile.write(p, to: dir + "/high.prob.tiff")
    try expectFailure(["--pred", dir + "/high.prob.tiff", "--truth", truth], mentioning: "high.prob.tiff: probability 1.5 at x 3, y 2")
    p[3, 2] = -0.25
    try ImageFile.write(p, to: dir + "/low.prob.npy")
    try expectFailure(["--pred", dir + "/low.prob.npy", "--truth", truth], mentioning: "low.prob.npy: probability -0.25")
    p[3, 2] = .nan
    try ImageFile.write(p, to: dir + "/nan.prob.tiff")
    try expectFailure(["--pred", dir + "/nan.prob.tiff", "--truth", truth], mentioning: "nan.prob.tiff: probability is NaN at x 3, y 2")

    try ImageFile.write(Image<UInt8>(width: 16, height: 12, channels: 3), to: dir + "/rgb.png")
    try expectFailure(["--pred", dir + "/rgb.png", "--truth", truth], mentioning: "rgb.png: prediction has 3 channels")
    try expectFailure(["--pred", good, "--truth", dir + "/rgb.png"], mentioning: "rgb.png: label image has 3 channels")
    try expectFailure(["--pred", good, "--truth", good], mentioning: "t.prob.tiff: label image has float32 samples")

    try ImageFile.write(Image<UInt8>(width: 16, height: 10), to: dir + "/small.png")
    try expectFailure(["--pred", dir + "/small.png", "--truth", truth], mentioning: "small.png: is 16x10 but its truth \(truth) is 16x12")

    // Unpaired files, in both directions.
    let pred = folder("pred"), truths = folder("truths")
    try ImageFile.write(Self.truthMask, to: truths + "/a.png")
    try ImageFile.write(Self.truthMask, to: truths + "/b.png")
    try ImageFile.write(Self.truthMask, to: pred + "/a.mask.png")
    try expectFailure(["--pred", pred, "--truth", truths], mentioning: "\(truths)/b.png: has no prediction named 'b'")
    try ImageFile.write(Self.truthMask, to: pred + "/b.mask.png")
    try ImageFile.write(Self.truthMask, to: pred + "/c.mask.png")
    try expectFailure(["--pred", pred, "--truth", truths], mentioning: "\(pred)/c.mask.png: has no truth named 'c'")
    try expectFailure(["--pred", pred + "/*.tif", "--truth", truths], mentioning: "pattern matches no file")
    // Two predictions of one NAME that no preference decides.
    try FileManager.default.removeItem(atPath: pred + "/c.mask.png")
    try ImageFile.write(Self.truthMask, to: pred + "/b.png")
    try ImageFile.write(Self.truthMask, to: pred + "/b.tif")
    try FileManager.default.removeItem(atPath: pred + "/b.mask.png")
    try expectFailure(["--pred", pred, "--truth", truths], mentioning: "same name 'b'")

    try expectFailure(["--pred", good, "--truth", truth, "--thresholds", "0"], mentioning: "--thresholds 0: must be 1 to 1000")
    try expectFailure(["--pred", good, "--truth", truth, "--thresholds", "1001"], mentioning: "--thresholds 1001")
    // The limits of --thresholds themselves are fine.
    for n in ["1", "1000"] {
      let r = try unet(["eval", "--pred", good, "--truth", truth, "--thresholds", n])
      #expect(r.status == 0, "\(r.stderr)")
    }
  }
}

import Foundation
import Raster
import Testing
import UNet
import _TestSupport

/// `unet eval --volume` and the volume report: scores equal to the
/// library's, class volumes read as the foreground, refusals, and
/// orthogonal-slice panels.
@Suite struct EvalVolumeCommandTests {
  let dir = makeTemporaryDirectory()

  /// Two synthetic volumes of 40 x 36 x 10 and their predictions, written
  /// by PredictionFiles.writeVolume with `classes` class volumes: the
  /// foreground probability 0.75 on the true objects but the first
  /// (dropped, 0.25 as the background), the instances the truth with its
  /// first two objects merged.
  func volumes(classes: Int = 2, pred: String = "pred") throws -> (images: String, labels: String, pred: String) {
    let src = dir + "/src"
    if !FileManager.default.fileExists(atPath: src) {
      let r = try unet(["synth", "--out", src, "--count", "2", "--size", "40x36x10", "--seed", "8", "--cells", "9"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    let out = dir + "/" + pred
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    for name in ["cells_000", "cells_001"] {
      let truth = try ImageFile.readVolume(src + "/labels/" + name + ".tif").labels(path: name)
      let fg = truth.samples.map { $0 > 1 ? Float(0.75) : 0.25 }
      let planes: [Float] =
        classes == 2
        ? fg.map { 1 - $0 } + fg
        : fg.map { 1 - $0 } + (1..<classes).flatMap { _ in fg.map { $0 / Float(classes - 1) } }
      let mask = Volume(width: truth.width, height: truth.height, depth: truth.depth, samples: fg.map { $0 > 0.5 ? UInt8(1) : 0 })
      let instances = LabelVolume(
        width: truth.width, height: truth.height, depth: truth.depth, samples: truth.samples.map { $0 == 2 ? 1 : $0 })
      try PredictionFiles(folder: out, name: name).writeVolume(planes: planes, classes: classes, mask: mask, instances: instances)
    }
    return (src + "/images", src + "/labels", out)
  }

  func evalJSON(_ pred: String, _ truth: String) throws -> EvaluationReport {
    let r = try unet(["eval", "--volume", "--json", "--pred", pred, "--truth", truth])
    #expect(r.status == 0, "\(r.stderr)")
    let path = dir + "/scores.json"
    write(Array(r.stdout.utf8), to: path)
    return try EvaluationReport.read(from: path)
  }

  @Test func scoresEqualTheLibrarys() throws {
    let v = try volumes()
    let report = try evalJSON(v.pred, v.labels)
    #expect(report.images.map(\.name) == ["cells_000", "cells_001"])
    let thresholds = ThresholdSweep.thresholds(count: 10)
    var sweeps: [ThresholdSweep] = [], instanceSweeps: [ThresholdSweep] = []
    for (row, name) in zip(report.images, ["cells_000", "cells_001"]) {
      let truth = SegmentationMetrics.instances(of: try ImageFile.readVolume(v.labels + "/" + name + ".tif").labels(path: name))
      let files = PredictionFiles(folder: v.pred, name: name)
      let p = try ImageFile.readVolume(files.probabilities).floatVolume()
      let instances = try ImageFile.readVolume(files.volumeInstances).labels(path: name)
      let sweep = ThresholdSweep(probabilities: p, truthInstances: truth, thresholds: thresholds)
      let instanceSweep = ThresholdSweep(predictedInstances: instances, truthInstances: truth)
      sweeps.append(sweep)
      instanceSweeps.append(instanceSweep)
      #expect(row.best == sweep.best)
      #expect(row.averagePrecision == sweep.bestAveragePrecision?.averagePrecision)
      #expect(row.averagePrecisionThreshold == sweep.bestAveragePrecision?.threshold)
      #expect(row.instances == instanceSweep.counts[0].scores)
      let ap = AveragePrecision(predicted: instances.samples, truth: truth.samples)
      #expect(row.instancesAveragePrecision == ap)
      // One object dropped from the probabilities (and touching ones joined),
      // two merged in the instances: at least one miss each.
      let n = Set(truth.samples).count - 1
      #expect(n >= 5)
      #expect(row.averagePrecision!.truePositives[0] < n && row.averagePrecision!.falseNegatives[0] >= 1)
      #expect(ap.truePositives[0] + ap.falseNegatives[0] == n && ap.falseNegatives[0] >= 1)
    }
    #expect(report.overall.best == ThresholdSweep.overall(sweeps))
    #expect(report.overall.averagePrecision == ThresholdSweep.overallAveragePrecision(sweeps)?.averagePrecision)
    #expect(report.overall.instancesAveragePrecision == instanceSweeps[0].averagePrecision![0] + instanceSweeps[1].averagePrecision![0])
    #expect(report.overall.instanceImages == 2)
    // The table: AP50 and mean AP columns.
    let table = try unet(["eval", "--volume", "--pred", v.pred, "--truth", v.labels])
    #expect(table.status == 0)
    #expect(table.stdout.split(separator: "\n").first?.hasSuffix("AP50      mean AP") == true, "\(table.stdout)")
  }

  /// Three class volumes (K·D pages) score as their foreground 1 − class 0,
  /// the same as the one foreground volume; the mask alone is scored too.
  @Test func classVolumesAndMasksAreRead() throws {
    let two = try volumes(classes: 2, pred: "two")
    let three = try volumes(classes: 3, pred: "three")
    #expect(try ImageFile.readPages(three.pred + "/cells_000.prob.tiff").count == 30)
    #expect(try ImageFile.readPages(two.pred + "/cells_000.prob.tiff").count == 10)
    #expect(try evalJSON(three.pred, three.labels) == (try evalJSON(two.pred, two.labels)))
    let mask = try evalJSON(two.pred + "/cells_000.mask.tiff", two.labels + "/cells_000.tif")
    #expect(mask.images[0].best.iou.threshold == nil && mask.images[0].averagePrecision != nil)
  }

  @Test func badInputsAreRefusedInOneLine() throws {
    let v = try volumes()
    func refused(_ args: [String], _ words: [String]) throws {
      let r = try unet(["eval", "--volume"] + args)
      #expect(r.status == 1)
      #expect(r.stdout.isEmpty)
      let lines = r.stderr.split(separator: "\n")
      #expect(lines.count == 1 && lines[0].hasPrefix("unet: error: "), "\(r.stderr)")
      for word in words { #expect(r.stderr.contains(word), "\(r.stderr)") }
    }
    // 2-D images.
    let flat = dir + "/flat"
    #expect(try unet(["synth", "--out", flat, "--size", "32x32"]).status == 0)
    try refused(["--pred", flat + "/labels", "--truth", flat + "/labels"], ["cells_000.png", "not a volume"])
    // A prediction of other depth, and of other slice size.
    let short = dir + "/short.mask.tiff", narrow = dir + "/narrow.prob.tiff"
    try ImageFile.writeVolume(Volume<UInt8>(width: 40, height: 36, depth: 4), to: short)
    try ImageFile.writeVolume(Volume<Float>(width: 30, height: 36, depth: 10), to: narrow)
    try refused(["--pred", short, "--truth", v.labels + "/cells_000.tif"], ["short.mask.tiff", "is 40x36x4 but its truth", "40x36x10"])
    try refused(["--pred", narrow, "--truth", v.labels + "/cells_000.tif"], ["narrow.prob.tiff", "pages of 30x36"])
    // Float pages that are not a multiple of the depth.
    let odd = dir + "/odd.prob.tiff"
    try ImageFile.writeVolume(Volume<Float>(width: 40, height: 36, depth: 15), to: odd)
    try refused(["--pred", odd, "--truth", v.labels + "/cells_000.tif"], ["odd.prob.tiff", "15 float pages"])
  }

  @Test func reportShowsOrthogonalSlices() throws {
    let v = try volumes()
    let r = try unet(["eval", "--volume", "--json", "--pred", v.pred, "--truth", v.labels])
    let scores = dir + "/scores.json"
    write(Array(r.stdout.utf8), to: scores)
    let out = dir + "/report"
    let report = try unet(["report", "--out", out, "--eval", scores, "--images", v.images, "--truth", v.labels, "--pred", v.pred])
    #expect(report.status == 0, "\(report.stderr)")
    let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
    #expect(md.contains("| image | pixel error | Rand error | pixel mismatch | IoU | AP50 | mean AP |"))
    #expect(md.contains("orthogonal slices") && md.contains("![cells_001](cells_001.panels.png)"))
    // Four views of (40 + 4 + 10) x (36 + 4 + 10), 8 px apart.
    let panels = try ImageFile.read(out + "/cells_000.panels.png")
    #expect(panels.width == 4 * 54 + 3 * 8 && panels.height == 50)
  }
}

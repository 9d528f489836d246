import Foundation
import Raster
import Testing
import _TestSupport

@testable import UNet

/// The volume side of evaluation: prediction file names, the foreground
/// of a volume's pages, sweeps over volumes with their average precision,
/// and the report's optional fields.
@Suite struct VolumeEvaluationTests {
  @Test func volumePredictionsAreTIFFStacks() {
    let files = PredictionFiles(folder: "out", input: "data/a.b.tif")
    #expect(files.path(.probabilities, volume: true) == "out/a.b.prob.tiff")
    #expect(files.volumeMask == "out/a.b.mask.tiff")
    #expect(files.volumeInstances == "out/a.b.instances.tiff")
    #expect(files.mask == "out/a.b.mask.png")
    for kind in PredictionFiles.Kind.allCases {
      #expect(PredictionFiles.parse(files.path(kind, volume: true)) == ("a.b", kind))
    }
  }

  @Test func theForegroundOfAVolumesPages() {
    // Depth 2, slices of 2 values: one foreground volume, or 3 class volumes.
    let fg: [[Float]] = [[0.5, 0.25], [1, 0]]
    #expect(ClassPlanes.foreground(volumePages: fg, depth: 2) == [0.5, 0.25, 1, 0])
    let classes: [[Float]] = [[0.5, 0.75], [0, 1], [0.25, 0.125], [0.5, 0], [0.25, 0.125], [0.5, 0]]
    #expect(ClassPlanes.foreground(volumePages: classes, depth: 2) == [0.5, 0.25, 1, 0])
    #expect(ClassPlanes.foreground(volumePages: classes, depth: 4) == nil)
    #expect(ClassPlanes.foreground(volumePages: [[Float]](), depth: 2) == nil)
    // What writeVolume writes reads back: the pages of K volume planes.
    let planes: [Float] = [0.5, 0.75, 0, 1] + [0.25, 0.125, 0.5, 0] + [0.25, 0.125, 0.5, 0]
    let pages = ClassPlanes.probabilityPages(planes, classes: 3).flatMap { page in
      stride(from: page.startIndex, to: page.endIndex, by: 2).map { Array(page[$0..<$0 + 2]) }
    }
    #expect(pages == classes)
  }

  @Test func writtenVolumesReadBack() throws {
    let dir = makeTemporaryDirectory()
    let spacing = VoxelSpacing(z: 2, y: 0.5, x: 0.5, unit: "micron")
    let mask = Volume<UInt8>(width: 3, height: 2, depth: 2, spacing: spacing, samples: [0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1])
    let instances = LabelVolume(width: 3, height: 2, depth: 2, spacing: spacing, samples: mask.samples.map { UInt32($0) * 70000 })
    let fg = mask.samples.map { Float($0) * 0.5 + 0.25 }
    let files = PredictionFiles(folder: dir, name: "v")
    try files.writeVolume(planes: fg.map { 1 - $0 } + fg, classes: 2, mask: mask, instances: instances)
    let p = try ImageFile.readVolume(files.probabilities)
    #expect(p.depth == 2 && p.floatVolume().samples == fg && p.spacing == spacing)
    #expect(try ImageFile.readVolume(files.volumeMask).typed(UInt8.self)?.samples == mask.samples)
    #expect(try ImageFile.readVolume(files.volumeInstances).labels(path: "").samples == instances.samples)
  }

  /// Two 2 × 1 × 2 volumes: one probability sweep at 0.3 and 0.6, one
  /// instance volume scored once; overall sums their counts at each
  /// threshold.
  @Test func averagePrecisionOverThresholdsAndVolumes() {
    // Truth: two objects of 2 voxels (one per slice). Probabilities: object
    // 1 at 0.9, object 2 at 0.5: at 0.3 both, at 0.6 only object 1.
    let truth = LabelVolume(width: 2, height: 1, depth: 2, samples: [1, 1, 2, 2])
    let p = Volume<Float>(width: 2, height: 1, depth: 2, samples: [0.9, 0.9, 0.5, 0.5])
    let sweep = ThresholdSweep(probabilities: p, truthInstances: truth, thresholds: [0.3, 0.6])
    // At 0.3 one component holds both objects: IoU 1/2 with each, one match.
    #expect(sweep.averagePrecision?.map { $0.truePositives[0] } == [1, 1])
    #expect(sweep.averagePrecision?.map { $0.falseNegatives[0] } == [1, 1])
    #expect(sweep.averagePrecision?[0].truePositives.last == 0)  // IoU 1/2 < 0.9
    let best = sweep.bestAveragePrecision!
    #expect(best.threshold == 0.6 && best.averagePrecision.values == Array(repeating: 0.5, count: 9))
    let exact = ThresholdSweep(predictedInstances: truth, truthInstances: truth)
    #expect(exact.bestAveragePrecision?.threshold == nil && exact.bestAveragePrecision?.averagePrecision.mean == 1)
    let overall = ThresholdSweep.overallAveragePrecision([sweep, exact])!
    #expect(overall.threshold == 0.6)
    #expect(overall.averagePrecision.truePositives[0] == 3 && overall.averagePrecision.falseNegatives[0] == 1)
    // 2-D sweeps carry none.
    let flat = ThresholdSweep(predictedInstances: LabelImage(width: 1, height: 1, samples: [1]), truthInstances: LabelImage(width: 1, height: 1, samples: [1]))
    #expect(flat.averagePrecision == nil && ThresholdSweep.overallAveragePrecision([flat]) == nil)
  }

  @Test func reportsWithAndWithoutAveragePrecisionDecode() throws {
    let best = BestScores(thresholds: [], scores: [SegmentationScores(pixelError: 0.1, pixelMismatch: 0.05, randError: 0.2, iou: 0.9)])
    let ap = AveragePrecision(thresholds: [0.5, 0.9], truePositives: [2, 1], falsePositives: [0, 1], falseNegatives: [1, 2])
    let row = EvaluationReport.Row(
      name: "v", best: best, instances: SegmentationScores(pixelError: 0, pixelMismatch: 0, randError: 0, iou: 1),
      averagePrecision: ap, averagePrecisionThreshold: 0.45, instancesAveragePrecision: ap)
    let report = EvaluationReport(images: [row], overall: EvaluationReport.Row(name: nil, best: best, instances: nil))
    let text = try report.json()
    #expect(text.contains("\"average_precision_threshold\" : 0.45") && text.contains("\"ap_50\" : 0.6666666666666666"))
    #expect(try JSONDecoder().decode(EvaluationReport.self, from: Data(text.utf8)) == report)
    // A 2-D report, as earlier versions wrote it, has none.
    let old = #"{"images": [], "overall": {"pixel_error": 0.1, "pixel_mismatch": 0.05, "rand_error": 0.2, "iou": 0.9}}"#
    let decoded = try JSONDecoder().decode(EvaluationReport.self, from: Data(old.utf8))
    #expect(decoded.overall.averagePrecision == nil && decoded.overall.averagePrecisionThreshold == nil)
  }
}

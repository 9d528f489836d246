import Foundation
import Raster
import Testing
import _TestSupport
import UNet

/// The names of a prediction's files, how predictions pair with their
/// truth, the foreground probability of class planes, and the report of
/// `unet eval` as JSON.
@Suite struct PredictionFilesTests {
  @Test func namesFollowTheInputsName() {
    let files = PredictionFiles(folder: "out", input: "data/a.b.png")
    #expect(files.name == "a.b")
    #expect(files.probabilities == "out/a.b.prob.tiff")
    #expect(files.mask == "out/a.b.mask.png")
    #expect(files.instances == "out/a.b.instances.png")
    #expect(PredictionFiles(folder: "o", input: "12.tif").probabilities == "o/12.prob.tiff")
  }

  @Test func parsingGivesBackNameAndKind() {
    for name in ["a", "a.b", "cells_000"] {
      for kind in PredictionFiles.Kind.allCases {
        let parsed = PredictionFiles.parse(PredictionFiles(folder: "x/y", name: name).path(kind))
        #expect(parsed.name == name && parsed.kind == kind)
      }
    }
    #expect(PredictionFiles.parse("x/a.prob.npy") == ("a", .probabilities))
    #expect(PredictionFiles.parse("x/a.tif") == ("a", nil))
    #expect(PredictionFiles.parse("x/a.seg.png") == ("a.seg", nil))
    #expect(PredictionFiles.parse("prob.tiff") == ("prob", nil))
    #expect(PredictionFiles.Kind.allCases.sorted() == [.probabilities, .instances, .mask])
  }

  @Test func pairingByName() throws {
    let dir = try makeTemporaryDirectory()
    let pred = dir + "/pred", truth = dir + "/truth"
    for folder in [pred, truth] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    let image = AnyImage(Image<UInt8>(width: 2, height: 2))
    for file in ["a.png", "a.b.png", "c.tif"] { try ImageFile.write(image, to: truth + "/" + file) }
    for name in ["a", "a.b"] {
      let files = PredictionFiles(folder: pred, name: name)
      for path in [files.probabilities, files.mask, files.instances] { try ImageFile.write(image, to: path) }
    }
    try ImageFile.write(image, to: pred + "/c.mask.png")
    try ImageFile.write(image, to: pred + "/c.tif")

    let pairs = try PredictionFiles.pair(predictions: pred, truth: truth)
    // In the truth files' order: a folder's files sorted by name.
    #expect(pairs.map(\.name) == ["a.b", "a", "c"])
    #expect(pairs[0].prediction == pred + "/a.b.prob.tiff" && pairs[0].instances == pred + "/a.b.instances.png")
    #expect(pairs[1] == PredictionFiles.Pair(
      name: "a", prediction: pred + "/a.prob.tiff", truth: truth + "/a.png", instances: pred + "/a.instances.png"))
    // A mask is preferred to a file of no known kind; no instances without a probability map.
    #expect(pairs[2] == PredictionFiles.Pair(name: "c", prediction: pred + "/c.mask.png", truth: truth + "/c.tif"))

    // Two single files pair whatever their names, under the truth's NAME.
    let single = try PredictionFiles.pair(predictions: pred + "/c.tif", truth: truth + "/a.b.png")
    #expect(single == [PredictionFiles.Pair(name: "a.b", prediction: pred + "/c.tif", truth: truth + "/a.b.png")])

    try ImageFile.write(image, to: pred + "/d.mask.png")
    #expect(throws: RasterError.self) { try PredictionFiles.pair(predictions: pred, truth: truth) }
    let error = try #require(throws: RasterError.self) { try PredictionFiles.pair(predictions: pred, truth: truth) }
    #expect(error.description == pred + "/d.mask.png: has no truth named 'd' in " + truth)
  }

  @Test func foregroundOfClassPlanes() {
    // Two pixels, three classes; then the same pixels with two classes.
    let three: [Float] = [0.5, 0.25, 0.25, 0.5, 0.25, 0.25]
    #expect(ClassPlanes.probabilityPages(three, classes: 3).map(Array.init) == [[0.5, 0.25], [0.25, 0.5], [0.25, 0.25]])
    #expect(ClassPlanes.foreground(three, classes: 3) == [0.5, 0.75])
    let two: [Float] = [0.75, 0.125, 0.25, 0.875]
    #expect(ClassPlanes.probabilityPages(two, classes: 2).map(Array.init) == [[0.25, 0.875]])
    #expect(ClassPlanes.foreground(two, classes: 2) == [0.25, 0.875])
    // A file's pages: one page is the foreground, several are class planes.
    #expect(ClassPlanes.foreground(pages: [[0.25, 0.875]]) == [0.25, 0.875])
    #expect(ClassPlanes.foreground(pages: [[0.75, 0.125], [0.25, 0.875]]) == [0.25, 0.875])
  }

  static let report = EvaluationReport(
    images: [
      .init(
        name: "a/b",
        best: BestScores(
          pixelError: .init(value: 0.125, threshold: 0.45), pixelMismatch: .init(value: 0.0625, threshold: 0.55),
          randError: .init(value: 0.25, threshold: 0.45), iou: .init(value: 0.75, threshold: 0.35)),
        instances: SegmentationScores(pixelError: 0.5, pixelMismatch: 0.25, randError: 0.375, iou: 0.625)),
    ],
    overall: .init(
      name: nil,
      best: BestScores(
        pixelError: .init(value: 0.125, threshold: nil), pixelMismatch: .init(value: 0.0625, threshold: nil),
        randError: .init(value: 0.25, threshold: nil), iou: .init(value: 0.75, threshold: nil)),
      instances: SegmentationScores(pixelError: 0.5, pixelMismatch: 0.25, randError: 0.375, iou: 0.625),
      instanceImages: 1))

  @Test func reportJSONAndRoundTrip() throws {
    let json = try Self.report.json()
    #expect(json == """
      {
        "images" : [
          {
            "instances" : {
              "iou" : 0.625,
              "pixel_error" : 0.5,
              "pixel_mismatch" : 0.25,
              "rand_error" : 0.375
            },
            "iou" : 0.75,
            "iou_threshold" : 0.35,
            "name" : "a/b",
            "pixel_error" : 0.125,
            "pixel_error_threshold" : 0.45,
            "pixel_mismatch" : 0.0625,
            "pixel_mismatch_threshold" : 0.55,
            "rand_error" : 0.25,
            "rand_error_threshold" : 0.45
          }
        ],
        "overall" : {
          "instances" : {
            "images" : 1,
            "iou" : 0.625,
            "pixel_error" : 0.5,
            "pixel_mismatch" : 0.25,
            "rand_error" : 0.375
          },
          "iou" : 0.75,
          "iou_threshold" : null,
          "pixel_error" : 0.125,
          "pixel_error_threshold" : null,
          "pixel_mismatch" : 0.0625,
          "pixel_mismatch_threshold" : null,
          "rand_error" : 0.25,
          "rand_error_threshold" : null
        }
      }
      """)
    let dir = try makeTemporaryDirectory()
    try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/eval.json"))
    #expect(try EvaluationReport.read(from: dir + "/eval.json") == Self.report)
  }

  @Test func reportReadingRefusesOtherFiles() throws {
    let dir = try makeTemporaryDirectory()
    func refusal(_ text: String) throws -> String {
      try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/s.json"))
      return try #require(throws: FileError.self) { try EvaluationReport.read(from: dir + "/s.json") }.reason
    }
    #expect(try refusal("{").hasPrefix("is not JSON"))
    #expect(try refusal("[]") == "is not the output of unet eval --json")
    #expect(try refusal(#"{"images": []}"#) == "is not the output of unet eval --json")
    #expect(try refusal(#"{"images": [], "overall": {"pixel_error": 0.1, "rand_error": 0.3, "iou": 0.9}}"#)
      .hasPrefix("was written by an older unet eval"))
    let missing = try #require(throws: FileError.self) { try EvaluationReport.read(from: dir + "/none.json") }
    #expect(missing.code == .io)
  }
}

import Foundation
import Raster
import Testing
import UNet
import _TestSupport

/// The Python that checks the exported models.
let onnxPython = ModulePython("onnx, onnxruntime, numpy", for: "ONNXExportTests")

/// `unet export --format onnx` checked outside UNetKit: onnx.checker accepts
/// the model, and onnxruntime on the CPU gives `unet predict`'s class
/// probabilities for the same tile.
@Suite(
  .slow, .enabled(if: onnxPython.command != nil, "needs a Python importing onnx, onnxruntime and numpy: set UNETKIT_TORCH_PYTHON"))
struct ONNXExportTests {
  let dir = makeTemporaryDirectory()
  static let scripts = pythonScriptsFolder

  func checkImports() throws { try onnxPython.checkImports() }

  /// 3 steps of `unet train` (4 base channels, depth 2, tile 60) on 4
  /// augmented samples, with and without batch normalisation, exported as
  /// ONNX; onnxruntime's probabilities of one 52 × 52 image equal `unet
  /// predict`'s.
  ///
  /// 52 × 52 is the output of a 92-pixel tile at depth 2 (margin 20), a
  /// size other than the training tile, so the model's dynamic sizes are
  /// used: `unet predict --tile 92` covers the image with one tile mirrored
  /// by 20 pixels, and onnxruntime runs the model once on `numpy.pad(image,
  /// 20, "reflect")`, normalised as the model's metadata says. Both compute
  /// in float32 and differ only in summation order: 1e-4 leaves a wide
  /// margin.
  @Test(arguments: ["none", "batch"])
  func onnxruntimeGivesThePredictedProbabilities(normLayer: String) throws {
    try checkImports()
    #expect(try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "48x48", "--seed", "3", "--cells", "5"]).status == 0)
    let augment = try unet([
      "augment", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/ds",
      "--samples", "4", "--per-shard", "2", "--seed", "1", "--jobs", "1",
    ])
    try #require(augment.status == 0, "\(augment.stderr)")
    let train = try unet([
      "train", "--shards", dir + "/ds", "--out", dir + "/run", "--base-channels", "4", "--depth", "2",
      "--tile", "60", "--steps", "3", "--threads", "1", "--norm-layer", normLayer,
    ])
    try #require(train.status == 0, "\(train.stderr)")
    let model = dir + "/unet.onnx"
    let export = try unet(["export", "--model", dir + "/run", "--format", "onnx", "--out", model])
    try #require(export.status == 0, "\(export.stderr)")
    #expect(export.stdout.contains("input sizes 44 + 4k"), "\(export.stdout)")

    #expect(try unet(["synth", "--out", dir + "/test", "--count", "1", "--size", "52x52", "--seed", "9", "--cells", "4"]).status == 0)
    let raw = try ImageFile.read(dir + "/test/images/cells_000.png")
    try ImageFile.write(raw, to: dir + "/image.npy")
    let predict = try unet(["predict", "--model", dir + "/run", dir + "/image.npy", "--out", dir + "/pred", "--tile", "92"])
    try #require(predict.status == 0, "\(predict.stderr)")
    let py = try onnxPython.python([Self.scripts + "/onnx_predict.py", model, dir + "/image.npy", dir + "/onnx.npy"])
    try #require(py.status == 0, "\(py.stderr)")

    struct Report: Decodable {
      var opset: Int
      var operators: [String]
      var metadata: [String: String]
    }
    let report = try JSONDecoder().decode(Report.self, from: Data(py.stdout.utf8))
    #expect(report.opset >= 17)
    var expected = ["Concat", "Conv", "ConvTranspose", "MaxPool", "Relu", "Slice", "Softmax"]
    if normLayer == "batch" { expected.append("BatchNormalization") }
    #expect(report.operators == expected.sorted(), "\(report.operators)")
    let trained = try TrainedModel.read(from: dir + "/run")
    #expect(report.metadata["normalization"] == #"{"percentile":{"highPercent":99.8,"lowPercent":1}}"#)
    #expect(report.metadata["tile"] == "60" && report.metadata["margin"] == "20")
    #expect(report.metadata["step"] == "3")
    #expect(report.metadata["architecture"]?.contains("\"depth\":2") == true)
    #expect(trained.normalization == .standard)

    guard case .float32(let unetProbabilities) = try ImageFile.read(dir + "/pred/image.prob.tiff"),
      case .float32(let onnxProbabilities) = try ImageFile.read(dir + "/onnx.npy")
    else {
      Issue.record("the probabilities are not float32")
      return
    }
    #expect(onnxProbabilities.width == 52 && onnxProbabilities.height == 52)
    let spread = (unetProbabilities.samples.max() ?? 0) - (unetProbabilities.samples.min() ?? 0)
    #expect(spread > 0.01, "the probabilities span only \(spread)")
    let difference = zip(unetProbabilities.samples, onnxProbabilities.samples).map { abs($0 - $1) }.max() ?? .infinity
    print("ONNXExportTests: unet predict and onnxruntime differ by at most \(difference) (probabilities span \(spread))")
    #expect(difference <= 1e-4, "largest difference \(difference)")

    // The same model gives the same bytes; an existing output needs --force.
    let again = try unet(["export", "--model", dir + "/run", "--format", "onnx", "--out", model])
    #expect(again.status == 1 && again.stderr == "unet: error: \(model): exists; pass --force to replace it\n", "\(again.stderr)")
    let forced = try unet(["export", "--model", dir + "/run", "--format", "onnx", "--out", dir + "/again.onnx", "--force"])
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(read(model) == read(dir + "/again.onnx"))
  }
}

import Foundation
import Raster
import Shards
import Testing
import UNet
import _TestSupport

/// UNetKit models and datasets in PyTorch, through examples/pytorch: the
/// weights of `unet export` give `unet predict`'s probabilities, weights
/// trained by the example predict with `unet predict`, and the example's
/// webdataset loader reads every sample of a dataset.
@Suite(
  .slow,
  // Runs only where a Python with torch is found (see `torchPython`); the
  // comment is the reason printed with each skipped test.
  .enabled(
    if: torchPython.isAvailable,
    "needs a Python importing torch, numpy, safetensors, webdataset and PIL: set UNETKIT_TORCH_PYTHON"))
struct PyTorchInteropTests {
  let dir = makeTemporaryDirectory()
  static let examples = packageRoot + "/examples/pytorch"
  static let scripts = pythonScriptsFolder

  /// 4 augmented samples of 48 × 48 touching cells, normalised by the
  /// default percentiles, in DIR/ds.
  func dataset() throws -> String {
    #expect(try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "48x48", "--seed", "3", "--cells", "5"]).status == 0)
    let augment = try unet([
      "augment", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/ds",
      "--samples", "4", "--per-shard", "2", "--seed", "1", "--jobs", "1",
    ])
    try #require(augment.status == 0, "\(augment.stderr)")
    return dir + "/ds"
  }

  /// The foreground probabilities of one 52 × 52 image by `unet predict
  /// --model MODEL` and by PyTorch's forward pass over the weights file
  /// WEIGHTS; returns their largest difference.
  ///
  /// 52 × 52 is the output of a 92-pixel tile at depth 2 (margin 20):
  /// `unet predict --tile 92` covers it with one tile of the image mirrored
  /// by 20 pixels, and PyTorch runs the module once on `numpy.pad(image, 20,
  /// "reflect")` after normalising it as the file's metadata says. Both
  /// compute in float32 and differ only in summation order: 1e-4 leaves a
  /// wide margin (the difference seen here is about 2.4e-7).
  func predictedDifference(model: String, weights: String) throws -> Float {
    // The raw 16-bit image, as .npy so that Python needs only numpy to read it.
    #expect(try unet(["synth", "--out", dir + "/test", "--count", "1", "--size", "52x52", "--seed", "9", "--cells", "4"]).status == 0)
    let raw = try ImageFile.read(dir + "/test/images/cells_000.png")
    #expect(raw.sampleType == .uint16)
    try ImageFile.write(raw, to: dir + "/image.npy")

    let predict = try unet(["predict", "--model", model, dir + "/image.npy", "--out", dir + "/pred", "--tile", "92"])
    try #require(predict.status == 0, "\(predict.stderr)")
    let py = try torchPython.python([
      Self.scripts + "/torch_predict.py", Self.examples, weights, dir + "/image.npy", dir + "/torch.npy",
    ])
    try #require(py.status == 0, "\(py.stderr)")

    guard case .float32(let unetProbabilities) = try ImageFile.read(dir + "/pred/image.prob.tiff"),
      case .float32(let torchProbabilities) = try ImageFile.read(dir + "/torch.npy")
    else {
      Issue.record("the probabilities are not float32")
      return .infinity
    }
    #expect(unetProbabilities.width == 52 && unetProbabilities.height == 52)
    #expect(torchProbabilities.width == 52 && torchProbabilities.height == 52)
    // Not a vacuous comparison: the probabilities vary over the image.
    let spread = (unetProbabilities.samples.max() ?? 0) - (unetProbabilities.samples.min() ?? 0)
    #expect(spread > 0.01, "the probabilities span only \(spread)")
    let difference = zip(unetProbabilities.samples, torchProbabilities.samples).map { abs($0 - $1) }.max() ?? .infinity
    print("PyTorchInteropTests: unet predict and PyTorch differ by at most \(difference) (probabilities span \(spread))")
    return difference
  }

  /// 3 steps of `unet train` (4 base channels, depth 2, tile 60, with and
  /// without batch normalisation); exported, the weights go into
  /// examples/pytorch's module and give `unet predict`'s probabilities (in
  /// eval mode: the running statistics).
  @Test(arguments: ["none", "batch"])
  func exportedWeightsGiveThePredictedProbabilities(normLayer: String) throws {
    try torchPython.checkImports()
    let train = try unet([
      "train", "--shards", try dataset(), "--out", dir + "/run", "--base-channels", "4", "--depth", "2",
      "--tile", "60", "--steps", "3", "--threads", "1", "--norm-layer", normLayer,
    ])
    try #require(train.status == 0, "\(train.stderr)")
    let export = try unet(["export", "--model", dir + "/run", "--out", dir + "/unet.safetensors"])
    try #require(export.status == 0, "\(export.stderr)")
    let difference = try predictedDifference(model: dir + "/run", weights: dir + "/unet.safetensors")
    #expect(difference <= 1e-4, "largest difference \(difference)")
  }

  /// A model trained by examples/pytorch/train.py (3 steps, 4 base
  /// channels, depth 2, tile 60, on the CPU, with and without batch
  /// normalisation) comes back: `unet predict` reads its weights file
  /// (BatchNorm2d's buffers included) and equals PyTorch's eval-mode
  /// forward pass, and `unet train --init` continues from it.
  @Test(arguments: ["none", "batch"])
  func pytorchTrainedWeightsPredictWithUnet(normLayer: String) throws {
    try torchPython.checkImports()
    let shards = try dataset()
    let weights = dir + "/torch-model.safetensors"
    let py = try torchPython.python([
      Self.examples + "/train.py", "--shards", shards, "--out", weights, "--steps", "3", "--base-channels", "4",
      "--depth", "2", "--tile", "60", "--workers", "0", "--cpu", "--log-every", "1", "--norm-layer", normLayer,
    ])
    try #require(py.status == 0, "\(py.stderr)")
    let model = try TrainedModel.read(from: weights)
    #expect(model.architecture.normLayer.rawValue == normLayer)
    if normLayer == "batch" {
      // PyTorch's running statistics after 3 steps, not a new network's.
      #expect(model.statistics.batches == 3 && model.statistics != model.architecture.initialStatistics)
    }
    let difference = try predictedDifference(model: weights, weights: weights)
    #expect(difference <= 1e-4, "largest difference \(difference)")

    let tuned = try unet([
      "train", "--shards", shards, "--out", dir + "/tuned", "--init", weights, "--steps", "1", "--threads", "1",
    ])
    #expect(tuned.status == 0, "\(tuned.stderr)")
    let described = normLayer == "batch" ? "4 base channels, depth 2, batch norm, tile 60" : "4 base channels, depth 2, tile 60"
    #expect(tuned.stderr.contains(described), "\(tuned.stderr)")
  }

  /// examples/pytorch/train.py on `unet augment --volume` shards at
  /// spacing 4,1,1 (3 steps, 2 base channels, depth 2, tile 60x60x34):
  /// the 3-D network with its first pooling in-plane, as `unet train`
  /// would choose. `unet predict --volume` reads the weights file
  /// (architecture, tile, spacing) and its probabilities equal PyTorch's
  /// eval-mode forward pass over the whole 40 x 36 x 10 volume mirrored by
  /// the margins (20, 20, 12), one valid tile. Float32 both, in other
  /// summation orders: 1e-4 leaves a wide margin (seen: about 2e-7).
  @Test func pytorchTrainedVolumeWeightsPredictWithUnet() throws {
    try torchPython.checkImports()
    var r = try unet(["synth", "--out", dir + "/src", "--count", "1", "--size", "40x36x10", "--seed", "5", "--cells", "9"])
    try #require(r.status == 0, "\(r.stderr)")
    r = try unet([
      "augment", "--volume", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/ds",
      "--samples", "3", "--per-shard", "2", "--seed", "2", "--spacing", "4,1,1", "--jobs", "1",
    ])
    try #require(r.status == 0, "\(r.stderr)")
    let weights = dir + "/torch-volume.safetensors"
    let py = try torchPython.python([
      Self.examples + "/train.py", "--shards", dir + "/ds", "--out", weights, "--steps", "3", "--base-channels", "2",
      "--depth", "2", "--tile", "60x60x34", "--workers", "0", "--cpu", "--log-every", "1",
    ])
    try #require(py.status == 0, "\(py.stderr)")
    #expect(py.stdout.contains("3-D, 1 in-plane poolings, tile 60x60x34 -> 20x20x10"), "\(py.stdout)")

    let model = try TrainedModel.read(from: weights)
    let a = model.architecture
    #expect(a.dimensions == 3 && a.inPlanePoolings == 1 && a.depth == 2 && a.baseChannels == 2, "\(a)")
    #expect(model.tile == TileSize(width: 60, height: 60, depth: 34))
    #expect(model.spacing == VoxelSpacing(z: 4, y: 1, x: 1))
    #expect(model.step == 3)

    r = try unet(["predict", "--volume", "--model", weights, dir + "/src/images", "--out", dir + "/pred"])
    try #require(r.status == 0, "\(r.stderr)")
    let raw = try ImageFile.readVolume(dir + "/src/images/cells_000.tif")
    try ImageFile.write(raw.flat, to: dir + "/volume.npy")
    let torch = try torchPython.python([
      Self.scripts + "/torch_predict_volume.py", Self.examples, weights, dir + "/volume.npy", "\(raw.depth)",
      dir + "/torch.npy",
    ])
    try #require(torch.status == 0, "\(torch.stderr)")
    let predicted = try ImageFile.readVolume(dir + "/pred/cells_000.prob.tiff")
    #expect(predicted.width == 40 && predicted.height == 36 && predicted.depth == 10 && predicted.spacing.z == 4)
    let ours = try #require(predicted.typed(Float.self)).flat.samples
    guard case .float32(let theirs) = try ImageFile.read(dir + "/torch.npy") else {
      Issue.record("PyTorch's probabilities are not float32")
      return
    }
    #expect(theirs.samples.count == ours.count)
    let spread = (ours.max() ?? 0) - (ours.min() ?? 0)
    #expect(spread > 0.01, "the probabilities span only \(spread)")
    let difference = zip(ours, theirs.samples).map { abs($0 - $1) }.max() ?? .infinity
    print("PyTorchInteropTests: unet predict --volume and PyTorch differ by at most \(difference) (span \(spread))")
    #expect(difference <= 1e-4, "largest difference \(difference)")
  }

  /// `train.py --time-limit` stops at the first step that ends past the
  /// limit, before --steps, and saves the step it reached.
  @Test func pytorchTrainingStopsAtItsTimeLimit() throws {
    try torchPython.checkImports()
    let weights = dir + "/limited.safetensors"
    let py = try torchPython.python([
      Self.examples + "/train.py", "--shards", try dataset(), "--out", weights, "--steps", "50", "--time-limit",
      "0.00001", "--base-channels", "4", "--depth", "2", "--tile", "60", "--workers", "0", "--cpu",
    ])
    try #require(py.status == 0, "\(py.stderr)")
    #expect(py.stdout.contains("train: 1 steps"), "\(py.stdout)")
    #expect(try TrainedModel.read(from: weights).step == 1)
  }

  /// 7 samples in 4 shards (the last one short): the example's loader
  /// yields each exactly once, whole and split between 2 ranks (with 2
  /// DataLoader workers each) and 3 ranks, with the keys the shards hold.
  @Test func loaderReadsEverySample() throws {
    try torchPython.checkImports()
    #expect(try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "40x32", "--seed", "4", "--cells", "6"]).status == 0)
    let augment = try unet([
      "augment", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/ds",
      "--samples", "7", "--per-shard", "2", "--seed", "1", "--jobs", "1",
    ])
    try #require(augment.status == 0, "\(augment.stderr)")
    let py = try torchPython.python([Self.scripts + "/torch_read_all.py", Self.examples, dir + "/ds"])
    try #require(py.status == 0, "\(py.stderr)")

    struct Read: Decodable {
      var samples: Int
      var keys: [String]
    }
    let read = try JSONDecoder().decode(Read.self, from: Data(py.stdout.utf8))
    let manifest = try Manifest.read(from: dir + "/ds/manifest.json")
    let keys = try manifest.shards.flatMap { try ShardReader.readAll(path: dir + "/ds/" + $0.file).map(\.key) }
    #expect(read.samples == manifest.totalSamples)
    #expect(Set(read.keys).count == read.keys.count)
    #expect(Set(read.keys) == Set(keys))
  }

  /// A 3-D dataset through the example's `volume_samples`: every sample
  /// once, whole and split between 2 ranks with 2 workers each, the arrays
  /// (D, H, W) and equal to the shards' bytes; `samples` refuses it.
  @Test func loaderReadsVolumes() throws {
    try torchPython.checkImports()
    #expect(try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "24x20x6", "--seed", "4", "--cells", "4"]).status == 0)
    let augment = try unet([
      "augment", "--volume", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/ds",
      "--samples", "5", "--per-shard", "2", "--seed", "1", "--jobs", "1",
    ])
    try #require(augment.status == 0, "\(augment.stderr)")
    let py = try torchPython.python([Self.scripts + "/torch_read_volumes.py", Self.examples, dir + "/ds"])
    try #require(py.status == 0, "\(py.stderr)")
    struct Read: Decodable {
      var keys: [String]
      var sha256: [String: [String: String]]
    }
    let read = try JSONDecoder().decode(Read.self, from: Data(py.stdout.utf8))
    let manifest = try Manifest.read(from: dir + "/ds/manifest.json")
    let samples = try manifest.shards.flatMap { try ShardReader.readAll(path: dir + "/ds/" + $0.file) }
    #expect(Set(read.keys) == Set(samples.map(\.key)) && read.keys.count == samples.count)
    for sample in samples {
      let v = try SampleLayout.decodeVolume(sample, shard: "")
      func sha<S>(_ a: [S]) -> String { a.withUnsafeBytes { sha256Hex(Array($0)) } }
      #expect(read.sha256[sample.key]?["image"] == sha(v.image.samples))
      #expect(read.sha256[sample.key]?["weight"] == sha(v.weights.samples))
      #expect(read.sha256[sample.key]?["mask"] == sha(v.mask.samples))
      #expect(read.sha256[sample.key]?["labels"] == sha(v.labels!.samples))
    }
  }
}

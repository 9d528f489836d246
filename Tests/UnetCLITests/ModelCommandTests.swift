import Foundation
import Raster
import Testing
import UNet
import _TestSupport

/// The models `unet predict` and `unet train` take: a version-1 checkpoint
/// written by an earlier `unet` (Tests/Fixtures/checkpoint-v1), and weights
/// files (`unetkit-weights`, from `unet export` or examples/pytorch).
@Suite(.slow) struct ModelCommandTests {
  let dir = makeTemporaryDirectory()
  static let fixture = fixturesFolder + "/checkpoint-v1"

  func probabilities(_ path: String) throws -> Image<Float> {
    guard case .float32(let image) = try ImageFile.read(path) else {
      Issue.record("\(path) is not float32")
      return Image(width: 0, height: 0, samples: [])
    }
    return image
  }

  func largestDifference(_ a: Image<Float>, _ b: Image<Float>) -> Float {
    guard a.width == b.width, a.height == b.height else { return .infinity }
    return zip(a.samples, b.samples).map { abs($0 - $1) }.max() ?? .infinity
  }

  /// The prediction the earlier `unet` made with the fixture checkpoint,
  /// again within 1e-6 (oneDNN's float32 sums may round differently on
  /// another CPU; on the machine that wrote it the files are identical).
  @Test func versionOneCheckpointPredictsAsBefore() throws {
    let r = try unet(["predict", "--model", Self.fixture + "/run", Self.fixture + "/image.png", "--out", dir + "/pred"])
    try #require(r.status == 0, "\(r.stderr)")
    let got = try probabilities(dir + "/pred/image.prob.tiff")
    let expected = try probabilities(Self.fixture + "/expected/image.prob.tiff")
    #expect(largestDifference(got, expected) <= 1e-6)
    // The classes agree wherever the probability is not within the tolerance of 1/2.
    let mask = try ImageFile.read(dir + "/pred/image.mask.png").doubleSamples()
    let expectedMask = try ImageFile.read(Self.fixture + "/expected/image.mask.png").doubleSamples()
    for i in expected.samples.indices where abs(expected.samples[i] - 0.5) > 1e-6 {
      #expect(mask[i] == expectedMask[i], "pixel \(i)")
    }
  }

  /// `unet train --resume` continues the fixture run (step 2 of 4, written
  /// with --threads 1) to the weights of its uninterrupted run.
  @Test func versionOneCheckpointResumes() throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: dir + "/run", withIntermediateDirectories: true)
    try fm.copyItem(atPath: Self.fixture + "/shards", toPath: dir + "/shards")
    try fm.copyItem(atPath: Self.fixture + "/run/last.ckpt", toPath: dir + "/run/last.ckpt")
    let r = try unet(["train", "--shards", "shards", "--out", "run", "--resume", "--threads", "1"], cwd: dir)
    try #require(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("resuming at step 2"), "\(r.stderr)")
    let resumed = try Checkpoint.read(from: dir + "/run/last.ckpt")
    let expected = try Checkpoint.read(from: Self.fixture + "/expected/step-000004.ckpt")
    #expect(resumed.step == 4)
    let difference = zip(resumed.parameters.joined(), expected.parameters.joined()).map { abs($0 - $1) }.max() ?? .infinity
    #expect(difference <= 1e-6, "weights differ by \(difference)")
    // Written as version 2: the momentum under its slot name.
    let file = try SafeTensors.read(from: dir + "/run/last.ckpt")
    #expect(file.metadata["version"] == "2")
    #expect(file["optimizer.momentum.head.weight"] != nil && file["momentum.head.weight"] == nil)
  }

  /// A weights file predicts what its checkpoint predicts, reading the
  /// architecture, tile and normalisation from its metadata.
  @Test func weightsFilePredictsAsItsCheckpoint() throws {
    let weights = dir + "/model.safetensors"
    let e = try unet(["export", "--model", Self.fixture + "/run", "--out", weights])
    try #require(e.status == 0, "\(e.stderr)")
    let file = try SafeTensors.read(from: weights)
    #expect(file.metadata["tile"] == "36")
    #expect(file.metadata["normalization"] == #"{"percentile":{"highPercent":99.8,"lowPercent":1}}"#)
    for (model, out) in [(Self.fixture + "/run", "a"), (weights, "b")] {
      let r = try unet(["predict", "--model", model, Self.fixture + "/image.png", "--out", dir + "/" + out])
      try #require(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("(tile 36;"), "\(r.stdout)")
    }
    #expect(read(dir + "/a/image.prob.tiff") == read(dir + "/b/image.prob.tiff"))
    #expect(read(dir + "/a/image.instances.png") == read(dir + "/b/image.instances.png"))

    // Without a tile in the metadata, --tile says it.
    var untiled = file
    untiled.metadata["tile"] = nil
    try untiled.write(to: dir + "/untiled.safetensors")
    let refused = try unet(["predict", "--model", dir + "/untiled.safetensors", Self.fixture + "/image.png", "--out", dir + "/c"])
    #expect(refused.status == 1 && refused.stderr.contains("untiled.safetensors: names no training tile"), "\(refused.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/c"))
    let tiled = try unet([
      "predict", "--model", dir + "/untiled.safetensors", Self.fixture + "/image.png", "--out", dir + "/c", "--tile", "36",
    ])
    #expect(tiled.status == 0, "\(tiled.stderr)")
    #expect(read(dir + "/a/image.prob.tiff") == read(dir + "/c/image.prob.tiff"))
  }

  /// `unet train --init` starts a new run from a weights file: its
  /// architecture and tile, its weights (a learning rate of 1e-30 leaves
  /// them unchanged in float32), step 0.
  @Test func trainingStartsFromAWeightsFile() throws {
    let weights = dir + "/model.safetensors"
    #expect(try unet(["export", "--model", Self.fixture + "/run", "--out", weights]).status == 0)
    let shards = Self.fixture + "/shards"
    let r = try unet([
      "train", "--shards", shards, "--out", dir + "/tuned", "--init", weights, "--steps", "2", "--lr", "1e-30",
      "--threads", "1",
    ])
    try #require(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("4 base channels, depth 1, tile 36"), "\(r.stderr)")
    let tuned = try Checkpoint.read(from: dir + "/tuned/last.ckpt")
    let start = try TrainedModel.read(from: weights)
    #expect(tuned.step == 2)
    #expect(tuned.configuration.architecture == start.architecture)
    #expect(tuned.parameters == start.parameters)

    // The options may repeat the model's shape, not change it.
    let other = try unet(["train", "--shards", shards, "--out", dir + "/other", "--init", weights, "--depth", "2"])
    #expect(other.status == 1 && other.stderr.contains("--depth 2 differs from the model"), "\(other.stderr)")
    let both = try unet(["train", "--shards", shards, "--out", dir + "/other", "--init", weights, "--resume"])
    #expect(both.status != 0 && both.stderr.contains("--init"), "\(both.stderr)")
  }

  /// What is not a model is refused in one line naming the file.
  @Test func otherFilesAreNotModels() throws {
    let foreign = SafeTensors(metadata: ["format": "something-else"], tensors: [])
    try foreign.write(to: dir + "/foreign.safetensors")
    for model in [dir + "/foreign.safetensors", Self.fixture + "/image.png", dir + "/absent"] {
      let r = try unet(["predict", "--model", model, Self.fixture + "/image.png", "--out", dir + "/x"])
      #expect(r.status == 1 && r.stderr.hasPrefix("unet: error: \(model)") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
  }
}

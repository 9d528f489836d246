import Foundation
import Raster
import Shards
import Testing
import UNet
import _TestSupport

/// The 3-D U-Net through the commands: `unet train` on `unet augment
/// --volume` shards (in-plane poolings from the spacing), a resume that
/// continues bit-exactly, `unet predict --volume` independent of the tile
/// size, and the bad inputs of 3-D training and prediction.
@Suite(.slow) struct VolumeTrainingTests {
  let dir = makeTemporaryDirectory()

  /// Two synthetic volumes of 40 x 36 x 10 with touching nuclei, and their
  /// shards at spacing 4,1,1 (slices four times further apart than pixels:
  /// the first pooling stays in-plane).
  func dataset(spacing: String = "4,1,1", name: String = "ds") throws -> (images: String, labels: String, shards: String) {
    if !FileManager.default.fileExists(atPath: dir + "/src") {
      let r = try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "40x36x10", "--seed", "5", "--cells", "9"])
      try #require(r.status == 0, "\(r.stderr)")
    }
    let shards = dir + "/" + name
    let r = try unet([
      "augment", "--volume", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", shards,
      "--samples", "6", "--per-shard", "3", "--seed", "2", "--spacing", spacing,
    ])
    try #require(r.status == 0, "\(r.stderr)")
    return (dir + "/src/images", dir + "/src/labels", shards)
  }

  static let network = ["--base-channels", "2", "--depth", "1", "--threads", "1", "--optimizer", "adam"]

  @Test func trainResumesBitExactlyAndPredictsTileInvariantly() throws {
    let ds = try dataset()
    let reference = dir + "/reference"
    var r = try unet(
      ["train", "--shards", ds.shards, "--out", reference, "--steps", "6", "--checkpoint-every", "3", "--tile", "24x24x16"]
        + Self.network)
    try #require(r.status == 0, "\(r.stderr)")
    let checkpoint = try Checkpoint.read(from: reference + "/last.ckpt")
    let a = checkpoint.configuration.architecture
    #expect(a.dimensions == 3 && a.inPlanePoolings == 1, "\(a)")
    #expect(checkpoint.configuration.tile == TileSize(width: 24, height: 24, depth: 16))
    #expect(checkpoint.configuration.spacing == VoxelSpacing(z: 4, y: 1, x: 1))

    // Resumed from the checkpoint of step 3, the run ends as the uninterrupted one.
    let resumed = dir + "/resumed"
    try FileManager.default.createDirectory(atPath: resumed, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: reference + "/step-000003.ckpt", toPath: resumed + "/last.ckpt")
    r = try unet(["train", "--shards", ds.shards, "--out", resumed, "--resume", "--threads", "1"])
    try #require(r.status == 0, "\(r.stderr)")
    #expect(sameCheckpoint(resumed + "/last.ckpt", reference + "/last.ckpt"))

    // Two tile sizes, the same probabilities: origins on the pooling grid.
    var probabilities: [[Float]] = []
    for tile in ["24x24x16", "36x30x21"] {
      let out = dir + "/pred-" + tile
      r = try unet(["predict", "--volume", "--model", reference, ds.images, "--out", out, "--tile", tile])
      try #require(r.status == 0, "\(r.stderr)")
      let p = try ImageFile.readVolume(out + "/cells_000.prob.tiff")
      #expect(p.width == 40 && p.height == 36 && p.depth == 10 && p.spacing.z == 4)
      probabilities.append(try #require(p.typed(Float.self)).flat.samples)
      let instances = try ImageFile.readVolume(out + "/cells_000.instances.tiff")
      #expect(instances.depth == 10 && instances.sampleType == .uint32)
      #expect(FileManager.default.fileExists(atPath: out + "/cells_000.mask.tiff"))
    }
    // Float32 sums of the same terms in another order (other blockings):
    // a few units of the last place of values below 1.
    let difference = zip(probabilities[0], probabilities[1]).map { abs($0 - $1) }.max() ?? 1
    #expect(difference <= 1e-5, "largest difference \(difference)")

    // Test-time augmentation averages the 8 flips.
    r = try unet(["predict", "--volume", "--tta", "--model", reference, ds.images, "--out", dir + "/tta"])
    #expect(r.status == 0, "\(r.stderr)")
  }

  @Test func badInputsAreRefusedInOneLine() throws {
    let ds = try dataset()
    let model3 = dir + "/m3"
    var r = try unet(["train", "--shards", ds.shards, "--out", model3, "--steps", "1", "--tile", "24x24x16"] + Self.network)
    try #require(r.status == 0, "\(r.stderr)")
    // A 2-D model.
    try FileManager.default.createDirectory(atPath: dir + "/img", withIntermediateDirectories: true)
    r = try unet(["synth", "--out", dir + "/img", "--count", "2", "--size", "48x48", "--seed", "1"])
    try #require(r.status == 0, "\(r.stderr)")
    r = try unet([
      "augment", "--images", dir + "/img/images", "--labels", dir + "/img/labels", "--out", dir + "/ds2", "--samples", "2",
    ])
    try #require(r.status == 0, "\(r.stderr)")
    let model2 = dir + "/m2"
    r = try unet(["train", "--shards", dir + "/ds2", "--out", model2, "--steps", "1", "--tile", "36"] + Self.network)
    try #require(r.status == 0, "\(r.stderr)")

    let out = dir + "/refused"
    // A 2-D model given a volume, a 3-D model given an image.
    expectRefused(
      try unet(["predict", "--volume", "--model", model2, ds.images, "--out", out]), out, mentioning: ["2-D network"])
    expectRefused(
      try unet(["predict", "--model", model3, dir + "/img/images", "--out", out]), out, mentioning: ["3-D network", "--volume"])
    // A tile of the wrong dimensionality, and an invalid 3-D tile.
    expectRefused(
      try unet(["train", "--shards", ds.shards, "--out", out, "--steps", "1", "--tile", "36"] + Self.network), out,
      mentioning: ["tile 36", "3-D", "WxHxD"])
    expectRefused(
      try unet(["train", "--shards", ds.shards, "--out", out, "--steps", "1", "--tile", "25x24x16"] + Self.network), out,
      mentioning: ["tile 25x24x16", "nearest valid tiles: 24x24x16 or 26x24x16"])
    expectRefused(
      try unet(["predict", "--volume", "--model", model3, ds.images, "--out", out, "--tile", "24x24"]), out,
      mentioning: ["--tile"])
    // A dataset of another spacing than the model's.
    let other = try dataset(spacing: "2,1,1", name: "ds-other")
    expectRefused(
      try unet(["train", "--shards", other.shards, "--out", out, "--steps", "1", "--init", model3] + Self.network), out,
      mentioning: ["spacing", "2", "4"])
    // A 2-D model to start a 3-D run from.
    expectRefused(
      try unet(["train", "--shards", ds.shards, "--out", out, "--steps", "1", "--init", model2] + Self.network), out,
      mentioning: ["2-D network", "3-D volumes"])
  }

  /// Sparse annotation: the upper half of each volume's slices is labelled
  /// with the ignore label; the shards weigh those voxels 0 (so the loss
  /// ignores them), training runs, and an ignore label among the instance
  /// ids is refused.
  @Test func sparselyAnnotatedVolumesTrain() throws {
    _ = try dataset()
    let sparse = dir + "/sparse"
    try FileManager.default.createDirectory(atPath: sparse, withIntermediateDirectories: true)
    for i in 0..<2 {
      var labels = try ImageFile.readVolume(dir + "/src/labels/cells_00\(i).tif").labels(path: "")
      let slice = labels.width * labels.height
      for q in (5 * slice)..<labels.samples.count { labels.samples[q] = 60000 }
      try ImageFile.writeVolume(Volume(flat: Image(width: labels.width, height: labels.height * labels.depth,
        samples: labels.samples.map { UInt16($0) }), depth: labels.depth), to: sparse + "/cells_00\(i).tif")
    }
    let shards = dir + "/sparse-ds"
    var r = try unet([
      "augment", "--volume", "--images", dir + "/src/images", "--labels", sparse, "--out", shards, "--samples", "3",
      "--ignore-label", "60000", "--elastic-sigma", "0", "--elastic-sigma-z", "0", "--rotate", "0", "--no-flip",
    ])
    try #require(r.status == 0, "\(r.stderr)")
    var ignored = 0
    let manifest = try Manifest.read(from: shards + "/manifest.json")
    for shard in manifest.shards {
      for sample in try ShardReader.readAll(path: shards + "/" + shard.file) {
        let v = try SampleLayout.decodeVolume(sample, shard: shard.file)
        let labels = try #require(v.labels)
        for (label, weight) in zip(labels.samples, v.weights.samples) where label == 60000 {
          #expect(weight == 0)
          ignored += 1
        }
        #expect(zip(labels.samples, v.weights.samples).contains { $0 != 60000 && $1 > 0 })
      }
    }
    #expect(ignored > 0)
    r = try unet(["train", "--shards", shards, "--out", dir + "/sparse-run", "--steps", "2", "--tile", "24x24x18"] + Self.network)
    #expect(r.status == 0, "\(r.stderr)")
    // An ignore label below an instance id.
    let out = dir + "/refused-ignore"
    expectRefused(
      try unet(["augment", "--volume", "--images", dir + "/src/images", "--labels", sparse, "--out", out, "--samples", "1",
        "--ignore-label", "3"]), out, mentioning: ["cells_000.tif", "ignore label 3 is also an instance id"])
  }

  /// Validation during a 3-D run scores the validation volumes as `unet
  /// predict --volume` and `unet eval --volume` score the same checkpoint.
  @Test func validationOfVolumesEqualsEval() throws {
    let ds = try dataset()
    let run = dir + "/validated"
    var r = try unet(
      ["train", "--shards", ds.shards, "--out", run, "--steps", "2", "--tile", "24x24x16", "--val-images", ds.images,
       "--val-labels", ds.labels, "--val-every", "2"] + Self.network)
    try #require(r.status == 0, "\(r.stderr)")
    let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
    let validation = try #require(
      lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        .last { $0["val_rand_error"] != nil })
    r = try unet(["predict", "--volume", "--model", run, ds.images, "--out", dir + "/validated-pred"])
    try #require(r.status == 0, "\(r.stderr)")
    r = try unet(["eval", "--volume", "--pred", dir + "/validated-pred", "--truth", ds.labels, "--json"])
    try #require(r.status == 0, "\(r.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let overall = try #require(report["overall"] as? [String: Any])
    let eval = try #require(overall["rand_error"] as? Double)
    let trained = try #require(validation["val_rand_error"] as? Double)
    #expect(abs(eval - trained) <= 1e-9, "validation \(trained), eval \(eval)")
    #expect(overall["pixel_error"] as? Double == validation["val_pixel_error"] as? Double)
  }

  /// The ONNX graph of a 3-D network: onnx.checker passes it, and
  /// onnxruntime's probabilities over a whole mirrored volume (one valid
  /// input) equal `unet predict --volume`'s within 1e-4 (float32 sums of the
  /// same terms in another order).
  @Test(.enabled(if: onnxPython.command != nil, "needs a Python importing onnx, onnxruntime and numpy: set UNETKIT_TORCH_PYTHON"))
  func onnxExportOfA3DNetworkEqualsPredict() throws {
    try onnxPython.checkImports()
    let ds = try dataset()
    let run = dir + "/onnx-run"
    var r = try unet(["train", "--shards", ds.shards, "--out", run, "--steps", "2", "--tile", "24x24x16"] + Self.network)
    try #require(r.status == 0, "\(r.stderr)")
    r = try unet(["export", "--model", run, "--format", "onnx", "--out", dir + "/m3.onnx"])
    try #require(r.status == 0, "\(r.stderr)")
    let pred = dir + "/onnx-pred"
    r = try unet(["predict", "--volume", "--model", run, ds.images + "/cells_000.tif", "--out", pred])
    try #require(r.status == 0, "\(r.stderr)")
    let trained = try TrainedModel.read(from: run)
    let normalized = (trained.normalization ?? .standard).apply(to: try ImageFile.readVolume(ds.images + "/cells_000.tif"))
    try ImageFile.writeVolume(normalized, to: dir + "/volume.npy")
    let m = trained.architecture.margins
    let py = try onnxPython.python([
      pythonScriptsFolder + "/onnx_predict_volume.py", dir + "/m3.onnx", dir + "/volume.npy", "\(m[0])", "\(m[1])",
      "\(m[2])", dir + "/onnx.npy",
    ])
    try #require(py.status == 0, "\(py.stderr)")
    let onnx = try #require(try ImageFile.readVolume(dir + "/onnx.npy").typed(Float.self)).flat.samples
    let ours = try #require(try ImageFile.readVolume(pred + "/cells_000.prob.tiff").typed(Float.self)).flat.samples
    #expect(onnx.count == ours.count)
    let difference = zip(onnx, ours).map { abs($0 - $1) }.max() ?? 1
    #expect(difference <= 1e-4, "largest difference \(difference)")
  }
}

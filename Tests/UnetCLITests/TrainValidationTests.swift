import Augment
import Foundation
import Raster
import Shards
import Testing
import UNet
import WeightMap
import _TestSupport

/// Validation during `unet train`: its loss uses masks and weights made as
/// the dataset's, and its scores are what `unet predict` and `unet eval`
/// give for the same checkpoint.
@Suite(.slow) struct TrainValidationTests {
  let dir = makeTemporaryDirectory()

  /// Sources: synthetic touching cells (16-bit ids) and binary masks whose
  /// cells touch diagonally (one cell with 8-connectivity, two with 4).
  func sources() throws -> (images: String, labels: String) {
    let src = dir + "/src"
    let s = try unet(["synth", "--out", src, "--count", "3", "--size", "48x40", "--seed", "11", "--cells", "5"])
    #expect(s.status == 0, "\(s.stderr)")
    var mask = Image<UInt8>(width: 48, height: 40)
    for y in 0..<40 {
      for x in 0..<48 where (x / 8 + y / 8) % 2 == 0 { mask[x, y] = 255 }
    }
    try ImageFile.write(mask, to: src + "/labels/board.png")
    try FileManager.default.copyItem(atPath: src + "/images/cells_000.png", toPath: src + "/images/board.png")
    return (src + "/images", src + "/labels")
  }

  /// Without elastic, affine or gray-value changes every sample's mask and
  /// weights are its source's, made by unet augment: ValidationImage must
  /// make the same from the source's labels and the manifest, whatever the
  /// separation, connectivity and class weights.
  @Test(arguments: [
    [String](), ["--no-separation"], ["--connectivity", "8", "--w0", "5", "--class-weights", "none"],
    ["--class-weights-scope", "image", "--weight-sigma", "3"],
  ])
  func validationMasksAndWeightsAreTheDatasets(options: [String]) throws {
    let src = try sources()
    let shards = dir + "/shards"
    let a = try unet(
      ["augment", "--images", src.images, "--labels", src.labels, "--out", shards, "--samples", "12", "--per-shard", "12",
       "--sigma", "0", "--rotate", "0", "--no-flip", "--no-intensity", "--jobs", "1"] + options)
    #expect(a.status == 0, "\(a.stderr)")
    let manifest = try Manifest.read(from: shards + "/manifest.json")
    let weightMap = try DatasetWeightMap(manifestConfiguration: manifest.configuration, path: shards + "/manifest.json")
    var seen = Set<String>()
    for sample in try ShardReader.readAll(path: shards + "/" + manifest.plan.fileName(ofShard: 0)) {
      let record = try #require(try JSONSerialization.jsonObject(with: Data(sample[field: "json"]!)) as? [String: Any])
      let source = try #require(record["source"] as? String)
      seen.insert(source)
      let labels = try ImageFile.read(src.labels + "/" + source + ".png").labels(path: source)
      let image = try ImageFile.read(src.images + "/" + source + ".png")
      let validation = ValidationImage(
        name: source, image: Normalization.standard.apply(to: image), labels: labels, weightMap: weightMap)
      let mask = try ImageFile.decoded(sample[field: "mask.png"]!, as: .png).labels(path: "mask")
      let weights = try ImageFile.decoded(sample[field: "weight.npy"]!, as: .npy).floatImage()
      #expect(validation.classes == mask.samples.map { Int32($0) }, "\(source) \(options)")
      #expect(validation.weights == weights.samples, "\(source) \(options)")
      #expect(validation.truth == SegmentationMetrics.instances(of: labels))
    }
    #expect(seen.contains("board") && seen.count >= 3, "\(seen)")
    if options.contains("8") {
      #expect(weightMap.configuration.connectivity == .eight && weightMap.classWeights == ClassWeights(background: 1, foreground: 1))
    }
    if options.contains("image") { #expect(weightMap.classWeights == nil) }
  }

  /// The validation line of a step and `unet eval` of `unet predict`'s
  /// probabilities from that step's checkpoint, on the same images: the
  /// same pixel and Rand errors at the same thresholds.
  @Test func validationScoresEqualEvalOfTheSameCheckpoint() throws {
    let src = try sources()
    let shards = dir + "/shards"
    let a = try unet(
      ["augment", "--images", src.images, "--labels", src.labels, "--out", shards, "--samples", "8", "--per-shard", "4",
       "--seed", "2", "--jobs", "1"])
    #expect(a.status == 0, "\(a.stderr)")
    let out = dir + "/run"
    let t = try unet(
      ["train", "--shards", shards, "--out", out, "--base-channels", "8", "--depth", "1", "--tile", "36", "--threads", "1",
       "--steps", "100", "--lr", "0.003", "--checkpoint-every", "50", "--val-images", src.images, "--val-labels",
       src.labels])
    #expect(t.status == 0, "\(t.stderr)")
    #expect(t.stderr.contains("step 50: validation loss"), "\(t.stderr)")
    let lines = String(decoding: read(out + "/metrics.jsonl"), as: UTF8.self).split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    let validation = lines.filter { $0["val_rand_error"] != nil }
    // (On this machine: pixel error 0.24 at step 50, 0.04 at step 100, at different thresholds.)
    #expect(validation.map { $0["step"] as? Int } == [50, 100])
    for (line, checkpoint) in zip(validation, [out + "/step-000050.ckpt", out + "/last.ckpt"]) {
      let pred = dir + "/pred-\(line["step"]!)"
      let p = try unet(["predict", "--model", checkpoint, src.images, "--out", pred])
      #expect(p.status == 0, "\(p.stderr)")
      let e = try unet(["eval", "--json", "--pred", pred, "--truth", src.labels])
      #expect(e.status == 0, "\(e.stderr)")
      let report = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
      let overall = try #require(report["overall"] as? [String: Any])
      for key in ["pixel_error", "pixel_error_threshold", "rand_error", "rand_error_threshold"] {
        #expect(overall[key] as? Double == line["val_" + key] as? Double, "step \(line["step"]!): \(key)")
      }
    }
    // The checkpoint keeps the last validation's Rand threshold for unet
    // predict, and the exported weights carry it.
    let threshold = try #require(validation.last?["val_rand_error_threshold"] as? Double)
    #expect(try Checkpoint.read(from: out + "/last.ckpt").threshold == threshold)
    let e = try unet(["export", "--model", out, "--out", dir + "/weights.safetensors"])
    #expect(e.status == 0, "\(e.stderr)")
    #expect(try SafeTensors.read(from: dir + "/weights.safetensors").metadata["threshold"] == "\(threshold)")
  }
}

import Foundation
import Raster
import Testing
import UNet
import WeightMap
import _TestSupport

/// `unet predict` with a tiny trained model (4 base channels, depth 2, tile
/// 68 → output 28): tiling invariance, sizes, 8-fold averaging, bad input.
@Suite(.slow) struct PredictCommandTests {
  let root: String
  let model: String

  init() throws {
    root = makeTemporaryDirectory()
    let src = root + "/src"
    #expect(try unet(["synth", "--out", src, "--count", "3", "--size", "64x64", "--seed", "3", "--cells", "6"]).status == 0)
    #expect(
      try unet([
        "augment", "--images", src + "/images", "--labels", src + "/labels", "--out", root + "/shards", "--samples", "4",
        "--per-shard", "4", "--seed", "1",
      ]).status == 0)
    model = root + "/run"
    let trained = try unet([
      "train", "--shards", root + "/shards", "--out", model, "--steps", "3", "--base-channels", "4", "--depth", "2",
      "--tile", "68", "--threads", "1",
    ])
    #expect(trained.status == 0, "\(trained.stderr)")
  }

  /// A float image of the given size written as TIFF.
  func image(_ name: String, width: Int, height: Int, channels: Int = 1) throws -> String {
    var rng = SplitMix64(seed: UInt64(width * 1000 + height))
    let samples = (0..<width * height * channels).map { _ in Float(rng.unit()) }
    let path = root + "/in/" + name + ".tif"
    try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
    try ImageFile.write(Image(width: width, height: height, channels: channels, samples: samples), to: path)
    return path
  }

  func probabilities(_ dir: String, _ name: String) throws -> Image<Float> {
    let pages = try ImageFile.readPages(dir + "/" + name + ".prob.tiff")
    #expect(pages.count == 1)
    guard case .float32(let image) = pages[0] else {
      Issue.record("probability map is not float32")
      return Image(width: 0, height: 0, samples: [])
    }
    return image
  }

  @Test func resultsDoNotDependOnTheTileAndCoverAnySize() throws {
    let odd = try image("odd", width: 45, height: 37)
    let small = try image("small", width: 20, height: 11)  // smaller than one 28-pixel output
    let a = try unet(["predict", "--model", model, odd, small, "--out", root + "/a"])
    #expect(a.status == 0, "\(a.stderr)")
    let b = try unet(["predict", "--model", model, odd, small, "--out", root + "/b", "--tile", "116", "--jobs", "2"])
    #expect(b.status == 0, "\(b.stderr)")
    for (name, w, h) in [("odd", 45, 37), ("small", 20, 11)] {
      let p = try probabilities(root + "/a", name)
      let q = try probabilities(root + "/b", name)
      #expect(p.width == w && p.height == h)
      let worst = zip(p.samples, q.samples).map { abs($0 - $1) }.max() ?? 1
      #expect(worst <= 1e-5, "\(name): tile 68 and tile 116 differ by \(worst)")
      #expect(p.samples.allSatisfy { (0...1).contains($0) })
      // The mask is the class with the larger probability; instances are its components.
      let mask = try ImageFile.read(root + "/a/" + name + ".mask.png")
      let instances = try ImageFile.read(root + "/a/" + name + ".instances.png")
      guard case .uint8(let m) = mask, case .uint16(let ids) = instances else {
        Issue.record("mask must be 8-bit and instances 16-bit")
        continue
      }
      for i in 0..<w * h {
        #expect(m.samples[i] == (p.samples[i] > 0.5 ? 1 : 0) || abs(p.samples[i] - 0.5) < 1e-6)
        #expect((ids.samples[i] > 0) == (m.samples[i] > 0))
      }
    }
  }

  @Test func eightFoldAveraging() throws {
    let odd = try image("odd", width: 45, height: 37)
    #expect(try unet(["predict", "--model", model, odd, "--out", root + "/plain"]).status == 0)
    let result = try unet(["predict", "--model", model, odd, "--out", root + "/tta", "--tta"])
    #expect(result.status == 0, "\(result.stderr)")
    let p = try probabilities(root + "/plain", "odd")
    let q = try probabilities(root + "/tta", "odd")
    #expect(q.width == 45 && q.height == 37)
    #expect(q.samples.allSatisfy { (0...1).contains($0) })
    #expect(p.samples != q.samples)
  }

  /// The model with a stored validation threshold, as a run with
  /// validation leaves it.
  func modelWithThreshold(_ t: Double) throws -> String {
    var checkpoint = try Checkpoint.read(from: model + "/last.ckpt")
    checkpoint.threshold = t
    let path = root + "/threshold.ckpt"
    try checkpoint.write(to: path)
    return path
  }

  func masks(_ dir: String, _ name: String) throws -> (mask: [UInt8], instances: [UInt32]) {
    let mask = try ImageFile.read(dir + "/" + name + ".mask.png").labels(path: name)
    let instances = try ImageFile.read(dir + "/" + name + ".instances.png").labels(path: name)
    return (mask.samples.map { UInt8($0) }, instances.samples)
  }

  @Test func theStoredThresholdAndTheOptionDecideTheForeground() throws {
    let odd = try image("odd", width: 45, height: 37)
    let stored = try modelWithThreshold(0.3)
    for (args, t) in [([String](), 0.3), (["--threshold", "0.7"], 0.7)] {
      let out = root + "/t\(t)"
      let r = try unet(["predict", "--model", stored, odd, "--out", out] + args)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("foreground p > \(t)"), "\(r.stdout)")
      let p = try probabilities(out, "odd")
      let (mask, instances) = try masks(out, "odd")
      #expect(mask == p.samples.map { Double($0) > t ? 1 : 0 }, "threshold \(t)")
      #expect(instances == ConnectedComponents.label(Image(width: 45, height: 37, samples: mask)).samples)
    }
    // Neither: argmax.
    let r = try unet(["predict", "--model", model, odd, "--out", root + "/argmax"])
    #expect(r.stdout.contains("foreground argmax"), "\(r.stdout)")
  }

  @Test func watershedInstances() throws {
    let odd = try image("odd", width: 45, height: 37)
    let stored = try modelWithThreshold(0.45)
    for (args, method) in [
      (["--seeds", "distance"], InstanceExtraction.Method.watershed(seeds: .distance, seedHeight: 2)),
      (["--seeds", "probability", "--seed-height", "0.05"], .watershed(seeds: .probability, seedHeight: 0.05)),
      ([], .watershed(seeds: .probability, seedHeight: 0.1)),
    ] {
      let out = root + "/ws-" + args.joined()
      let r = try unet(["predict", "--model", stored, odd, "--out", out, "--instances", "watershed"] + args)
      #expect(r.status == 0, "\(r.stderr)")
      let p = try probabilities(out, "odd")
      let (mask, instances) = try masks(out, "odd")
      #expect(instances == InstanceExtraction(method).instances(of: p, threshold: 0.45).samples, "\(args)")
      #expect(instances.map { $0 != 0 } == mask.map { $0 != 0 })
    }
  }

  /// A 3-class model (untrained weights are enough to predict with).
  func threeClassModel() throws -> String {
    let architecture = Architecture(inputChannels: 1, classes: 3, baseChannels: 2, depth: 1, dropout: 0)
    let configuration = TrainingConfiguration(architecture: architecture, tile: 36, steps: 1, shards: root + "/shards")
    let path = root + "/three.ckpt"
    try Checkpoint(
      configuration: configuration, step: 0, parameters: architecture.initialParameters(seed: 1), optimizerState: nil,
      stream: nil
    ).write(to: path)
    return path
  }

  @Test func moreThanTwoClassesStayArgmax() throws {
    let odd = try image("odd", width: 45, height: 37)
    let three = try threeClassModel()
    let r = try unet(["predict", "--model", three, odd, "--out", root + "/three", "--instances", "watershed"])
    #expect(r.status == 0, "\(r.stderr)")
    let pages = try ImageFile.readPages(root + "/three/odd.prob.tiff").map { try $0.floatImage() }
    #expect(pages.count == 3)
    let (mask, instances) = try masks(root + "/three", "odd")
    for i in 0..<45 * 37 {
      let v = pages.map { $0.samples[i] }
      #expect(Int(mask[i]) == v.firstIndex(of: v.max()!)!)
    }
    #expect(instances.map { $0 != 0 } == mask.map { $0 != 0 })
  }

  @Test func badInputIsRefused() throws {
    let gray = try image("gray", width: 30, height: 30)
    let rgb = try image("rgb", width: 30, height: 30, channels: 3)
    let cases: [([String], String)] = [
      (["predict", "--model", model, rgb, "--out", root + "/x1"], "channels"),
      (["predict", "--model", model, gray, "--out", root + "/x2", "--tile", "70"], "nearest valid tiles: 68 or 72"),
      (["predict", "--model", root + "/nothing", gray, "--out", root + "/x3"], "nothing"),
      (["predict", "--model", gray, gray, "--out", root + "/x4"], "gray.tif"),
      (["predict", "--model", model, root + "/in/missing.png", "--out", root + "/x5"], "missing.png"),
      (["predict", "--model", model, gray, "--out", root + "/x6", "--threshold", "1"], "--threshold 1.0: must be between 0 and 1"),
      (["predict", "--model", model, gray, "--out", root + "/x7", "--threshold", "nan"], "--threshold nan"),
      (
        ["predict", "--model", model, gray, "--out", root + "/x8", "--instances", "watershed", "--seed-height=-1"],
        "--seed-height -1.0: must be 0 or more"
      ),
      (["predict", "--model", model, gray, "--out", root + "/x9", "--seed-height", "2"], "--seed-height applies to --instances watershed"),
      (["predict", "--model", try threeClassModel(), gray, "--out", root + "/x10", "--threshold", "0.5"], "this one has 3 classes"),
    ]
    for (arguments, expected) in cases {
      let result = try unet(arguments)
      #expect(result.status != 0)
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1 && lines[0].hasPrefix("unet: error: ") && lines[0].contains(expected), "\(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: arguments.last! + "/gray.prob.tiff"))
    }
  }
}

import Foundation
import Raster
import Testing

/// `unet predict` with a tiny trained model (4 base channels, depth 2, tile
/// 68 → output 28): tiling invariance, sizes, 8-fold averaging, bad input.
@Suite struct PredictCommandTests {
  let root: String
  let model: String

  init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("predict-\(UUID())").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
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

  @Test func badInputIsRefused() throws {
    let gray = try image("gray", width: 30, height: 30)
    let rgb = try image("rgb", width: 30, height: 30, channels: 3)
    let cases: [([String], String)] = [
      (["predict", "--model", model, rgb, "--out", root + "/x1"], "channels"),
      (["predict", "--model", model, gray, "--out", root + "/x2", "--tile", "70"], "nearest valid tiles: 68 or 72"),
      (["predict", "--model", root + "/nothing", gray, "--out", root + "/x3"], "nothing"),
      (["predict", "--model", gray, gray, "--out", root + "/x4"], "gray.tif"),
      (["predict", "--model", model, root + "/in/missing.png", "--out", root + "/x5"], "missing.png"),
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

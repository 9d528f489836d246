import Augment
import Foundation
import Raster
import Shards
import Testing
import WeightMap
import _TestSupport

/// Volumes through the commands: `unet synth --size WxHxD`, `unet weights
/// --volume`, `unet augment --volume`, the refusal of stacks without
/// `--volume`, and Python reading the 3-D shards.
@Suite struct VolumeCommandTests {
  let dir = makeTemporaryDirectory()

  /// Two synthetic volumes of 40 x 36 x 10 with touching nuclei.
  func sources() throws -> (images: String, labels: String) {
    let r = try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "40x36x10", "--seed", "5", "--cells", "9"])
    #expect(r.status == 0, "\(r.stderr)")
    return (dir + "/src/images", dir + "/src/labels")
  }

  @Test func synthWritesStacksAndRepeats() throws {
    let src = try sources()
    let labels = try ImageFile.readVolume(src.labels + "/cells_000.tif")
    #expect(labels.width == 40 && labels.height == 36 && labels.depth == 10 && labels.sampleType == .uint16)
    let again = try unet(["synth", "--out", dir + "/again", "--count", "2", "--size", "40x36x10", "--seed", "5", "--cells", "9"])
    #expect(again.status == 0)
    #expect(read(dir + "/again/images/cells_001.tif") == read(src.images + "/cells_001.tif"))
    let info = try unet(["info", src.labels + "/cells_000.tif"])
    #expect(info.stdout.contains("10 pages") && info.stdout.contains("40 x 36 x 10 voxels (W x H x D)"), "\(info.stdout)")
  }

  @Test func weightsOfVolumesEqualTheLibrary() throws {
    let src = try sources()
    for (format, ext) in [("tiff", "tiff"), ("npy", "npy")] {
      let out = dir + "/w-" + format
      let r = try unet([
        "weights", "--volume", src.labels, "--out", out, "--format", format, "--spacing", "2,0.5,0.5", "--unit",
        "micron", "--sigma", "2.5", "--preview",
      ])
      #expect(r.status == 0, "\(r.stderr)")
      let labels = try ImageFile.readVolume(
        src.labels + "/cells_000.tif", spacing: VoxelSpacing(z: 2, y: 0.5, x: 0.5, unit: "micron")
      ).labels(path: "")
      // Dataset-scope balance over both volumes, as the command does.
      let mapper = WeightMapper(try WeightMapConfiguration(sigmaPixels: 2.5))
      let prepared = try (0..<2).map {
        mapper.prepare(
          try ImageFile.readVolume(src.labels + "/cells_00\($0).tif", spacing: labels.spacing).labels(path: ""))
      }
      let classWeights = mapper.configuration.resolvedClassWeights(for: prepared.map(\.counts).reduce(ClassCounts(), +))
      let expected = mapper.weights(for: prepared[0], classWeights: classWeights)
      let weights = try ImageFile.readVolume(out + "/cells_000.weight." + ext)
      #expect(weights.flat == .float32(Image(width: 40, height: 360, samples: expected.weights.samples)))
      let mask = try ImageFile.readVolume(out + "/cells_000.mask." + ext)
      #expect(mask.flat == .uint8(Image(width: 40, height: 360, samples: expected.mask.samples)))
      if format == "tiff" { #expect(weights.spacing == labels.spacing) }  // ImageJ metadata names the unit
      #expect(FileManager.default.fileExists(atPath: out + "/cells_000.preview.png"))
    }
  }

  @Test func stacksAreRefusedWithoutVolume() throws {
    let src = try sources()
    var r = try unet(["weights", src.labels, "--out", dir + "/w"])
    expectRefused(r, dir + "/w", mentioning: ["cells_000.tif", "10 pages", "--volume"])
    r = try unet(["augment", "--images", src.images, "--labels", src.labels, "--out", dir + "/a", "--samples", "2"])
    expectRefused(r, dir + "/a", mentioning: ["cells_000.tif", "--volume"])
    r = try unet(["eval", "--pred", src.labels, "--truth", src.labels])
    #expect(r.status != 0 && r.stderr.contains("--volume") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
  }

  @Test func badVolumeInputs() throws {
    let src = try sources()
    let out = dir + "/bad"
    // Labels of another shape than their image.
    try FileManager.default.createDirectory(atPath: dir + "/other", withIntermediateDirectories: true)
    try ImageFile.writeVolume(Volume<UInt16>(width: 40, height: 36, depth: 9), to: dir + "/other/cells_000.tif")
    try ImageFile.writeVolume(Volume<UInt16>(width: 40, height: 36, depth: 10), to: dir + "/other/cells_001.tif")
    var r = try unet(["augment", "--volume", "--images", src.images, "--labels", dir + "/other", "--out", out, "--samples", "2"])
    expectRefused(r, out, mentioning: ["other/cells_000.tif", "40 x 36 x 9", "40 x 36 x 10"])
    // Pages of different sizes.
    try ImageFile.writePages([.uint16(Image(width: 4, height: 4)), .uint16(Image(width: 5, height: 4))], to: dir + "/mixed.tif")
    r = try unet(["weights", "--volume", dir + "/mixed.tif", "--out", out])
    expectRefused(r, out, mentioning: ["mixed.tif", "page 2 is 5 x 4"])
    // --volume with a single page.
    try ImageFile.write(Image<UInt16>(width: 4, height: 4), to: dir + "/single.tif")
    r = try unet(["weights", "--volume", dir + "/single.tif", "--out", out])
    expectRefused(r, out, mentioning: ["single.tif", "single page"])
    // Non-positive spacing.
    r = try unet(["weights", "--volume", src.labels, "--out", out, "--spacing", "0,1,1"])
    expectRefused(r, out, mentioning: ["--spacing 0,1,1", "not positive"])
    // More voxels than --max-pixels.
    r = try unet(["weights", "--volume", src.labels, "--out", out, "--max-pixels", "10000"])
    expectRefused(r, out, mentioning: ["40 x 36 x 10 voxels", "10000"])
  }

  /// The dataset: layout, manifest, labels, determinism over jobs and partitions.
  @Test func augmentVolumes() throws {
    let src = try sources()
    func augment(_ out: String, _ extra: [String]) throws -> RunResult {
      try unet(
        ["augment", "--volume", "--images", src.images, "--labels", src.labels, "--out", out, "--samples", "5",
         "--per-shard", "2", "--seed", "3", "--spacing", "2,1,1"] + extra)
    }
    let one = dir + "/j1"
    #expect(try augment(one, ["--jobs", "1"]).status == 0)
    #expect(try augment(dir + "/j2", ["--jobs", "2"]).status == 0)
    for part in 0..<2 {
      let r = try augment(dir + "/parts", ["--shard-index", String(part), "--num-shards", "2"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    #expect(try unet(["manifest", "merge", dir + "/parts"]).status == 0)
    for name in ["manifest.json", "train-000000.tar", "train-000001.tar", "train-000002.tar"] {
      #expect(read(one + "/" + name) == read(dir + "/j2/" + name), "\(name)")
      #expect(read(one + "/" + name) == read(dir + "/parts/" + name), "\(name)")
    }

    let manifest = try Manifest.read(from: one + "/manifest.json")
    #expect(try SampleLayout(configuration: manifest.configuration, path: "") == .volume)
    #expect(manifest.configuration["spacing"]?["z"] == .double(2))
    #expect(manifest.configuration["weightMap"]?["sigmaUnit"] == .string("voxel"))
    #expect(manifest.configuration["weightMap"]?["sigmaPixels"] == nil)
    #expect(manifest.configuration["augment"]?["sigmaZ"] == .int(5))  // 10 voxels along x = 5 along z at spacing 2,1,1
    let sourceIDs = try Set((0..<2).flatMap {
      try ImageFile.readVolume(src.labels + "/cells_00\($0).tif").labels(path: "").samples
    })
    let mapper = WeightMapper(.paper)
    for shard in manifest.shards {
      for sample in try ShardReader.readAll(path: one + "/" + shard.file) {
        let v = try SampleLayout.decodeVolume(sample, shard: shard.file)
        #expect(v.image.width == 40 && v.image.height == 36 && v.image.depth == 10)
        let labels = try #require(v.labels)
        #expect(Set(labels.samples).isSubset(of: sourceIDs))
        // The weights are the warped labels' own, with the spacing (class
        // weights of the whole set).
        var spaced = labels
        spaced.spacing = VoxelSpacing(z: 2, y: 1, x: 1)
        let cw = ClassWeights(
          background: manifest.configuration["datasetClassWeights"].flatMap { if case .array(let a) = $0, case .double(let b) = a[0] { b } else { nil } } ?? 0,
          foreground: manifest.configuration["datasetClassWeights"].flatMap { if case .array(let a) = $0, case .double(let f) = a[1] { f } else { nil } } ?? 0)
        #expect(v.weights.samples == mapper.weights(for: mapper.prepare(spaced), classWeights: cw).weights.samples)
      }
    }
  }

  @Test func identityFlagsReproduceTheNormalisedVolume() throws {
    let src = try sources()
    let out = dir + "/identity"
    let r = try unet([
      "augment", "--volume", "--images", src.images, "--labels", src.labels, "--out", out, "--samples", "3",
      "--elastic-sigma", "0", "--elastic-sigma-z", "0", "--rotate", "0", "--no-flip", "--no-intensity",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let manifest = try Manifest.read(from: out + "/manifest.json")
    for sample in try ShardReader.readAll(path: out + "/" + manifest.shards[0].file) {
      let v = try SampleLayout.decodeVolume(sample, shard: "")
      let record = try JSONSerialization.jsonObject(with: Data(try #require(sample[field: "json"]))) as? [String: Any]
      let name = try #require(record?["source"] as? String)
      let raw = try ImageFile.readVolume(src.images + "/" + name + ".tif")
      #expect(v.image.samples == Normalization.standard.apply(to: raw).samples)
      #expect(v.labels?.samples == (try ImageFile.readVolume(src.labels + "/" + name + ".tif").labels(path: "").samples))
    }
  }

  /// Python's webdataset reads the 3-D shards: shapes, dtypes, and the bytes of every array.
  @Test func webdatasetReadsVolumes() throws {
    let probe = try runPython(["-c", "import webdataset, numpy"])
    try #require(probe.status == 0, "Python with webdataset and numpy is needed (scripts/test.sh installs them): \(probe.stderr)")
    let src = try sources()
    let out = dir + "/py"
    let r = try unet(["augment", "--volume", "--images", src.images, "--labels", src.labels, "--out", out, "--samples", "3", "--per-shard", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    let py = try runPython([pythonScriptsFolder + "/read_shards_3d.py", out])
    #expect(py.status == 0, "\(py.stderr)")
    struct Line: Decodable {
      var key: String
      var shape: [Int]
      var sha256: [String: String]
    }
    let lines = try py.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    let manifest = try Manifest.read(from: out + "/manifest.json")
    let samples = try manifest.shards.flatMap { try ShardReader.readAll(path: out + "/" + $0.file) }
    #expect(lines.map(\.key) == samples.map(\.key))
    for (line, sample) in zip(lines, samples) {
      let v = try SampleLayout.decodeVolume(sample, shard: "")
      #expect(line.shape == [10, 36, 40])
      func sha<S>(_ a: [S]) -> String { a.withUnsafeBytes { sha256Hex(Array($0)) } }
      #expect(line.sha256["image"] == sha(v.image.samples))
      #expect(line.sha256["mask"] == sha(v.mask.samples))
      #expect(line.sha256["weight"] == sha(v.weights.samples))
      #expect(line.sha256["labels"] == sha(v.labels!.samples))
    }
  }

  /// The weights against scipy's recipe: one anisotropic distance transform
  /// per instance. Stated tolerance: 1e-4 absolute where the term is at
  /// least τ = 1e-5 (w0 = 10), and a dropped term below τ.
  @Test func weightsMatchTheScipyRecipe() throws {
    let probe = try runPython(["-c", "import scipy, numpy, PIL"])
    try #require(probe.status == 0, "Python with scipy, numpy and pillow is needed (scripts/test.sh installs them): \(probe.stderr)")
    let src = try sources()
    let out = dir + "/scipy"
    let r = try unet([
      "weights", "--volume", src.labels + "/cells_000.tif", "--out", out, "--format", "npy", "--class-weights", "0,0",
      "--no-separation", "--spacing", "1.5,1,0.8",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let py = try runPython([
      pythonScriptsFolder + "/weights_3d_scipy.py", src.labels + "/cells_000.tif",
      out + "/cells_000.weight.npy", "1.5,1,0.8", "10", "5", "1e-5",
    ])
    #expect(py.status == 0, "\(py.stderr)")
    struct Result: Decodable {
      var voxels: Int
      var instances: Int
      var max_diff_kept: Double
      var kept: Int
      var max_dropped: Double
    }
    let result = try JSONDecoder().decode(Result.self, from: Data(py.stdout.utf8))
    #expect(result.voxels == 14400 && result.instances >= 5 && result.kept > 1000)
    #expect(result.max_diff_kept <= 1e-4, "\(result)")
    #expect(result.max_dropped < 1e-5, "\(result)")
  }
}

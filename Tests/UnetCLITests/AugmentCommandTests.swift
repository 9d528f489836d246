import Augment
import Foundation
import Raster
import Shards
import Testing
import WeightMap
import _TestSupport

@Suite struct AugmentCommandTests {
  let dir = makeTemporaryDirectory()

  /// Two small synthetic sources (48x40, instance ids).
  func sources() throws -> (images: String, labels: String) {
    let r = try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "48x40", "--seed", "9", "--cells", "8"])
    #expect(r.status == 0, "\(r.stderr)")
    return (dir + "/src/images", dir + "/src/labels")
  }

  func augment(_ out: String, _ extra: [String] = [], samples: Int = 7, environment: [String: String] = [:]) throws -> RunResult {
    let src = try sources()
    let r = try unet(
      ["augment", "--images", src.images, "--labels", src.labels, "--out", out, "--samples", String(samples),
       "--per-shard", "3", "--seed", "11"] + extra, environment: environment)
    return r
  }

  func files(_ path: String) -> [String: [UInt8]] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return Dictionary(uniqueKeysWithValues: names.map { ($0, read(path + "/" + $0)) })
  }

  func samples(in out: String) throws -> [ShardSample] {
    let manifest = try Manifest.read(from: out + "/manifest.json")
    try manifest.verifyShards(in: out)
    return try manifest.shards.flatMap { try ShardReader.readAll(path: out + "/" + $0.file) }
  }

  func npy(_ s: ShardSample, _ field: String) throws -> AnyImage {
    try ImageFile.decoded(try #require(s[field: field]), as: .npy)
  }

  /// --elastic-sigma sets the σ of the elastic grid; --sigma, its earlier
  /// name, gives the same dataset byte for byte; giving both is refused.
  @Test func elasticSigmaAndItsEarlierName() throws {
    let a = try augment(dir + "/a", ["--elastic-sigma", "4"], samples: 3)
    let b = try augment(dir + "/b", ["--sigma", "4"], samples: 3)
    let c = try augment(dir + "/c", ["--elastic-sigma", "5"], samples: 3)
    #expect(a.status == 0 && b.status == 0 && c.status == 0, "\(a.stderr)\(b.stderr)\(c.stderr)")
    #expect(files(dir + "/a") == files(dir + "/b"))
    #expect(files(dir + "/a") != files(dir + "/c"))
    let both = try augment(dir + "/d", ["--elastic-sigma", "4", "--sigma", "4"], samples: 3)
    #expect(both.status != 0 && both.stderr.contains("--sigma is another name of --elastic-sigma"), "\(both.stderr)")
  }

  @Test func identityReproducesTheNormalisedSource() throws {
    let out = dir + "/id"
    let r = try augment(out, ["--sigma", "0", "--rotate", "0", "--shift", "0", "--no-flip", "--no-intensity"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("augment: 7 samples in 3 shards"))
    let all = try samples(in: out)
    #expect(all.map(\.key) == (0..<7).map { String(format: "%08d", $0) })
    let mapper = WeightMapper(.paper)
    let names = ["cells_000", "cells_001"]
    let labels = try names.map { try ImageFile.read(dir + "/src/labels/\($0).png").labels(path: $0) }
    let total = labels.map { mapper.prepare($0).counts }.reduce(ClassCounts(), +)
    for s in all {
      let record = try JSONSerialization.jsonObject(with: Data(try #require(s[field: "json"]))) as! [String: Any]
      let name = try #require(record["source"] as? String)
      let i = try #require(names.firstIndex(of: name))
      let source = try ImageFile.read(dir + "/src/images/\(name).png")
      #expect(try npy(s, "image.npy") == AnyImage(Normalization.standard.apply(to: source)))
      #expect(try npy(s, "labels.npy") == AnyImage(labels[i]))
      let expected = mapper.weights(for: mapper.prepare(labels[i]), classWeights: total.balancedWeights())
      #expect(try npy(s, "weight.npy") == AnyImage(expected.weights))
      #expect(try ImageFile.decoded(try #require(s[field: "mask.png"]), as: .png) == AnyImage(expected.mask))
    }
  }

  @Test func sameSeedSameBytesWhateverTheJobs() throws {
    #expect(try augment(dir + "/j1", ["--jobs", "1"]).status == 0)
    #expect(try augment(dir + "/j2", ["--jobs", "2"]).status == 0)
    let a = files(dir + "/j1"), b = files(dir + "/j2")
    #expect(a.keys.sorted() == ["manifest.json", "train-000000.tar", "train-000001.tar", "train-000002.tar"])
    #expect(a == b)
    #expect(try augment(dir + "/s12", ["--seed", "12"]).status == 0)  // --seed given twice: the last wins
    #expect(files(dir + "/s12")["train-000000.tar"] != a["train-000000.tar"])
  }

  @Test func labelsNeverGainIds() throws {
    #expect(try augment(dir + "/l", ["--scale", "0.8,1.3", "--shift", "5"], samples: 9).status == 0)
    let sourceIds = try ["cells_000", "cells_001"].map {
      Set(try ImageFile.read(dir + "/src/labels/\($0).png").labels(path: $0).samples)
    }.reduce(Set<UInt32>()) { $0.union($1) }
    for s in try samples(in: dir + "/l") {
      guard case .uint32(let l) = try npy(s, "labels.npy") else { Issue.record("labels are not uint32"); continue }
      #expect(Set(l.samples).isSubset(of: sourceIds))
      guard case .uint8(let m) = try ImageFile.decoded(try #require(s[field: "mask.png"]), as: .png) else { continue }
      #expect(Set(m.samples).isSubset(of: [0, 1]))
    }
  }

  @Test func partitionsUnionEqualsASingleRun() throws {
    #expect(try augment(dir + "/single").status == 0)
    for i in 0..<2 {
      let r = try augment(dir + "/parts", ["--shard-index", String(i), "--num-shards", "2"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    #expect(files(dir + "/parts")["manifest.json"] == nil)
    let merge = try unet(["manifest", "merge", dir + "/parts"])
    #expect(merge.status == 0, "\(merge.stderr)")
    // Slurm array variables select the partition when no option does.
    for task in 0..<3 {
      let r = try augment(dir + "/slurm", environment: ["SLURM_ARRAY_TASK_ID": String(task), "SLURM_ARRAY_TASK_COUNT": "3"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    #expect(try unet(["manifest", "merge", dir + "/slurm"]).status == 0)
    let single = files(dir + "/single")
    for folder in ["parts", "slurm"] {
      var merged = files(dir + "/" + folder)
      merged = merged.filter { !$0.key.hasPrefix("manifest.part-") }
      #expect(merged == single, "\(folder)")
    }
    #expect(try unet(["manifest", "verify", dir + "/parts"]).status == 0)
  }

  @Test func resumeCompletesAnInterruptedRun() throws {
    #expect(try augment(dir + "/full").status == 0)
    let full = files(dir + "/full")
    // Without --resume an existing dataset is refused.
    let again = try augment(dir + "/full")
    #expect(again.status != 0)
    #expect(again.stderr.contains("--resume"))
    // An interrupted run: a missing shard, a damaged shard, no final manifest.
    try FileManager.default.removeItem(atPath: dir + "/full/train-000001.tar")
    var damaged = read(dir + "/full/train-000002.tar")
    damaged[700] ^= 0xFF
    write(damaged, to: dir + "/full/train-000002.tar")
    try FileManager.default.removeItem(atPath: dir + "/full/manifest.json")
    let r = try augment(dir + "/full", ["--resume"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("1 kept from an earlier run"))
    #expect(files(dir + "/full") == full)
    #expect(try unet(["manifest", "verify", dir + "/full"]).status == 0)
    write(damaged, to: dir + "/full/train-000002.tar")
    let verify = try unet(["manifest", "verify", dir + "/full"])
    #expect(verify.status != 0)
    #expect(verify.stderr.contains("train-000002.tar"))
  }

  @Test func previewAndNoLabels() throws {
    let r = try augment(dir + "/p", ["--preview", "2", "--no-labels", "--weights", "warp"], samples: 2)
    #expect(r.status == 0, "\(r.stderr)")
    let preview = try ImageFile.read(dir + "/p/preview.png")
    #expect(preview.channels == 3 && preview.width == 4 * 48 + 3 * 4 && preview.height == 2 * 40 + 4)
    for s in try samples(in: dir + "/p") {
      #expect(s.entryNames.map { String($0.drop { $0 != "." }.dropFirst()) } == ["image.npy", "mask.png", "weight.npy", "json"])
    }
  }

  func expectNothingWritten(_ r: RunResult, _ out: String, mentioning words: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status != 0, sourceLocation: sourceLocation)
    #expect(r.stderr.contains(words), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    let left = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
    #expect(left.isEmpty, "left: \(left)", sourceLocation: sourceLocation)
  }

  @Test func badSourcesStopBeforeAnyShard() throws {
    let src = try sources()
    let out = dir + "/bad"
    // A label without its image.
    try FileManager.default.createDirectory(atPath: dir + "/lonely", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: src.labels + "/cells_000.png", toPath: dir + "/lonely/cells_000.png")
    try FileManager.default.copyItem(atPath: src.labels + "/cells_001.png", toPath: dir + "/lonely/other.png")
    var r = try unet(["augment", "--images", src.images, "--labels", dir + "/lonely", "--out", out, "--samples", "2"])
    expectNothingWritten(r, out, mentioning: "has no labels named 'cells_001'")
    // A size mismatch.
    try FileManager.default.createDirectory(atPath: dir + "/small", withIntermediateDirectories: true)
    try ImageFile.write(Image<UInt16>(width: 10, height: 10), to: dir + "/small/cells_000.png")
    try ImageFile.write(Image<UInt16>(width: 48, height: 40), to: dir + "/small/cells_001.png")
    r = try unet(["augment", "--images", src.images, "--labels", dir + "/small", "--out", out, "--samples", "2"])
    expectNothingWritten(r, out, mentioning: "is 10 x 10 but its image")
    // An unreadable image.
    try FileManager.default.createDirectory(atPath: dir + "/broken", withIntermediateDirectories: true)
    write(Array(read(src.images + "/cells_000.png").prefix(60)), to: dir + "/broken/cells_000.png")
    try FileManager.default.copyItem(atPath: src.images + "/cells_001.png", toPath: dir + "/broken/cells_001.png")
    r = try unet(["augment", "--images", dir + "/broken", "--labels", src.labels, "--out", out, "--samples", "2"])
    expectNothingWritten(r, out, mentioning: "broken/cells_000.png: PNG")
  }

  @Test func badOptionValues() throws {
    let src = try sources()
    let out = dir + "/opts"
    for (args, words) in [
      (["--sigma=-1"], "--elastic-sigma -1.0"), (["--rotate", "200"], "--rotate 200.0"), (["--grid", "1"], "--grid 1"),
      (["--scale", "0,2"], "--scale"), (["--scale", "2,1"], "2,1"), (["--gamma", "0,1"], "--gamma"),
      (["--samples", "0"], "--samples"), (["--per-shard", "0"], "--per-shard"), (["--name", "a/b"], "--name"),
      (["--interpolation", "nearest"], "nearest"), (["--border", "wrap"], "wrap"), (["--weights", "guess"], "guess"),
      (["--weight-sigma", "0"], "--weight-sigma"), (["--shard-index", "2", "--num-shards", "2"], "partition index 2"),
      (["--shard-index", "0"], "--num-shards"),
    ] {
      let r = try unet(["augment", "--images", src.images, "--labels", src.labels, "--out", out, "--samples", "3"] + args)
      #expect(r.status != 0, "\(args)")
      #expect(r.stderr.contains(words), "\(args): \(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: out), "\(args)")
    }
  }
}

/// A Swift program writes the dataset `unet augment` writes, from the
/// library alone (the example in docs/library.md).
@Suite struct AugmentedDatasetLibraryTests {
  let dir = makeTemporaryDirectory()

  @Test func libraryEqualsTheCommand() throws {
    #expect(try unet(["synth", "--out", dir + "/src", "--count", "3", "--size", "36x28", "--seed", "2", "--cells", "6"]).status == 0)
    let r = try unet([
      "augment", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/cli",
      "--samples", "5", "--per-shard", "2", "--seed", "4", "--weights", "warp",
    ])
    #expect(r.status == 0, "\(r.stderr)")

    let configuration = try AugmentConfiguration(weights: .warp)
    let pairs = try SourcePair.pair(images: dir + "/src/images", labels: dir + "/src/labels")
    let sources = try SourceSet.load(pairs, normalization: configuration.normalization, warp: true, jobs: 2)
    let dataset = AugmentedDataset(sources: sources, configuration: configuration, seed: 4)
    let report = try dataset.write(to: dir + "/lib", samples: 5, perShard: 2, jobs: 1)
    #expect(report.written == [0, 1, 2])

    let cli = try Manifest.read(from: dir + "/cli/manifest.json")
    let lib = try Manifest.read(from: dir + "/lib/manifest.json")
    try lib.verifyShards(in: dir + "/lib")
    #expect(lib.shards == cli.shards)
    #expect(lib.configuration == cli.configuration)
    #expect(lib.tool == .library && cli.tool.name == "unet")
  }
}

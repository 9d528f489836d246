import Foundation
import Testing
import _TestSupport

@testable import Shards

@Suite("Partitioned, resumable dataset writing")
final class DatasetWriterTests {
  let root: String

  init() throws { root = makeTemporaryDirectory() }
  deinit { removeDirectory(root) }

  static let tool = ToolInfo(name: "unet", version: "0.1.0")
  static let configuration: JSONValue = ["seed": 7, "elastic": ["sigmaPixels": 10.0, "grid": 3]]

  static func plan() throws -> ShardPlan { try ShardPlan(name: "train", totalSamples: 23, samplesPerShard: 4) }

  /// Deterministic samples from their global indices; counts calls.
  final class Generator: @unchecked Sendable {
    var shardsGenerated: [Int] = []
    func callAsFunction(_ shard: Int, _ range: Range<Int>) throws -> [ShardSample] {
      shardsGenerated.append(shard)
      return try range.map { i in
        try ShardSample(key: "s\(i)", ["image.npy": pseudoRandomBytes(200 + i, seed: UInt64(i)), "json": Array("{\"i\":\(i)}".utf8)])
      }
    }
  }

  func writer(_ dir: String, _ partition: Partition = .whole, configuration: JSONValue = configuration) throws -> DatasetWriter {
    DatasetWriter(directory: dir, plan: try Self.plan(), partition: partition, configuration: configuration, tool: Self.tool)
  }

  func files(_ dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
  }

  @Test func singleRun() throws {
    let dir = root + "/single"
    let generator = Generator()
    let report = try writer(dir).run(generate: generator.callAsFunction)
    #expect(report.written == Array(0..<6) && report.kept.isEmpty)
    #expect(report.manifest.isComplete && report.manifest.totalSamples == 23)
    #expect(try files(dir) == ["manifest.json"] + (0..<6).map { "train-00000\($0).tar" })
    #expect(try Manifest.read(from: dir + "/manifest.json") == report.manifest)
    try report.manifest.verifyShards(in: dir)
    let last = try ShardReader.readAll(path: dir + "/train-000005.tar")
    #expect(last.map(\.key) == ["s20", "s21", "s22"])
  }

  /// A killed run leaves `.NAME.PID.RANDOM.tmp` files; the next run removes
  /// those of dead processes and keeps other files.
  @Test func leftoversOfAKilledRunAreRemoved() throws {
    let dir = root + "/leftovers"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let stale = [".train-000002.tar.999999.1.tmp", ".manifest.json.999999.2.tmp"]
    for name in stale + ["notes.txt"] { FileManager.default.createFile(atPath: dir + "/" + name, contents: Data([1])) }
    _ = try writer(dir).run(generate: Generator().callAsFunction)
    #expect(try files(dir) == ["manifest.json", "notes.txt"] + (0..<6).map { "train-00000\($0).tar" })
  }

  @Test func partitionsMergeToTheSingleRunBytes() throws {
    let single = root + "/single"
    _ = try writer(single).run(generate: Generator().callAsFunction)
    for count in [2, 4, 8] {
      let dir = root + "/parts\(count)"
      for index in (0..<count).reversed() {
        _ = try writer(dir, try Partition(index: index, count: count)).run(generate: Generator().callAsFunction)
      }
      #expect(!FileManager.default.fileExists(atPath: dir + "/manifest.json"))
      _ = try Manifest.mergePartials(in: dir)
      for name in try files(single) {
        #expect(try readFile(dir + "/" + name) == readFile(single + "/" + name), "\(name), \(count) partitions")
      }
    }
  }

  @Test func resumeKeepsVerifiedShardsAndRewritesTheRest() throws {
    let dir = root + "/resume"
    _ = try writer(dir).run(generate: Generator().callAsFunction)
    let reference = try (0..<6).map { try readFile(dir + "/train-00000\($0).tar") }
    let manifestBytes = try readFile(dir + "/manifest.json")

    // Everything verified: nothing generated.
    let idle = Generator()
    let again = try writer(dir).run(generate: idle.callAsFunction)
    #expect(idle.shardsGenerated.isEmpty && again.kept == Array(0..<6) && again.written.isEmpty)

    // A corrupted shard, a missing one, a truncated one.
    var bytes = reference[1]
    bytes[700] ^= 0xFF
    try writeFile(bytes, to: dir + "/train-000001.tar")
    try FileManager.default.removeItem(atPath: dir + "/train-000003.tar")
    try writeFile(Array(reference[4].prefix(1000)), to: dir + "/train-000004.tar")
    let repair = Generator()
    let repaired = try writer(dir).run(generate: repair.callAsFunction)
    #expect(repair.shardsGenerated == [1, 3, 4])
    #expect(repaired.written == [1, 3, 4] && repaired.kept == [0, 2, 5])
    #expect(try (0..<6).map { try readFile(dir + "/train-00000\($0).tar") } == reference)
    #expect(try readFile(dir + "/manifest.json") == manifestBytes)
  }

  @Test func resumeAfterAnInterruptedRun() throws {
    let dir = root + "/interrupted"
    struct Crash: Error {}
    let crashing = Generator()
    #expect(throws: Crash.self) {
      _ = try self.writer(dir).run { shard, range in
        if shard == 3 { throw Crash() }
        return try crashing(shard, range)
      }
    }
    // The progress manifest lists the finished shards; no manifest.json yet.
    let progress = try Manifest.read(from: dir + "/manifest.part-0000-of-0001.json")
    #expect(progress.shards.map(\.index) == [0, 1, 2])
    #expect(!FileManager.default.fileExists(atPath: dir + "/manifest.json"))
    let rest = Generator()
    let report = try writer(dir).run(generate: rest.callAsFunction)
    #expect(rest.shardsGenerated == [3, 4, 5] && report.kept == [0, 1, 2])
    #expect(try files(dir) == ["manifest.json"] + (0..<6).map { "train-00000\($0).tar" })
    _ = try writer(root + "/clean").run(generate: Generator().callAsFunction)
    #expect(try readFile(dir + "/manifest.json") == readFile(root + "/clean/manifest.json"))
  }

  @Test func unlistedShardMatchingTheRecomputationIsKept() throws {
    let dir = root + "/unlisted"
    _ = try writer(dir).run(generate: Generator().callAsFunction)
    try FileManager.default.removeItem(atPath: dir + "/manifest.json")
    let before = try FileManager.default.attributesOfItem(atPath: dir + "/train-000002.tar")[.modificationDate] as? Date
    let generator = Generator()
    let report = try writer(dir).run(generate: generator.callAsFunction)
    // Samples are regenerated to know what the shards must hold, but the
    // identical files are kept, not rewritten.
    #expect(generator.shardsGenerated == Array(0..<6))
    #expect(report.kept == Array(0..<6) && report.written.isEmpty)
    let after = try FileManager.default.attributesOfItem(atPath: dir + "/train-000002.tar")[.modificationDate] as? Date
    #expect(before == after)
  }

  @Test func otherParametersAreRefused() throws {
    let dir = root + "/conflict"
    _ = try writer(dir).run(generate: Generator().callAsFunction)
    let error = try expectShardError {
      _ = try self.writer(dir, configuration: ["seed": 8, "elastic": ["sigmaPixels": 10.0, "grid": 3]])
        .run(generate: Generator().callAsFunction)
    }
    #expect(error.code == .manifestConflict && error.path == dir + "/manifest.json")
    #expect(error.description.contains("parameters.seed (7 vs 8)"))
  }
}

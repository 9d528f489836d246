import Foundation
import Testing
import _TestSupport

@testable import Shards

@Suite("Manifest encoding, validation and merging")
final class ManifestTests {
  let dir: String

  init() throws { dir = makeTemporaryDirectory() }
  deinit { removeDirectory(dir) }

  static let tool = ToolInfo(name: "unet", version: "0.1.0")
  static let configuration: JSONValue = ["seed": .uint(42), "sigmaPixels": 10.0, "grid": [3, 3], "note": "x"]

  static func plan() throws -> ShardPlan { try ShardPlan(name: "train", totalSamples: 10, samplesPerShard: 4) }

  static func info(_ index: Int, plan: ShardPlan) -> ShardInfo {
    ShardInfo(
      index: index, file: plan.fileName(ofShard: index), samples: plan.sampleRange(ofShard: index).count,
      bytes: 1024 * (index + 3), sha256: sha256Hex(Array("shard \(index)".utf8)))
  }

  static func whole() throws -> Manifest {
    let plan = try plan()
    return Manifest(
      tool: tool, plan: plan, configuration: configuration, shards: (0..<plan.shardCount).reversed().map { info($0, plan: plan) })
  }

  static func partial(_ index: Int, of count: Int, configuration: JSONValue = configuration) throws -> Manifest {
    let plan = try plan()
    let partition = try Partition(index: index, count: count)
    return Manifest(
      tool: tool, plan: plan, partition: partition, configuration: configuration,
      shards: plan.shards(ownedBy: partition).map { info($0, plan: plan) })
  }

  @Test func exactLayout() throws {
    let manifest = try Self.whole()
    let text = String(decoding: manifest.encoded(), as: UTF8.self)
    let sha0 = sha256Hex(Array("shard 0".utf8))
    #expect(text.hasPrefix("""
      {
        "formatVersion": 1,
        "parameters": {
          "grid": [
            3,
            3
          ],
          "note": "x",
          "seed": 42,
          "sigmaPixels": 10.0
        },
        "plan": {
          "name": "train",
          "samplesPerShard": 4,
          "shardCount": 3,
          "totalSamples": 10
        },
        "shards": [
          {
            "bytes": 3072,
            "file": "train-000000.tar",
            "index": 0,
            "samples": 4,
            "sha256": "\(sha0)"
          },
      """))
    #expect(text.hasSuffix("""
        ],
        "tool": {
          "name": "unet",
          "version": "0.1.0"
        },
        "totals": {
          "bytes": 12288,
          "samples": 10,
          "shards": 3
        }
      }

      """))
    #expect(manifest.shards.map(\.index) == [0, 1, 2])
    #expect(manifest.isComplete)
  }

  @Test func partialLayoutHasThePartition() throws {
    let text = String(decoding: try Self.partial(1, of: 2).encoded(), as: UTF8.self)
    #expect(text.contains("""
        "partition": {
          "count": 2,
          "index": 1
        },
        "plan": {
      """))
    #expect(!(try Self.partial(1, of: 2)).isComplete)
  }

  @Test func roundTripAndDeterministicBytes() throws {
    for manifest in [try Self.whole(), try Self.partial(0, of: 2)] {
      let bytes = manifest.encoded()
      #expect(bytes == manifest.encoded())
      let decoded = try Manifest.decode(bytes, path: "m.json")
      #expect(decoded == manifest)
      #expect(decoded.encoded() == bytes)
      // Through Foundation's Codable too (whose encoder writes 10.0 as 10,
      // so integral doubles come back as integers there).
      var codable = manifest
      codable.configuration = ["seed": .uint(.max), "sigmaPixels": 10.5, "grid": [3, 3]]
      let viaCodable = try JSONDecoder().decode(Manifest.self, from: try JSONEncoder().encode(codable))
      #expect(viaCodable == codable)
    }
  }

  @Test func writeIsAtomicAndReadBack() throws {
    let path = dir + "/" + Manifest.fileName
    try Self.whole().write(to: path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["manifest.json"])
    #expect(try Manifest.read(from: path) == Self.whole())
    #expect(try readFile(path) == Self.whole().encoded())
    // Python reads it as plain JSON.
    let result = try runPython(
      ["-c", "import json, sys; m = json.load(open(sys.argv[1])); print(m['totals']['samples'], len(m['shards']))", path])
    #expect(result.stdout == "10 3\n")
  }

  /// The manifest's JSON with `edit` applied, decoded.
  func decodeEdited(_ edit: (inout [String: JSONValue]) -> Void) throws -> ShardError {
    guard case .object(var top) = try Self.whole().json else { throw TestStop() }
    edit(&top)
    let bytes = Array(JSONValue.object(top).serialized().utf8)
    return try expectShardError { _ = try Manifest.decode(bytes, path: "d/manifest.json") }
  }

  func editShard(_ top: inout [String: JSONValue], _ i: Int, _ key: String, _ value: JSONValue?) {
    guard case .array(var shards) = top["shards"], case .object(var shard) = shards[i] else { return }
    shard[key] = value
    shards[i] = .object(shard)
    top["shards"] = .array(shards)
  }

  @Test func validationNamesFileAndField() throws {
    let cases: [(String, (inout [String: JSONValue]) -> Void)] = [
      ("field formatVersion: format version 2 is not supported", { $0["formatVersion"] = 2 }),
      ("field totals: missing", { $0["totals"] = nil }),
      ("field extra: unknown field", { $0["extra"] = 1 }),
      ("field tool.name: expected a string", { $0["tool"] = ["name": 1, "version": "x"] }),
      ("field plan.shardCount: 4 does not match", {
        $0["plan"] = ["name": "train", "totalSamples": 10, "samplesPerShard": 4, "shardCount": 4]
      }),
      ("field plan: samples per shard must be at least 1", {
        $0["plan"] = ["name": "train", "totalSamples": 10, "samplesPerShard": 0, "shardCount": 0]
      }),
      ("field shards[1].sha256: expected 64 lowercase hex digits", { self.editShard(&$0, 1, "sha256", "ABC") }),
      ("field shards[2].file: \"x.tar\" is not the plan's name \"train-000002.tar\"", {
        self.editShard(&$0, 2, "file", "x.tar")
      }),
      ("field shards[0].bytes: -1 is negative", { self.editShard(&$0, 0, "bytes", -1) }),
      ("field shards[0].samples: expected an integer", { self.editShard(&$0, 0, "samples", 4.0) }),
      ("field shards[2].index: shard 7 is outside the plan's 0..<3", { self.editShard(&$0, 2, "index", 7) }),
      ("field shards[1].index: shards are not in ascending index order", {
        guard case .array(let shards) = $0["shards"] else { return }
        $0["shards"] = .array([shards[1], shards[0], shards[2]])
      }),
      ("field totals.bytes: 1 does not match the shards' sum 12288", {
        $0["totals"] = ["bytes": 1, "samples": 10, "shards": 3]
      }),
      ("field partition: partition index 1 is outside 0..<1", { $0["partition"] = ["index": 1, "count": 1] }),
      ("field shards[1].index: shard 1 does not belong to partition 0 of 2", { $0["partition"] = ["index": 0, "count": 2] }),
    ]
    for (words, edit) in cases {
      let error = try decodeEdited(edit)
      #expect(error.path == "d/manifest.json")
      #expect(error.description.hasPrefix("d/manifest.json: field "), "\(error)")
      #expect(error.description.contains(words), "\(error)")
    }
    let duplicate = try decodeEdited { self.editShard(&$0, 1, "index", 0) }
    #expect(duplicate.code == .duplicateShard && duplicate.description.contains("shard 0 is listed twice"))
    let notJSON = try expectShardError { _ = try Manifest.decode(Array("{".utf8), path: "d/manifest.json") }
    #expect(notJSON.code == .invalidManifest && notJSON.description.hasPrefix("d/manifest.json: line 1"))
  }

  @Test func mergeEqualsTheSingleRunManifestByteForByte() throws {
    let whole = try Self.whole()
    for count in [1, 2, 3, 5] {
      let partials = try (0..<count).reversed().map { try Self.partial($0, of: count) }
      let merged = try Manifest.merge(partials)
      #expect(merged == whole)
      #expect(merged.encoded() == whole.encoded(), "\(count) partitions")
    }
  }

  @Test func mergeFromFiles() throws {
    for index in 0..<3 {
      let partial = try Self.partial(index, of: 3)
      try partial.write(to: dir + "/" + partial.partition!.manifestFileName)
    }
    let merged = try Manifest.mergePartials(in: dir)
    #expect(try readFile(dir + "/manifest.json") == Self.whole().encoded())
    #expect(merged == (try Self.whole()))
  }

  @Test func mergeRejectsMismatchedParameters() throws {
    var other = Self.configuration
    if case .object(var members) = other { members["sigmaPixels"] = 12.0; other = .object(members) }
    let error = try expectShardError {
      _ = try Manifest.merge([try Self.partial(0, of: 2), try Self.partial(1, of: 2, configuration: other)])
    }
    #expect(error.code == .manifestConflict)
    #expect(error.description == "the manifest of partition 1 of 2: parameters.sigmaPixels (12.0 vs 10.0) differs from the manifest of partition 0 of 2")
  }

  @Test func mergeRejectsMismatchedToolOrPlan() throws {
    var newer = try Self.partial(1, of: 2)
    newer.tool = ToolInfo(name: "unet", version: "0.2.0")
    let tool = try expectShardError { _ = try Manifest.merge([try Self.partial(0, of: 2), newer]) }
    #expect(tool.code == .manifestConflict && tool.description.contains("0.2.0"))
    let files = [dir + "/a.json", dir + "/b.json"]
    try Self.partial(0, of: 2).write(to: files[0])
    try newer.write(to: files[1])
    let named = try expectShardError { _ = try Manifest.merge(partialsAt: files) }
    #expect(named.path == files[1] && named.description.contains("differs from \(files[0])"))
  }

  @Test func mergeRejectsMissingShards() throws {
    let plan = try ShardPlan(name: "train", totalSamples: 40, samplesPerShard: 4)
    func part(_ shards: [Int], _ index: Int) throws -> Manifest {
      Manifest(
        tool: Self.tool, plan: plan, partition: try Partition(index: index, count: 2), configuration: Self.configuration,
        shards: shards.map { Self.info($0, plan: plan) })
    }
    let error = try expectShardError { _ = try Manifest.merge([try part([0, 2, 4], 0), try part([1, 5], 1)]) }
    #expect(error.code == .missingShards)
    #expect(error.description == "5 of 10 shards missing: 3, 6-9")
    let expected = try expectShardError {
      _ = try Manifest.merge([try Self.partial(0, of: 1)], expectedShardCount: 4)
    }
    #expect(expected.code == .manifestConflict && expected.description.contains("4 were expected"))
  }

  @Test func mergeRejectsDuplicateShards() throws {
    let error = try expectShardError {
      _ = try Manifest.merge([try Self.partial(0, of: 2), try Self.partial(1, of: 2), try Self.partial(0, of: 3)])
    }
    #expect(error.code == .duplicateShard)
    #expect(error.description == "the manifest of partition 0 of 3: shard 0 (train-000000.tar) is also listed by the manifest of partition 0 of 2")
    #expect(try expectShardError { _ = try Manifest.merge([]) }.code == .missingShards)
  }
}

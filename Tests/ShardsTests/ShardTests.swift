import Foundation
import Testing
import _TestSupport

@testable import Shards

@Suite("WebDataset samples, shard writer and reader")
final class ShardTests {
  let dir: String

  init() throws { dir = makeTemporaryDirectory() }
  deinit { removeDirectory(dir) }

  static func sample(_ i: Int) throws -> ShardSample {
    try ShardSample(key: String(format: "%06d", i), [
      "image.npy": pseudoRandomBytes(300 + 7 * i, seed: UInt64(i)),
      "mask.png": pseudoRandomBytes(90, seed: UInt64(1000 + i)),
      "json": Array("{\"index\": \(i)}".utf8),
    ])
  }

  @Test func keyRules() {
    for key in ["000001", "a_b-c", "X~!"] { #expect(ShardSample.keyProblem(key) == nil, "\(key)") }
    #expect(ShardSample.keyProblem("")!.contains("empty"))
    #expect(ShardSample.keyProblem("a.b")!.contains("'.'"))
    #expect(ShardSample.keyProblem("__meta__")!.contains("'__'"))
    #expect(ShardSample.keyProblem("a/b")!.contains("'/'"))
    #expect(ShardSample.keyProblem("a b")!.contains("printable ASCII"))
    #expect(ShardSample.keyProblem("é")!.contains("printable ASCII"))
    #expect(ShardSample.keyProblem("a\u{7F}")!.contains("printable ASCII"))
  }

  @Test func fieldRules() {
    for field in ["json", "image.npy", "seg.0.png"] { #expect(ShardSample.fieldProblem(field) == nil, "\(field)") }
    for field in ["", "a/b", "Image.npy", ".npy", "npy.", "a..b", "__key__", "a b"] {
      #expect(ShardSample.fieldProblem(field) != nil, "\(field)")
    }
  }

  @Test func sampleValidation() throws {
    let badKey = try expectShardError { _ = try ShardSample(key: "a.b", ["json": []]) }
    #expect(badKey.code == .invalidKey && badKey.entry == "a.b")
    let badField = try expectShardError { _ = try ShardSample(key: "k", ["PNG": []]) }
    #expect(badField.code == .invalidKey && badField.entry == "k.PNG")
    let twice = try expectShardError { _ = try ShardSample(key: "k", ["json": [], "json": [1]]) }
    #expect(twice.code == .duplicateKey && twice.entry == "k.json")
    let long = try expectShardError {
      _ = try ShardSample(key: String(repeating: "k", count: 95), ["image.npy": []])
    }
    #expect(long.code == .invalidKey && long.description.contains("100"))
    let sample = try Self.sample(3)
    #expect(sample.entryNames == ["000003.image.npy", "000003.mask.png", "000003.json"])
    #expect(sample[field: "json"] == Array("{\"index\": 3}".utf8))
    #expect(sample[field: "labels.npy"] == nil)
  }

  @Test func writeAndReadBack() throws {
    let samples = try (0..<7).map(Self.sample)
    let path = dir + "/train-000002.tar"
    let info = try ShardWriter.write(samples, to: path, index: 2)
    #expect(info.index == 2 && info.file == "train-000002.tar" && info.samples == 7)
    let bytes = try readFile(path)
    #expect(info.bytes == bytes.count)
    #expect(info.sha256 == sha256Hex(bytes))
    #expect(try ShardReader.readAll(path: path) == samples)
    // The expected identity, computed without writing, is the same.
    #expect(try ShardWriter.expectedInfo(of: samples, file: "train-000002.tar", index: 2) == info)
    // No temporary file is left beside the shard.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["train-000002.tar"])
  }

  @Test func shardBytesAreDeterministic() throws {
    let samples = try (0..<4).map(Self.sample)
    let a = try ShardWriter.write(samples, to: dir + "/a.tar", index: 0)
    let b = try ShardWriter.write(samples, to: dir + "/b.tar", index: 0)
    #expect(a.sha256 == b.sha256 && a.bytes == b.bytes)
    #expect(try readFile(dir + "/a.tar") == readFile(dir + "/b.tar"))
  }

  @Test func writerRejectsARepeatedKeyAndLeavesNothing() throws {
    let path = dir + "/dup.tar"
    let error = try expectShardError {
      _ = try ShardWriter.write([try Self.sample(1), try Self.sample(2), try Self.sample(1)], to: path, index: 0)
    }
    #expect(error.code == .duplicateKey && error.path == path && error.entry == "000001")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }

  @Test func failedWriteKeepsThePreviousShard() throws {
    let path = dir + "/keep.tar"
    let first = try ShardWriter.write([try Self.sample(1)], to: path, index: 0)
    struct Stop: Error {}
    #expect(throws: Stop.self) {
      _ = try ShardWriter.write(to: path, index: 0) { shard in
        try shard.append(try Self.sample(2))
        throw Stop()
      }
    }
    try verify(shard: path, against: first)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["keep.tar"])
  }

  /// A tar of raw entries, written as `name`.
  func rawShard(_ names: [String], name: String) throws -> String {
    let path = dir + "/" + name
    try writeFile(try TarWriter.archive(names.map { TarEntry(name: $0, data: Array($0.utf8)) }), to: path)
    return path
  }

  @Test func readerRejectsADuplicateEntry() throws {
    let path = try rawShard(["a.json", "a.image.npy", "a.json", "b.json"], name: "dup.tar")
    let reader = try ShardReader(path: path)
    let error = try expectShardError { _ = try reader.next() }
    #expect(error.code == .duplicateKey && error.path == path && error.entry == "a.json")
    #expect(error.description == "\(path): entry \"a.json\": the entry appears twice in sample \"a\"")
  }

  @Test func readerRejectsANonConsecutiveKey() throws {
    let path = try rawShard(["a.json", "b.json", "a.image.npy"], name: "split.tar")
    let reader = try ShardReader(path: path)
    #expect(try reader.next()?.key == "a")
    #expect(try reader.next()?.key == "b")
    let error = try expectShardError { _ = try reader.next() }
    #expect(error.code == .nonConsecutiveKey && error.path == path && error.entry == "a.image.npy")
    #expect(error.description.contains("appears again after other keys"))
  }

  @Test func readerRejectsNamesWithoutAField() throws {
    for (i, names) in [["noext"], ["a.json", ".hidden"], ["d/k.json"], ["k."]].enumerated() {
      let path = try rawShard(names, name: "n\(i).tar")
      let error = try expectShardError { _ = try ShardReader.readAll(path: path) }
      #expect(error.code == .invalidKey && error.path == path && error.entry == names.last, "\(names)")
    }
  }

  @Test func readerPassesTarErrorsThrough() throws {
    let samples = try (0..<3).map(Self.sample)
    let path = dir + "/cut.tar"
    _ = try ShardWriter.write(samples, to: path, index: 0)
    let bytes = try readFile(path)
    try writeFile(Array(bytes[0..<(bytes.count - 1500)]), to: path)
    let error = try expectShardError { _ = try ShardReader.readAll(path: path) }
    #expect(error.code == .truncated && error.path == path)
  }

  @Test func sha256KnownVectors() {
    #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  @Test func fileHashInChunksMatchesWholeHash() throws {
    // Larger than the 1 MiB chunk, not a multiple of it.
    let bytes = pseudoRandomBytes((1 << 20) * 2 + 12_345, seed: 5)
    try writeFile(bytes, to: dir + "/big.bin")
    let result = try sha256(ofFileAt: dir + "/big.bin")
    #expect(result.bytes == bytes.count && result.sha256 == sha256Hex(bytes))
  }

  @Test func verifyDetectsChanges() throws {
    let path = dir + "/v.tar"
    let info = try ShardWriter.write([try Self.sample(0)], to: path, index: 0)
    try verify(shard: path, against: info)
    var bytes = try readFile(path)
    bytes[600] ^= 1
    try writeFile(bytes, to: path)
    let flipped = try expectShardError { try verify(shard: path, against: info) }
    #expect(flipped.code == .checksumMismatch && flipped.path == path && flipped.description.contains("SHA-256"))
    try writeFile(Array(bytes.dropLast(512)), to: path)
    let short = try expectShardError { try verify(shard: path, against: info) }
    #expect(short.code == .checksumMismatch && short.description.contains("size"))
    let missing = try expectShardError { try verify(shard: dir + "/none.tar", against: info) }
    #expect(missing.code == .notFound)
  }
}

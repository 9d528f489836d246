import Foundation
import Testing
import _TestSupport

@testable import _Support

@Suite("Files: AtomicFile, readFile")
struct FileTests {
  let dir = makeTemporaryDirectory()

  @Test func atomicWriteLeavesNothingOnFailure() throws {
    struct Boom: Error {}
    #expect(throws: Boom.self) {
      try AtomicFile.withTemporaryPath(for: dir + "/x.bin") { tmp in
        FileManager.default.createFile(atPath: tmp, contents: Data([1, 2, 3]))
        throw Boom()
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    try AtomicFile.write([1, 2, 3], to: dir + "/y.bin")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["y.bin"])
  }

  @Test func atomicWriteIntoMissingFolderNamesTheFile() throws {
    let path = dir + "/no/such/x.bin"
    let error = try #require(throws: FileError.self) { try AtomicFile.write([1], to: path) }
    #expect(error.code == .io && error.path == path)
    #expect(error.description == "\(path): folder \(dir)/no/such does not exist")
  }

  /// Sizes around the first read (the size at opening) and the 64 KiB
  /// chunks after it; every byte must come back in order.
  @Test(arguments: [0, 1, 4095, 65_536, 65_537, 300_001])
  func readFileReturnsEveryByte(size: Int) throws {
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) }
    let path = dir + "/f.bin"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    #expect(try readFile(path) == bytes)
  }

  @Test func readFileErrorsNameTheFile() throws {
    let missing = try #require(throws: FileError.self) { try readFile(dir + "/absent") }
    #expect(missing.code == .notFound && missing.description == dir + "/absent: no such file")
    let folder = try #require(throws: FileError.self) { try readFile(dir) }
    #expect(folder.code == .isDirectory && folder.description == dir + ": is a folder, expected a file")
  }
}

@Suite("quoted")
struct QuotedTests {
  /// The escape of one scalar, spelled out case by case.
  static func reference(_ scalar: Unicode.Scalar) -> String {
    switch scalar.value {
    case 0x22: return "\\\""
    case 0x5C: return "\\\\"
    case 0x0A: return "\\n"
    case 0x0D: return "\\r"
    case 0x09: return "\\t"
    case 0..<0x20, 0x7F: return "\\u{" + String(scalar.value, radix: 16) + "}"
    default: return String(scalar)
    }
  }

  @Test func everyASCIICharacter() {
    for value in UInt32(0)...0x7F {
      let scalar = Unicode.Scalar(value)!
      #expect(quoted(String(scalar)) == "\"" + Self.reference(scalar) + "\"", "U+\(String(value, radix: 16))")
    }
  }

  @Test func namesStayOneLineAndReadable() {
    #expect(quoted("a\nb") == "\"a\\nb\"")
    #expect(quoted("tab\there\r") == "\"tab\\there\\r\"")
    #expect(quoted("é 😀 \u{1}") == "\"é 😀 \\u{1}\"")
    #expect(quoted("") == "\"\"")
    let messy = String((0..<200).map { Character(Unicode.Scalar($0 % 128)!) })
    #expect(!quoted(messy).contains("\n") && !quoted(messy).contains("\r"))
  }

  @Test func utf8StringRejectsInvalidBytes() {
    #expect(utf8String(Array("é😀".utf8)) == "é😀")
    #expect(utf8String([0x61, 0xFF]) == nil)
    #expect(utf8String([0xC3]) == nil)
  }
}

@Suite("SplitMix64")
struct SplitMix64Tests {
  /// The first outputs for seed 0 of the reference implementation
  /// (Vigna, splitmix64.c), as Python's integers compute them.
  @Test func matchesTheReferenceStream() {
    var rng = SplitMix64(seed: 0)
    #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    #expect(rng.next() == 0x06C4_5D18_8009_454F)
  }

  @Test func streamsAreDeterministicAndDistinct() {
    var a = SplitMix64(seed: 7, stream: 3)
    var b = SplitMix64(seed: 7, stream: 3)
    var c = SplitMix64(seed: 7, stream: 4)
    let x = (0..<8).map { _ in a.next() }
    #expect(x == (0..<8).map { _ in b.next() })
    #expect(x != (0..<8).map { _ in c.next() })
    var u = SplitMix64(seed: 1)
    #expect((0..<1000).allSatisfy { _ in (0..<1).contains(u.unit()) })
  }
}

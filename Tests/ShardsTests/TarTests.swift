import Foundation
import Testing
import _TestSupport

@testable import Shards

@Suite("Tar writer and reader")
struct TarTests {
  static let entries: [TarEntry] = [
    TarEntry(name: "a.txt", data: Array("hello\n".utf8)),
    TarEntry(name: "empty.bin", data: []),
    TarEntry(name: "block.bin", data: pseudoRandomBytes(512, seed: 1)),
    TarEntry(name: "odd.bin", data: pseudoRandomBytes(1_537, seed: 2)),
    TarEntry(name: "dir/sub/" + String(repeating: "n", count: 100), data: [1, 2, 3]),
    TarEntry(name: String(repeating: "p", count: 150) + "/" + String(repeating: "q", count: 99), data: [4]),
  ]

  func readAll(_ path: String, limits: TarReader.Limits = .default) throws -> [TarEntry] {
    let reader = try TarReader(path: path, limits: limits)
    var out: [TarEntry] = []
    try reader.forEach { out.append($0) }
    return out
  }

  @Test func roundTrip() throws {
    let dir = makeTemporaryDirectory()
    defer { removeDirectory(dir) }
    let bytes = try TarWriter.archive(Self.entries)
    try writeFile(bytes, to: dir + "/t.tar")
    #expect(try readAll(dir + "/t.tar") == Self.entries)
  }

  @Test func layout() throws {
    let bytes = try TarWriter.archive([TarEntry(name: "x", data: [7])])
    // One header, one data block, two zero blocks; nothing else.
    #expect(bytes.count == 4 * 512)
    #expect(bytes[512] == 7 && bytes[513..<512 * 4].allSatisfy { $0 == 0 })
    let header = bytes[0..<512]
    #expect(Array(header[100..<108]) == Array("0000644\0".utf8))
    #expect(Array(header[108..<124]) == Array("0000000\00000000\0".utf8))
    #expect(Array(header[124..<136]) == Array("00000000001\0".utf8))
    #expect(Array(header[136..<148]) == Array("00000000000\0".utf8))
    #expect(header[156] == UInt8(ascii: "0"))
    #expect(Array(header[257..<265]) == Array("ustar\u{0}00".utf8))
    #expect(header[265..<345].allSatisfy { $0 == 0 || $0 == UInt8(ascii: "0") })
  }

  @Test func checksumMatchesSlowReference() throws {
    for entry in Self.entries {
      let bytes = try TarWriter.archive([entry], mtime: 1_700_000_000)
      let header = bytes[0..<512]
      let stored = try #require(Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8))
      #expect(stored == referenceChecksum(header))
      #expect(header[154] == 0 && header[155] == 32)
    }
  }

  @Test func bytesAreDeterministic() throws {
    let a = try TarWriter.archive(Self.entries)
    let b = try TarWriter.archive(Self.entries)
    #expect(a == b)
    let c = try TarWriter.archive(Self.entries, mtime: 1_234_567)
    #expect(a != c)
    #expect(c == (try TarWriter.archive(Self.entries, mtime: 1_234_567)))
  }

  @Test func longNamesUseThePrefixField() throws {
    let name = String(repeating: "p", count: 150) + "/" + String(repeating: "q", count: 99)
    let bytes = try TarWriter.archive([TarEntry(name: name, data: [])])
    #expect(Array(bytes[0..<99]) == Array(String(repeating: "q", count: 99).utf8))
    #expect(Array(bytes[345..<495]) == Array(String(repeating: "p", count: 150).utf8))
  }

  @Test func writerRejectsBadNames() throws {
    for name in ["", "/abs", "../x", "a/../b", "a/..", "dir/", "a\0b"] {
      var writer = TarWriter(output: MemoryOutput(), label: "out.tar")
      let error = try expectShardError { try writer.append(name: name, bytes: []) }
      #expect(error.code == .unsafeName, "\(name)")
      #expect(error.path == "out.tar" && error.entry == name)
    }
    // Too long for name + prefix: no slash, or parts over 155 / 100 bytes.
    for name in [String(repeating: "a", count: 101), String(repeating: "a", count: 156) + "/b",
                 "a/" + String(repeating: "b", count: 101)] {
      var writer = TarWriter(output: MemoryOutput())
      let error = try expectShardError { try writer.append(name: name, bytes: []) }
      #expect(error.code == .tooLarge)
      #expect(error.description.contains("ustar allows 100"))
    }
  }

  @Test func writerRejectsEntriesOf8GiB() throws {
    // A buffer that claims 8 GiB; the writer refuses before touching it.
    var byte: UInt8 = 0
    try withUnsafeMutableBytes(of: &byte) { raw in
      let huge = UnsafeRawBufferPointer(start: raw.baseAddress, count: 1 << 33)
      var writer = TarWriter(output: MemoryOutput(), label: "big.tar")
      let error = try expectShardError { try writer.append(name: "big.bin", contents: huge) }
      #expect(error.code == .tooLarge)
      #expect(error.description.hasPrefix("big.tar: entry \"big.bin\": 8589934592 bytes"))
      #expect(writer.output.bytes.isEmpty)
    }
    #expect(TarWriter<MemoryOutput>.maxEntryBytes == (1 << 33) - 1)
  }

  @Test func octalAndChecksumHelpers() {
    #expect(TarHeader.octal(0o644, digits: 7) == Array("0000644\0".utf8))
    #expect(TarHeader.parseOctal(ArraySlice(Array("  0123 \0".utf8))) == 0o123)
    #expect(TarHeader.parseOctal(ArraySlice(Array("0000012\0".utf8))) == 10)
    #expect(TarHeader.parseOctal(ArraySlice(Array("12x\0".utf8))) == nil)
    #expect(TarHeader.parseOctal(ArraySlice([0x80, 0, 0, 0])) == nil)
    #expect(TarHeader.parseOctal(ArraySlice([0, 0, 0])) == nil)
  }
}

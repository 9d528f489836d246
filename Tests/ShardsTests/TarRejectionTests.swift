import Foundation
import Testing
import _TestSupport

@testable import Shards

/// Each hardening rule of `TarReader`, with the one-line error naming the
/// shard file and the entry.
@Suite("Tar reader rejections")
final class TarRejectionTests {
  let dir: String
  let good: [UInt8]

  init() throws {
    dir = makeTemporaryDirectory()
    good = try TarWriter.archive([
      TarEntry(name: "k1.txt", data: Array("first".utf8)),
      TarEntry(name: "k2.bin", data: pseudoRandomBytes(1000, seed: 3)),
    ])
  }

  deinit { removeDirectory(dir) }

  /// Writes `bytes` as `name`, reads it, and returns the error.
  func rejection(_ bytes: [UInt8], name: String = "bad.tar", limits: TarReader.Limits = .default) throws -> ShardError {
    let path = dir + "/" + name
    try writeFile(bytes, to: path)
    let error = try expectShardError {
      let reader = try TarReader(path: path, limits: limits)
      while try reader.next() != nil {}
    }
    #expect(error.path == path)
    #expect(!error.description.contains("\n"))
    #expect(error.description.hasPrefix(path + ": entry "))
    return error
  }

  @Test func goodArchiveReads() throws {
    try writeFile(good, to: dir + "/good.tar")
    let reader = try TarReader(path: dir + "/good.tar")
    #expect(try reader.next()?.name == "k1.txt")
    #expect(try reader.next()?.data == pseudoRandomBytes(1000, seed: 3))
    #expect(try reader.next() == nil)
    #expect(try reader.next() == nil)
  }

  @Test func parentComponent() throws {
    let error = try rejection(patched(good, at: 0, nameField("../x")))
    #expect(error.code == .unsafeName && error.entry == "../x")
    #expect(error.description.contains("'..'"))
    let nested = try rejection(patched(good, at: 0, nameField("a/../../etc/passwd")))
    #expect(nested.code == .unsafeName && nested.entry == "a/../../etc/passwd")
  }

  @Test func absolutePath() throws {
    let error = try rejection(patched(good, at: 0, nameField("/abs")))
    #expect(error.code == .unsafeName && error.entry == "/abs")
    #expect(error.description.contains("absolute"))
    // Through the prefix field too.
    let viaPrefix = try rejection(patched(good, at: 345, Array("/etc".utf8)))
    #expect(viaPrefix.code == .unsafeName && viaPrefix.entry == "/etc/k1.txt")
  }

  @Test(arguments: [
    ("1", "hard link"), ("2", "symbolic link"), ("3", "character device"), ("4", "block device"),
    ("5", "directory"), ("6", "FIFO"), ("x", "pax extended header"), ("L", "GNU long-name"), ("Z", "unknown type"),
  ])
  func nonRegularEntries(flag: String, words: String) throws {
    // The second entry becomes the link or device; the error names it.
    let error = try rejection(patched(good, headerOffset: 1024, at: 156, Array(flag.utf8)), name: "t\(flag).tar")
    #expect(error.code == .unsupportedEntryType)
    #expect(error.entry == "k2.bin")
    #expect(error.description.contains(words))
    #expect(error.description.contains("only regular files"))
  }

  @Test func entryOverTheLimit() throws {
    let error = try rejection(good, limits: TarReader.Limits(maxEntryBytes: 999))
    #expect(error.code == .tooLarge && error.entry == "k2.bin")
    #expect(error.description.contains("1000 bytes, over the limit of 999 bytes"))
    try writeFile(good, to: dir + "/ok.tar")
    let reader = try TarReader(path: dir + "/ok.tar", limits: TarReader.Limits(maxEntryBytes: 1000))
    #expect(try reader.next() != nil && reader.next() != nil && reader.next() == nil)
  }

  @Test func truncatedInHeader() throws {
    // The first entry's header and data (2 blocks) and 100 bytes of the next header.
    let error = try rejection(Array(good[0..<(1024 + 100)]))
    #expect(error.code == .truncated)
    #expect(error.entry == "#1 at byte offset 1024")
    #expect(error.description.contains("inside a header: 100 of 512 bytes present (after entry \"k1.txt\")"))
  }

  @Test func truncatedInData() throws {
    let error = try rejection(Array(good[0..<(1024 + 512 + 300)]))
    #expect(error.code == .truncated && error.entry == "k2.bin")
    #expect(error.description.contains("inside the entry's data: 300 of 1000 bytes present"))
    let padding = try rejection(Array(good[0..<(1024 + 512 + 1010)]), name: "pad.tar")
    #expect(padding.code == .truncated && padding.entry == "k2.bin")
    #expect(padding.description.contains("padding"))
  }

  @Test func truncatedBeforeTheEndMarker() throws {
    let entriesOnly = good.count - 1024
    let none = try rejection(Array(good[0..<entriesOnly]))
    #expect(none.code == .truncated && none.description.contains("without its end-of-archive marker"))
    let one = try rejection(Array(good[0..<(entriesOnly + 512)]), name: "one.tar")
    #expect(one.code == .truncated && one.description.contains("one zero block"))
  }

  @Test func badChecksum() throws {
    var bytes = good
    bytes[0] = UInt8(ascii: "K")  // name now "K1.txt", checksum not updated
    let error = try rejection(bytes)
    #expect(error.code == .corrupt && error.entry == "K1.txt")
    #expect(error.description.contains("header checksum mismatch"))
  }

  @Test func badMagic() throws {
    let error = try rejection(patched(good, at: 257, Array("tarus\0".utf8)))
    #expect(error.code == .corrupt && error.entry == "k1.txt")
    #expect(error.description.contains("not a ustar header"))
  }

  @Test func notUTF8Name() throws {
    let error = try rejection(patched(good, at: 0, [0x66, 0xFF, 0x2E, 0x74, 0]))
    #expect(error.code == .unsafeName && error.entry == "#0 at byte offset 0")
    #expect(error.description.contains("not UTF-8"))
  }

  @Test func missingFile() throws {
    let error = try expectShardError { _ = try TarReader(path: dir + "/none.tar") }
    #expect(error.code == .notFound && error.path == dir + "/none.tar")
  }
}

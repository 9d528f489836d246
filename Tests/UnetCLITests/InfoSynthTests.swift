import Foundation
import Testing
import _TestSupport

@Suite struct InfoCommandTests {
  struct Summary: Decodable {
    var path: String
    var format: String
    var width: Int
    var height: Int
    var channels: Int
    var sample_type: String
    var pages: Int
    var min: Double?
    var max: Double?
    var instances: Int?
  }

  func summaries(_ files: [String]) throws -> [Summary] {
    let r = try unet(["info", "--json"] + files)
    #expect(r.status == 0, "\(r.stderr)")
    return try JSONDecoder().decode([Summary].self, from: Data(r.stdout.utf8))
  }

  @Test func dsb2018Pair() throws {
    let s = try summaries([datasetsRoot + "/dsb2018-sample/img2d.tif", datasetsRoot + "/dsb2018-sample/mask2d.tif"])
    #expect(s.count == 2)
    #expect(s[0].format == "tiff" && s[0].width == 512 && s[0].height == 512 && s[0].sample_type == "uint16")
    #expect(s[1].instances == 125)
    #expect(s[1].min == 0)
  }

  @Test func isbiLabelAndImage() throws {
    let s = try summaries([datasetsRoot + "/isbi2012/image/0.png", datasetsRoot + "/isbi2012/label/0.png"])
    #expect(s.map(\.width) == [512, 512])
    #expect(s[0].sample_type == "uint8" && s[0].channels == 1 && s[0].pages == 1)
    #expect(s[1].min == 0 && s[1].max == 255 && s[1].instances == 1)
  }

  @Test func tableOutput() throws {
    let r = try unet(["info", datasetsRoot + "/dsb2018-sample/mask2d.tif"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("TIFF 512 x 512, 1 channel, uint16, 1 page"))
    #expect(r.stdout.contains("125 distinct non-zero values"))
  }
}

@Suite struct BadInputTests {
  let dir = makeTemporaryDirectory()

  /// Runs `unet info PATH` and checks for one error line naming the file, a
  /// non-zero exit, and no output.
  func expectRejected(_ path: String, because words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let r = try unet(["info", path])
    #expect(r.status != 0, sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("unet: error: \(path): "), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.lowercased().contains(words.lowercased()), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    // Nothing new was written beside the input.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.hasPrefix(".") }, sourceLocation: sourceLocation)
  }

  func validPNG() throws -> [UInt8] {
    let r = try unet(["synth", "--out", dir + "/s", "--size", "64x48", "--seed", "3"])
    #expect(r.status == 0)
    return read(dir + "/s/images/cells_000.png")
  }

  @Test func missingFile() throws { try expectRejected(dir + "/missing.png", because: "no such file") }

  @Test func directory() throws {
    try FileManager.default.createDirectory(atPath: dir + "/d.tif", withIntermediateDirectories: true)
    try expectRejected(dir + "/d.tif", because: "directory")
  }

  @Test func zeroBytes() throws {
    write([], to: dir + "/z.npy")
    try expectRejected(dir + "/z.npy", because: "empty")
  }

  @Test func unknownExtension() throws {
    write([1, 2, 3], to: dir + "/a.jpeg")
    try expectRejected(dir + "/a.jpeg", because: "unknown image format")
  }

  @Test func truncatedPNG() throws {
    let png = try validPNG()
    write(Array(png.prefix(png.count / 2)), to: dir + "/t.png")
    try expectRejected(dir + "/t.png", because: "truncated")
  }

  @Test func badCRC() throws {
    var png = try validPNG()
    png[20] ^= 0x01  // inside IHDR's data (width), CRC left as it was
    write(png, to: dir + "/crc.png")
    try expectRejected(dir + "/crc.png", because: "crc")
  }

  @Test func hugePNGHeader() throws {
    var ihdr = bigEndian32(100_000) + bigEndian32(100_000)
    ihdr += [8, 0, 0, 0, 0]
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", ihdr)
      + pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + pngChunk("IEND", [])
    write(png, to: dir + "/huge.png")
    try expectRejected(dir + "/huge.png", because: "100000 x 100000")
  }

  @Test func hugeTIFFHeader() throws {
    write(handmadeTIFF(width: 100_000, height: 100_000, bitsPerSample: 8, sampleFormat: 1, payload: [0, 0, 0, 0]), to: dir + "/huge.tif")
    try expectRejected(dir + "/huge.tif", because: "100000 x 100000")
  }

  @Test func truncatedTIFF() throws {
    let good = handmadeTIFF(width: 64, height: 64, bitsPerSample: 8, sampleFormat: 1, payload: [UInt8](repeating: 7, count: 64 * 64))
    write(good, to: dir + "/good.tif")
    #expect(try unet(["info", dir + "/good.tif"]).status == 0)
    write(Array(good.prefix(good.count - 1000)), to: dir + "/t.tif")
    try expectRejected(dir + "/t.tif", because: "truncated")
  }

  @Test func unsupportedTIFFSampleFormat() throws {
    write(handmadeTIFF(width: 4, height: 4, bitsPerSample: 64, sampleFormat: 3, payload: [UInt8](repeating: 0, count: 128)), to: dir + "/f64.tif")
    try expectRejected(dir + "/f64.tif", because: "64-bit")
  }

  func npy(_ descr: String, fortran: Bool) -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (2, 2), }"
    header += String(repeating: " ", count: 64 - (10 + header.utf8.count + 1) % 64) + "\n"
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [UInt8](repeating: 0, count: 16)
  }

  @Test func bigEndianNPY() throws {
    write(npy(">f4", fortran: false), to: dir + "/be.npy")
    try expectRejected(dir + "/be.npy", because: "big-endian")
  }

  @Test func fortranNPY() throws {
    write(npy("<f4", fortran: true), to: dir + "/f.npy")
    try expectRejected(dir + "/f.npy", because: "Fortran")
  }

  @Test func configurableLimit() throws {
    _ = try validPNG()
    let r = try unet(["info", "--max-pixels", "1000", dir + "/s/images/cells_000.png"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("64 x 48 pixels, more than the limit of 1000"))
  }

  @Test func infoGoesOnAfterABadFile() throws {
    _ = try validPNG()
    let r = try unet(["info", dir + "/missing.png", dir + "/s/labels/cells_000.png"])
    #expect(r.status != 0)
    #expect(r.stdout.contains("cells_000.png: PNG 64 x 48"))
    #expect(r.stderr.contains("missing.png: no such file"))
  }
}

@Suite struct SynthCommandTests {
  let dir = makeTemporaryDirectory()

  @Test func sameSeedSameBytes() throws {
    for run in ["a", "b"] {
      let r = try unet(["synth", "--out", "\(dir)/\(run)", "--count", "3", "--size", "80x64", "--seed", "42", "--cells", "20"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/a/images").sorted()
    #expect(names == ["cells_000.png", "cells_001.png", "cells_002.png"])
    for sub in ["images", "labels"] {
      for name in names {
        #expect(read("\(dir)/a/\(sub)/\(name)") == read("\(dir)/b/\(sub)/\(name)"))
      }
    }
    let r = try unet(["synth", "--out", "\(dir)/c", "--size", "80x64", "--seed", "43", "--cells", "20"])
    #expect(r.status == 0)
    #expect(read("\(dir)/c/labels/cells_000.png") != read("\(dir)/a/labels/cells_000.png"))
  }

  @Test func outputIsSixteenBitWithInstances() throws {
    let r = try unet(["synth", "--out", dir, "--size", "128x96", "--seed", "1", "--cells", "30"])
    #expect(r.status == 0)
    let info = try unet(["info", "--json", dir + "/images/cells_000.png", dir + "/labels/cells_000.png"])
    struct S: Decodable { var sample_type: String; var width: Int; var height: Int; var instances: Int?; var max: Double? }
    let s = try JSONDecoder().decode([S].self, from: Data(info.stdout.utf8))
    #expect(s.allSatisfy { $0.sample_type == "uint16" && $0.width == 128 && $0.height == 96 })
    #expect((s[1].instances ?? 0) > 10 && (s[1].instances ?? 0) <= 30)
    #expect((s[1].max ?? 99) <= 30)
  }

  @Test func badValues() throws {
    for args in [["--count", "0"], ["--size", "12"], ["--size", "0x5"], ["--cells", "70000"], ["--seed", "-1"]] {
      let r = try unet(["synth", "--out", dir + "/x"] + args)
      #expect(r.status != 0, "\(args)")
      #expect(!r.stderr.isEmpty)
      #expect(!FileManager.default.fileExists(atPath: dir + "/x"))
    }
  }
}

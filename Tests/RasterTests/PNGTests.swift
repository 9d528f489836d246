import Foundation
import Testing
import _TestSupport

@testable import Raster

@Suite struct PNGTests {
  let dir = makeTemporaryDirectory()

  // MARK: Round trips

  @Test(arguments: [SampleType.uint8, .uint16], 1...4)
  func roundTripIsBitExact(type: SampleType, channels: Int) throws {
    let image = randomImage(type, width: 37, height: 23, channels: channels, seed: UInt64(type.byteCount * 10 + channels))
    let path = dir + "/\(type.rawValue)-\(channels).png"
    try ImageFile.write(image, to: path)
    #expect(try ImageFile.read(path) == image)
    #expect(try ImageFile.readPages(path) == [image])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["\(type.rawValue)-\(channels).png"])
  }

  @Test func roundTripOfOneRowAndOneColumn() throws {
    for (width, height) in [(1, 1), (1, 300), (300, 1)] {
      let image = randomImage(.uint16, width: width, height: height, channels: 2, seed: 5)
      try ImageFile.write(image, to: dir + "/thin.png")
      #expect(try ImageFile.read(dir + "/thin.png") == image)
    }
  }

  // MARK: What libpng expands

  /// 16-bit samples are big-endian in the file and host-endian in memory.
  @Test func sixteenBitSamplesComeOutInHostOrder() throws {
    let bytes = HandPNG.file(width: 2, height: 1, bitDepth: 16, colorType: 0, rows: [0, 0x12, 0x34, 0xAB, 0xCD])
    let image = try ImageFile.read(writeFile(bytes, dir, "be.png"))
    #expect(image == .uint16(Image(width: 2, height: 1, samples: [0x1234, 0xABCD])))
  }

  @Test func lowBitDepthGrayExpandsToEightBits() throws {
    // 1-bit: 1 -> 255. 4-bit: v -> 17 v.
    let one = HandPNG.file(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [0, 0b1011_0001])
    #expect(try ImageFile.read(writeFile(one, dir, "g1.png")) == .uint8(Image(width: 8, height: 1, samples: [255, 0, 255, 255, 0, 0, 0, 255])))
    let four = HandPNG.file(width: 3, height: 1, bitDepth: 4, colorType: 0, rows: [0, 0x5F, 0x30])
    #expect(try ImageFile.read(writeFile(four, dir, "g4.png")) == .uint8(Image(width: 3, height: 1, samples: [0x55, 0xFF, 0x33])))
  }

  @Test func paletteExpandsToRGBAndTransparencyToAlpha() throws {
    let palette: [UInt8] = [10, 20, 30, 40, 50, 60, 70, 80, 90, 200, 210, 220]
    // 2-bit indices: row 0 = 0 1 2, row 1 = 3 3 0.
    let rows: [UInt8] = [0, 0b00_01_10_00, 0, 0b11_11_00_00]
    let rgb = HandPNG.file(width: 3, height: 2, bitDepth: 2, colorType: 3, extra: [("PLTE", palette)], rows: rows)
    let colors = [0, 1, 2, 3, 3, 0].flatMap { Array(palette[$0 * 3..<$0 * 3 + 3]) }
    #expect(try ImageFile.read(writeFile(rgb, dir, "p.png")) == .uint8(Image(width: 3, height: 2, channels: 3, samples: colors)))

    let alpha: [UInt8] = [0, 128]  // entries 2 and 3 are opaque
    let rgba = HandPNG.file(width: 3, height: 2, bitDepth: 2, colorType: 3, extra: [("PLTE", palette), ("tRNS", alpha)], rows: rows)
    let expected = [0, 1, 2, 3, 3, 0].flatMap { (index: Int) -> [UInt8] in
      let opacity: UInt8 = index < alpha.count ? alpha[index] : 255
      return Array(palette[index * 3..<index * 3 + 3]) + [opacity]
    }
    #expect(try ImageFile.read(writeFile(rgba, dir, "pa.png")) == .uint8(Image(width: 3, height: 2, channels: 4, samples: expected)))
  }

  @Test func interlacedImageIsDeinterlaced() throws {
    for (width, height) in [(1, 1), (3, 2), (13, 10)] {
      guard case .uint8(let image) = randomImage(.uint8, width: width, height: height, channels: 3, seed: 21) else { return }
      let bytes = HandPNG.file(
        width: UInt32(width), height: UInt32(height), bitDepth: 8, colorType: 2, interlaced: true,
        rows: HandPNG.adam7Rows(image))
      #expect(try ImageFile.read(writeFile(bytes, dir, "adam7-\(width).png")) == .uint8(image))
    }
  }

  @Test func grayTransparencyBecomesAlpha() throws {
    let bytes = HandPNG.file(width: 2, height: 1, bitDepth: 8, colorType: 0, extra: [("tRNS", [0, 7])], rows: [0, 7, 9])
    #expect(try ImageFile.read(writeFile(bytes, dir, "t.png")) == .uint8(Image(width: 2, height: 1, channels: 2, samples: [7, 0, 9, 255])))
  }

  // MARK: The ISBI 2012 images of the paper

  @Test func isbi2012ImagesAndLabels() throws {
    for n in 0..<25 {
      let image = try ImageFile.read(try datasetPath("isbi2012/image/\(n).png"))
      #expect(image.sampleType == .uint8 && image.channels == 1, "image \(n)")
      #expect(image.width == 512 && image.height == 512, "image \(n)")
      let label = try ImageFile.read(try datasetPath("isbi2012/label/\(n).png"))
      #expect(label.sampleType == .uint8 && label.channels == 1, "label \(n)")
      #expect(label.width == 512 && label.height == 512, "label \(n)")
      guard case .uint8(let l) = label else { continue }
      #expect(Set(l.samples) == [0, 255], "label \(n) holds values other than 0 and 255")
    }
  }

  // MARK: Bad input

  @Test func truncatedFile() throws {
    let path = dir + "/whole.png"
    try ImageFile.write(randomImage(.uint8, width: 64, height: 64, channels: 3, seed: 9), to: path)
    let whole = try fileBytes(path)
    for cut in [5, 20, 40, whole.count / 2, whole.count - 4] {
      let name = "cut\(cut).png"
      try expectReadError(writeFile(Array(whole[..<cut]), dir, name), .truncated, mentioning: ["PNG truncated"])
    }
  }

  @Test func badChecksumInHeader() throws {
    var bytes = HandPNG.file(width: 4, height: 4, bitDepth: 8, colorType: 0, rows: [UInt8](repeating: 0, count: 20))
    bytes[8 + 8 + 3] ^= 0x01  // a byte of the width, CRC left alone
    try expectReadError(writeFile(bytes, dir, "ihdr.png"), .corrupt, mentioning: ["PNG corrupt", "IHDR", "CRC"])
  }

  @Test func badChecksumInImageData() throws {
    var bytes = HandPNG.file(width: 4, height: 4, bitDepth: 8, colorType: 0, rows: [UInt8](repeating: 0, count: 20))
    let idat = try #require(bytes.indices.first { Array(bytes[$0..<$0 + 4]) == Array("IDAT".utf8) })
    bytes[idat + 4 + 2 + 5 + 3] ^= 0x40  // a sample inside the stored block
    try expectReadError(writeFile(bytes, dir, "idat.png"), .corrupt, mentioning: ["PNG corrupt"])
  }

  @Test func notAPNG() throws {
    try expectReadError(writeFile(Array("hello, world".utf8), dir, "text.png"), .corrupt, mentioning: ["signature"])
  }

  @Test func hugeHeaderIsRejectedBeforeAllocating() throws {
    // 10^10 pixels: allocating them would take 10 GB; the header alone must fail.
    let bytes = HandPNG.file(width: 100_000, height: 100_000, bitDepth: 8, colorType: 0, rows: [0, 0, 0])
    try expectReadError(writeFile(bytes, dir, "huge.png"), .tooLarge, mentioning: ["100000 x 100000"])
  }

  @Test func pixelLimitIsConfigurable() throws {
    let path = dir + "/small.png"
    try ImageFile.write(randomImage(.uint8, width: 20, height: 20, channels: 1, seed: 1), to: path)
    try expectReadError(path, .tooLarge, mentioning: ["20 x 20", "399"], limits: ReadLimits(maxPixels: 399))
    #expect(try ImageFile.read(path, limits: ReadLimits(maxPixels: 400)).width == 20)
    // A single side over the limit is stopped by libpng's own user limits.
    let wide = dir + "/wide.png"
    try ImageFile.write(randomImage(.uint8, width: 50, height: 1, channels: 1, seed: 1), to: wide)
    try expectReadError(wide, .tooLarge, limits: ReadLimits(maxPixels: 10))
  }

  @Test(arguments: [SampleType.uint32, .int32, .float32])
  func unsupportedTypeWritesNothing(type: SampleType) throws {
    let path = dir + "/out.png"
    let error = try #require(throws: RasterError.self) {
      try ImageFile.write(randomImage(type, width: 4, height: 4, channels: 1, seed: 2), to: path)
    }
    #expect(error.code == .unsupported)
    #expect(error.path == path)
    #expect(error.reason.contains(type.rawValue) && error.reason.contains(".tif"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }

  @Test func emptyImageWritesNothing() throws {
    let error = try #require(throws: RasterError.self) { try ImageFile.write(Image<UInt8>(width: 0, height: 3), to: dir + "/e.png") }
    #expect(error.code == .unsupported)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }
}

import Foundation
import Testing
import _TestSupport

@testable import Raster

@Suite struct TIFFTests {
  let dir = makeTemporaryDirectory()

  // MARK: Round trips

  @Test(arguments: SampleType.allCases, TIFFCompression.allCases)
  func roundTripIsBitExact(type: SampleType, compression: TIFFCompression) throws {
    for channels in 1...4 {
      let image = randomImage(type, width: 45, height: 29, channels: channels, seed: UInt64(type.byteCount * 10 + channels))
      let path = dir + "/\(type.rawValue)-\(channels)-\(compression.rawValue).tif"
      try ImageFile.write(image, to: path, options: WriteOptions(compression: compression))
      let back = try ImageFile.read(path)
      #expect(bitIdentical(back, image), "\(type) x \(channels) with \(compression)")
      #expect(try ImageFile.readPages(path).count == 1)
    }
  }

  /// Several strips per page, the last one partial (rows per strip is
  /// chosen for about 64 KiB).
  @Test(arguments: TIFFCompression.allCases)
  func largerImagesSpanSeveralStrips(compression: TIFFCompression) throws {
    let image = randomImage(.uint16, width: 300, height: 257, channels: 1, seed: 3)
    let path = dir + "/large-\(compression.rawValue).tiff"
    try ImageFile.write(image, to: path, options: WriteOptions(compression: compression))
    #expect(try ImageFile.read(path) == image)
  }

  @Test func compressionMakesSmoothImagesSmaller() throws {
    let ramp = AnyImage.uint8(Image(width: 256, height: 256, samples: (0..<65536).map { UInt8($0 % 256) }))
    var sizes: [TIFFCompression: Int] = [:]
    for compression in TIFFCompression.allCases {
      let path = dir + "/ramp-\(compression.rawValue).tif"
      try ImageFile.write(ramp, to: path, options: WriteOptions(compression: compression))
      #expect(try ImageFile.read(path) == ramp)
      sizes[compression] = try fileBytes(path).count
    }
    #expect(sizes[.none]! > 65536)
    #expect(sizes[.lzw]! < sizes[.none]! / 4)
    #expect(sizes[.deflate]! < sizes[.none]! / 4)
  }

  // MARK: Stacks

  @Test(arguments: TIFFCompression.allCases)
  func stackReadsBackPageByPage(compression: TIFFCompression) throws {
    // Pages may differ in size and even in type.
    let pages = [
      randomImage(.uint16, width: 30, height: 20, channels: 1, seed: 1),
      randomImage(.uint16, width: 17, height: 41, channels: 1, seed: 2),
      randomImage(.float32, width: 64, height: 3, channels: 1, seed: 3),
      randomImage(.uint8, width: 5, height: 5, channels: 3, seed: 4),
    ]
    let path = dir + "/stack-\(compression.rawValue).tif"
    try ImageFile.writePages(pages, to: path, options: WriteOptions(compression: compression))
    let back = try ImageFile.readPages(path)
    #expect(back.count == pages.count)
    for (a, b) in zip(back, pages) { #expect(bitIdentical(a, b)) }
    #expect(try ImageFile.read(path) == pages[0])
  }

  /// What Fiji needs: SampleFormat (IEEE float for float pages), MinIsBlack
  /// or RGB, no predictor, and on every page of a stack NewSubfileType 0
  /// and PageNumber.
  @Test func writtenFieldsSuitFiji() throws {
    let pages = [
      randomImage(.float32, width: 6, height: 5, channels: 1, seed: 1),
      randomImage(.int32, width: 6, height: 5, channels: 1, seed: 2),
      randomImage(.uint8, width: 6, height: 5, channels: 3, seed: 3),
      randomImage(.uint16, width: 6, height: 5, channels: 2, seed: 4),
    ]
    let path = dir + "/fiji.tif"
    try ImageFile.writePages(pages, to: path, options: WriteOptions(compression: .lzw))
    let directories = try tiffFields(try fileBytes(path))
    try #require(directories.count == 4)
    let expected: [(format: UInt32, bits: UInt32, photometric: UInt32)] = [(3, 32, 1), (2, 32, 1), (1, 8, 2), (1, 16, 1)]
    for (index, (fields, want)) in zip(directories, expected).enumerated() {
      #expect(fields[Tag.sampleFormat]?.allSatisfy { $0 == want.format } == true, "page \(index)")
      #expect(fields[Tag.bitsPerSample]?.allSatisfy { $0 == want.bits } == true, "page \(index)")
      #expect(fields[Tag.photometric] == [want.photometric], "page \(index)")
      #expect(fields[Tag.compression] == [5], "page \(index)")
      #expect(fields[Tag.predictor] == nil || fields[Tag.predictor] == [1], "page \(index)")
      #expect(fields[Tag.newSubfileType] == [0], "page \(index)")
      #expect(fields[Tag.pageNumber] == [UInt32(index), 4], "page \(index)")
    }
    #expect(directories[3][Tag.extraSamples] == [2])  // gray + unassociated alpha
    // A single page carries no stack fields.
    try ImageFile.write(pages[0], to: dir + "/one.tif")
    let single = try tiffFields(try fileBytes(dir + "/one.tif"))
    #expect(single.count == 1 && single[0][Tag.pageNumber] == nil)
    #expect(single[0][Tag.sampleFormat] == [3] && single[0][Tag.compression] == [1])
  }

  @Test func pageLimit() throws {
    let pages = (0..<3).map { randomImage(.uint8, width: 4, height: 4, channels: 1, seed: $0) }
    let path = dir + "/three.tif"
    try ImageFile.writePages(pages, to: path)
    try expectReadError(path, .tooLarge, mentioning: ["2 pages"], limits: ReadLimits(maxPages: 2), allPages: true)
    #expect(try ImageFile.readPages(path, limits: ReadLimits(maxPages: 3)) == pages)
    #expect(try ImageFile.read(path, limits: ReadLimits(maxPages: 1)) == pages[0])
  }

  // MARK: Layouts the writer does not produce

  /// 40 x 35 pixels in 16 x 16 tiles: the right and bottom tiles are partial.
  @Test(arguments: [true, false])
  func tiledInterleaved(littleEndian: Bool) throws {
    let image = randomImage(.uint16, width: 40, height: 35, channels: 3, seed: 11)
    guard case .uint16(let source) = image else { return }
    var file = HandTIFF(littleEndian: littleEndian)
    var offsets: [UInt32] = [], counts: [UInt32] = []
    for y0 in stride(from: 0, to: 35, by: 16) {
      for x0 in stride(from: 0, to: 40, by: 16) {
        var tile = [UInt16](repeating: 0xEEEE, count: 16 * 16 * 3)  // padding
        for y in y0..<min(y0 + 16, 35) {
          for x in x0..<min(x0 + 16, 40) {
            for c in 0..<3 { tile[((y - y0) * 16 + (x - x0)) * 3 + c] = source[x, y, c] }
          }
        }
        let data = file.samples(tile)
        offsets.append(file.append(data))
        counts.append(UInt32(data.count))
      }
    }
    file.appendDirectory([
      Tag.imageWidth: .long([40]), Tag.imageLength: .long([35]), Tag.bitsPerSample: .short([16, 16, 16]),
      Tag.compression: .short([1]), Tag.photometric: .short([2]), Tag.samplesPerPixel: .short([3]),
      Tag.planarConfig: .short([1]), Tag.tileWidth: .long([16]), Tag.tileLength: .long([16]),
      Tag.tileOffsets: .long(offsets), Tag.tileByteCounts: .long(counts),
    ])
    #expect(try ImageFile.read(writeFile(file.bytes, dir, "tiled-\(littleEndian).tif")) == image)
  }

  @Test func tiledSeparatePlanes() throws {
    let image = randomImage(.uint8, width: 20, height: 18, channels: 2, seed: 12)
    guard case .uint8(let source) = image else { return }
    var file = HandTIFF()
    var offsets: [UInt32] = [], counts: [UInt32] = []
    for c in 0..<2 {
      for y0 in stride(from: 0, to: 18, by: 16) {
        for x0 in stride(from: 0, to: 20, by: 16) {
          var tile = [UInt8](repeating: 0xEE, count: 16 * 16)
          for y in y0..<min(y0 + 16, 18) {
            for x in x0..<min(x0 + 16, 20) { tile[(y - y0) * 16 + (x - x0)] = source[x, y, c] }
          }
          offsets.append(file.append(tile))
          counts.append(256)
        }
      }
    }
    file.appendDirectory([
      Tag.imageWidth: .long([20]), Tag.imageLength: .long([18]), Tag.bitsPerSample: .short([8, 8]),
      Tag.compression: .short([1]), Tag.photometric: .short([1]), Tag.samplesPerPixel: .short([2]),
      Tag.planarConfig: .short([2]), Tag.tileWidth: .long([16]), Tag.tileLength: .long([16]),
      Tag.tileOffsets: .long(offsets), Tag.tileByteCounts: .long(counts),
    ])
    #expect(try ImageFile.read(writeFile(file.bytes, dir, "tiled-planes.tif")) == image)
  }

  /// Big-endian 32-bit samples, separate planes, 4 rows per strip (the last
  /// strip has 3).
  @Test func stripsOfSeparatePlanesBigEndian() throws {
    let image = randomImage(.uint32, width: 9, height: 11, channels: 3, seed: 13)
    guard case .uint32(let source) = image else { return }
    var file = HandTIFF(littleEndian: false)
    var offsets: [UInt32] = [], counts: [UInt32] = []
    for c in 0..<3 {
      for y0 in stride(from: 0, to: 11, by: 4) {
        var strip: [UInt32] = []
        for y in y0..<min(y0 + 4, 11) {
          for x in 0..<9 { strip.append(source[x, y, c]) }
        }
        let data = file.samples(strip)
        offsets.append(file.append(data))
        counts.append(UInt32(data.count))
      }
    }
    file.appendDirectory([
      Tag.imageWidth: .short([9]), Tag.imageLength: .short([11]), Tag.bitsPerSample: .short([32, 32, 32]),
      Tag.compression: .short([1]), Tag.photometric: .short([2]), Tag.samplesPerPixel: .short([3]),
      Tag.planarConfig: .short([2]), Tag.rowsPerStrip: .long([4]),
      Tag.stripOffsets: .long(offsets), Tag.stripByteCounts: .long(counts),
    ])
    #expect(try ImageFile.read(writeFile(file.bytes, dir, "planes-be.tif")) == image)
  }

  // MARK: The DSB 2018 sample

  @Test func dsb2018ImageAndMask() throws {
    let image = try ImageFile.read(try datasetPath("dsb2018-sample/img2d.tif"))
    #expect(image.sampleType == .uint16 && image.channels == 1)
    #expect(image.width == 512 && image.height == 512)
    let mask = try ImageFile.read(try datasetPath("dsb2018-sample/mask2d.tif"))
    #expect(mask.sampleType == .uint16 && mask.channels == 1)
    #expect(mask.width == 512 && mask.height == 512)
    #expect(mask.distinctNonZeroCount == 125)
    #expect(try ImageFile.readPages(try datasetPath("dsb2018-sample/mask2d.tif")) == [mask])
  }

  // MARK: Bad input

  /// A one-strip, 8 x 4 page with the given sample layout.
  func onePage(bits: [UInt16], format: UInt16? = nil, photometric: UInt16 = 1, width: UInt32 = 8, height: UInt32 = 4, byteCount: UInt32? = nil) -> [UInt8] {
    var file = HandTIFF()
    let size = Int(width) * Int(height) * bits.reduce(0) { $0 + Int($1) } / 8
    let offset = file.append([UInt8](repeating: 7, count: min(size, 4096)))
    var fields: [UInt16: HandTIFF.Values] = [
      Tag.imageWidth: .long([width]), Tag.imageLength: .long([height]), Tag.bitsPerSample: .short(bits),
      Tag.compression: .short([1]), Tag.photometric: .short([photometric]), Tag.samplesPerPixel: .short([UInt16(bits.count)]),
      Tag.rowsPerStrip: .long([height]), Tag.stripOffsets: .long([offset]), Tag.stripByteCounts: .long([byteCount ?? UInt32(clamping: size)]),
    ]
    if let format { fields[Tag.sampleFormat] = .short([UInt16](repeating: format, count: bits.count)) }
    file.appendDirectory(fields)
    return file.bytes
  }

  @Test func theHandBuiltPageIsValid() throws {
    let image = try ImageFile.read(writeFile(onePage(bits: [8]), dir, "ok.tif"))
    #expect(image == .uint8(Image(width: 8, height: 4, repeating: 7)))
  }

  @Test func truncatedFile() throws {
    let path = dir + "/whole.tif"
    try ImageFile.write(randomImage(.uint16, width: 64, height: 64, channels: 1, seed: 9), to: path)
    let whole = try fileBytes(path)
    for cut in [3, 7, whole.count / 2, whole.count - 10] {
      try expectReadError(writeFile(Array(whole[..<cut]), dir, "cut\(cut).tif"), .truncated, mentioning: ["TIFF truncated"])
    }
  }

  @Test func stripPastTheEndOfTheFile() throws {
    // Two strips; the second claims 32 bytes from 8 bytes before the end.
    var file = HandTIFF()
    let first = file.append([UInt8](repeating: 1, count: 32))
    file.appendDirectory([
      Tag.imageWidth: .long([8]), Tag.imageLength: .long([8]), Tag.bitsPerSample: .short([8]),
      Tag.compression: .short([1]), Tag.photometric: .short([1]), Tag.rowsPerStrip: .long([4]),
      Tag.stripOffsets: .long([first, 0]), Tag.stripByteCounts: .long([32, 32]),
    ])
    var bytes = file.bytes
    let second = UInt32(bytes.count - 8)
    // Patch the second strip offset (the out-of-line StripOffsets array is the
    // directory's tail: its last 8 bytes are the two offsets, then the counts).
    let table = try #require((0..<bytes.count - 8).last { i in
      bytes[i..<i + 4].elementsEqual(withUnsafeBytes(of: first.littleEndian) { Array($0) })
        && bytes[i + 4..<i + 8].elementsEqual([0, 0, 0, 0])
    })
    bytes.replaceSubrange(table + 4..<table + 8, with: withUnsafeBytes(of: second.littleEndian) { Array($0) })
    try expectReadError(writeFile(bytes, dir, "short.tif"), .truncated, mentioning: ["strip 1"])
  }

  @Test func notATIFF() throws {
    try expectReadError(writeFile(Array("GIF89a, not a TIFF".utf8), dir, "gif.tif"), .corrupt, mentioning: ["not a TIFF"])
  }

  @Test func unsupportedSampleFormatsAreNamed() throws {
    let cases: [(bits: [UInt16], format: UInt16?, photometric: UInt16, words: String)] = [
      ([64], 3, 1, "64-bit float"),
      ([16], 3, 1, "16-bit float"),
      ([16], 2, 1, "16-bit signed integer"),
      ([8], 2, 1, "8-bit signed integer"),
      ([1], nil, 1, "1-bit"),
      ([4], nil, 1, "4-bit unsigned"),
      ([64], 1, 1, "64-bit unsigned"),
      ([32], 6, 1, "complex float"),
      ([8, 8, 8, 8, 8], nil, 1, "5 samples per pixel"),
      ([8, 8, 8], nil, 6, "YCbCr"),
    ]
    for (n, c) in cases.enumerated() {
      let path = writeFile(onePage(bits: c.bits, format: c.format, photometric: c.photometric), dir, "fmt\(n).tif")
      try expectReadError(path, .unsupported, mentioning: [c.words])
    }
  }

  @Test func unsupportedSecondPageIsNamed() throws {
    var file = HandTIFF()
    for format: UInt16 in [1, 3] {
      let offset = file.append([UInt8](repeating: 0, count: 64))
      file.appendDirectory([
        Tag.imageWidth: .long([4]), Tag.imageLength: .long([2]), Tag.bitsPerSample: .short([format == 1 ? 8 : 64]),
        Tag.compression: .short([1]), Tag.photometric: .short([1]), Tag.sampleFormat: .short([format]),
        Tag.rowsPerStrip: .long([2]), Tag.stripOffsets: .long([offset]), Tag.stripByteCounts: .long([format == 1 ? 8 : 64]),
      ])
    }
    let path = writeFile(file.bytes, dir, "second.tif")
    #expect(try ImageFile.read(path).width == 4)
    try expectReadError(path, .unsupported, mentioning: ["page 2", "64-bit float"], allPages: true)
  }

  @Test func hugeHeaderIsRejectedBeforeAllocating() throws {
    // 10^10 pixels: allocating them would take 10 GB; the header alone must fail.
    let bytes = onePage(bits: [8], width: 100_000, height: 100_000, byteCount: 4096)
    try expectReadError(writeFile(bytes, dir, "huge.tif"), .tooLarge, mentioning: ["100000 x 100000"])
  }

  @Test func pixelLimitIsConfigurable() throws {
    let path = writeFile(onePage(bits: [8]), dir, "small.tif")
    try expectReadError(path, .tooLarge, mentioning: ["8 x 4"], limits: ReadLimits(maxPixels: 31))
    #expect(try ImageFile.read(path, limits: ReadLimits(maxPixels: 32)).width == 8)
  }

  @Test func failedWriteLeavesNoFile() throws {
    let pages = [randomImage(.uint8, width: 4, height: 4, channels: 1, seed: 1), .uint8(Image(width: 0, height: 4))]
    let path = dir + "/stack.tif"
    let error = try #require(throws: RasterError.self) { try ImageFile.writePages(pages, to: path) }
    #expect(error.code == .unsupported && error.path == path)
    #expect(error.reason.contains("page 2"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }

  // MARK: Silence

  /// Set in the child process of ``badInputPrintsNothing()``: where to put
  /// what its standard error received.
  static let probeVariable = "UNETKIT_STDERR_PROBE"

  /// libtiff and libpng print nothing, even for broken files: every message
  /// ends up in the thrown error.
  ///
  /// Standard error belongs to the whole process, and other tests (and the
  /// test runner's own reporting) write to it while this one runs; so this
  /// test starts this very test binary again, filtered to this test alone,
  /// and that child captures file descriptor 2 around the reads.
  @Test func badInputPrintsNothing() throws {
    let files = try brokenFiles()
    if let report = ProcessInfo.processInfo.environment[Self.probeVariable] {
      // The child: the only test running in this process.
      let captured = try capturingStandardError {
        for path in files {
          #expect(throws: RasterError.self) { _ = try ImageFile.readPages(path) }
        }
      }
      try Data(captured.utf8).write(to: URL(fileURLWithPath: report))
      return
    }
    #if os(Linux)
      let binary = CommandLine.arguments[0]
      try #require(binary.hasSuffix(".xctest"), "expected to run inside the test binary, not \(binary)")
      let report = dir + "/stderr.txt", log = dir + "/child.log"
      _ = FileManager.default.createFile(atPath: log, contents: nil)
      let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
      let child = Process()
      child.executableURL = URL(fileURLWithPath: binary)
      child.arguments = ["--testing-library", "swift-testing", "--filter", "TIFFTests/badInputPrintsNothing"]
      child.environment = ProcessInfo.processInfo.environment.merging([Self.probeVariable: report]) { $1 }
      child.standardOutput = output
      child.standardError = output
      try child.run()
      child.waitUntilExit()
      try output.close()
      let childLog = String(decoding: try fileBytes(log), as: UTF8.self)
      #expect(child.terminationStatus == 0, "the child test failed:\n\(childLog)")
      let captured = try #require(FileManager.default.contents(atPath: report), "the child wrote no report:\n\(childLog)")
      #expect(captured.isEmpty, "standard error received: \(String(decoding: captured, as: UTF8.self))")
    #else
      // Elsewhere the test runner is not a plain executable to start again:
      // check the errors only.
      for path in files {
        #expect(throws: RasterError.self) { _ = try ImageFile.readPages(path) }
      }
    #endif
  }

  /// One file for each way of failing that reaches libpng or libtiff.
  func brokenFiles() throws -> [String] {
    var paths: [String] = []
    let png = dir + "/ok.png", tif = dir + "/ok.tif"
    try ImageFile.write(randomImage(.uint8, width: 32, height: 32, channels: 3, seed: 1), to: png)
    try ImageFile.writePages([randomImage(.uint16, width: 32, height: 32, channels: 1, seed: 2)], to: tif)
    let pngBytes = try fileBytes(png), tifBytes = try fileBytes(tif)
    paths.append(writeFile(Array(pngBytes[..<(pngBytes.count / 2)]), dir, "cut.png"))
    var crc = pngBytes
    crc[20] ^= 1
    paths.append(writeFile(crc, dir, "crc.png"))
    paths.append(writeFile(HandPNG.file(width: 100_000, height: 100_000, bitDepth: 8, colorType: 0, rows: [0]), dir, "huge.png"))
    paths.append(writeFile(Array(tifBytes[..<(tifBytes.count / 2)]), dir, "cut.tif"))
    paths.append(writeFile(Array(tifBytes[..<(tifBytes.count - 6)]), dir, "cut-end.tif"))
    var garbage = tifBytes
    for i in stride(from: garbage.count - 120, to: garbage.count, by: 3) { garbage[i] = 0xA5 }  // the directory
    paths.append(writeFile(garbage, dir, "garbage.tif"))
    paths.append(writeFile(onePage(bits: [64], format: 3), dir, "f64.tif"))
    paths.append(writeFile(onePage(bits: [8], width: 100_000, height: 100_000, byteCount: 4096), dir, "huge.tif"))
    return paths
  }
}

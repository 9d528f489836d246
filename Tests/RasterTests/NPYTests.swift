import Foundation
import Testing
import _TestSupport

@testable import Raster

@Suite struct NPYTests {
  let dir = makeTemporaryDirectory()

  func random<S: PixelSample>(_: S.Type, width: Int, height: Int, channels: Int, seed: UInt64, make: (UInt64) -> S) -> Image<S> {
    var rng = SplitMix64(seed: seed)
    return Image(width: width, height: height, channels: channels, samples: (0..<(width * height * channels)).map { _ in make(rng.next()) })
  }

  @Test(arguments: [1, 2, 3, 4])
  func roundTripEveryType(channels: Int) throws {
    let images: [AnyImage] = [
      AnyImage(random(UInt8.self, width: 13, height: 7, channels: channels, seed: 1) { UInt8(truncatingIfNeeded: $0) }),
      AnyImage(random(UInt16.self, width: 13, height: 7, channels: channels, seed: 2) { UInt16(truncatingIfNeeded: $0) }),
      AnyImage(random(UInt32.self, width: 13, height: 7, channels: channels, seed: 3) { UInt32(truncatingIfNeeded: $0) }),
      AnyImage(random(Int32.self, width: 13, height: 7, channels: channels, seed: 4) { Int32(truncatingIfNeeded: $0) }),
      AnyImage(random(Float.self, width: 13, height: 7, channels: channels, seed: 5) { Float(bitPattern: UInt32(truncatingIfNeeded: $0) & 0x7F7F_FFFF) }),
    ]
    for image in images {
      let path = dir + "/rt-\(image.sampleType)-\(channels).npy"
      try ImageFile.write(image, to: path)
      let back = try ImageFile.read(path)
      #expect(back == image, "NPY round trip of \(image.sampleType) x\(channels)")
    }
  }

  /// The exact bytes numpy 2 writes for `np.save(f, np.array([[1, 2, 3], [4, 5, 6]], dtype='<u2'))`.
  @Test func readsNumpyBytes() throws {
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0]
    let header = "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }"
    bytes += Array(header.utf8) + Array(repeating: 0x20, count: 118 - header.utf8.count - 1) + [0x0A]
    for v: UInt16 in [1, 2, 3, 4, 5, 6] { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }
    #expect(bytes.count == 128 + 12)
    let path = dir + "/numpy.npy"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let image = try ImageFile.read(path)
    #expect(image == .uint16(Image(width: 3, height: 2, samples: [1, 2, 3, 4, 5, 6])))
    // And what we write is what numpy writes, padding included.
    #expect(try NPYCodec.encode(image) == bytes)
  }

  @Test func headerIsPaddedTo64() throws {
    let bytes = try NPYCodec.encode(.float32(Image(width: 5, height: 4, channels: 3, repeating: 1.5)))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
    #expect(bytes[10 + headerLength - 1] == 0x0A)
  }

  @Test func version2Header() throws {
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [2, 0]
    var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }"
    header += String(repeating: " ", count: 64 - (12 + header.utf8.count + 1) % 64) + "\n"
    let n = header.utf8.count
    bytes += [UInt8(n & 0xff), UInt8(n >> 8), 0, 0] + Array(header.utf8) + [7, 9]
    let path = dir + "/v2.npy"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(try ImageFile.read(path) == .uint8(Image(width: 2, height: 1, samples: [7, 9])))
  }

  func npy(descr: String, fortran: Bool = false, shape: String, payload: Int) -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
    header += String(repeating: " ", count: 64 - (10 + header.utf8.count + 1) % 64) + "\n"
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
      + [UInt8](repeating: 0, count: payload)
  }

  func expectError(_ bytes: [UInt8], name: String, code: RasterError.Code, mentioning words: String) throws {
    let path = dir + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let error = try #require(throws: RasterError.self) { try ImageFile.read(path) }
    #expect(error.code == code)
    #expect(error.description.hasPrefix(path + ": "))
    #expect(error.reason.contains(words), "\(error)")
    #expect(!error.description.contains("\n"))
  }

  @Test func rejectsBigEndian() throws {
    try expectError(npy(descr: ">f4", shape: "(2, 2)", payload: 16), name: "be.npy", code: .unsupported, mentioning: "big-endian")
  }

  @Test func rejectsFortranOrder() throws {
    try expectError(npy(descr: "<f4", fortran: true, shape: "(2, 2)", payload: 16), name: "f.npy", code: .unsupported, mentioning: "Fortran")
  }

  @Test func rejectsHugeHeaderBeforeAllocating() throws {
    try expectError(npy(descr: "<f4", shape: "(100000, 100000)", payload: 0), name: "huge.npy", code: .tooLarge, mentioning: "100000 x 100000")
  }

  @Test func rejectsTruncatedData() throws {
    try expectError(npy(descr: "<u2", shape: "(4, 4)", payload: 20), name: "trunc.npy", code: .truncated, mentioning: "truncated")
    try expectError(Array(npy(descr: "<u2", shape: "(4, 4)", payload: 0).prefix(40)), name: "trunc2.npy", code: .truncated, mentioning: "header")
  }

  @Test func rejectsOtherDtypesAndShapes() throws {
    try expectError(npy(descr: "<f8", shape: "(2, 2)", payload: 32), name: "f8.npy", code: .unsupported, mentioning: "<f8")
    try expectError(npy(descr: "<u1", shape: "(2, 2, 2, 2)", payload: 16), name: "4d.npy", code: .unsupported, mentioning: "shape")
    try expectError(Array("not an npy file at all".utf8), name: "junk.npy", code: .corrupt, mentioning: "magic")
  }

  @Test func limitIsConfigurable() throws {
    let path = dir + "/small.npy"
    try ImageFile.write(Image<UInt8>(width: 10, height: 10), to: path)
    #expect(throws: RasterError.self) { try ImageFile.read(path, limits: ReadLimits(maxPixels: 99)) }
    #expect(try ImageFile.read(path, limits: ReadLimits(maxPixels: 100)).width == 10)
  }
}

@Suite struct NPYChannelsFirstTests {
  @Test func planarLayoutAndHeader() throws {
    // 2x1 pixels, 3 channels: (r0 g0 b0) (r1 g1 b1) → planes r0 r1 | g0 g1 | b0 b1.
    let image = Image<UInt16>(width: 2, height: 1, channels: 3, samples: [1, 2, 3, 4, 5, 6])
    let bytes = try ImageFile.encoded(AnyImage(image), as: .npy, channelsFirst: true)
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    #expect(header.contains("'shape': (3, 1, 2)"))
    let payload = Array(bytes[(10 + headerLength)...])
    #expect(payload == [1, 0, 4, 0, 2, 0, 5, 0, 3, 0, 6, 0])
    // One channel is unaffected.
    let gray = AnyImage(Image<Float>(width: 3, height: 2, repeating: 0.5))
    #expect(try ImageFile.encoded(gray, as: .npy, channelsFirst: true) == ImageFile.encoded(gray, as: .npy))
    #expect(try ImageFile.decoded(ImageFile.encoded(gray, as: .npy), as: .npy) == gray)
  }
}

/// Rank-3 arrays: the caller says whether the first axis is channels
/// `(C, H, W)` or depth `(D, H, W)`.
@Suite struct NPYRankThreeTests {
  /// Header plus payload of a C-order array, as `numpy.save` writes it.
  func npy(_ descr: String, _ shape: [Int], _ payload: [UInt8]) -> [UInt8] {
    let text = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(text), }"
    header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + payload
  }

  @Test func channelsFirstReadsPlanes() throws {
    // (C, H, W) = (3, 1, 2): planes r0 r1 | g0 g1 | b0 b1.
    let bytes = npy("|u1", [3, 1, 2], [1, 4, 2, 5, 3, 6])
    let image = try ImageFile.decoded(bytes, as: .npy, channelsFirst: true)
    #expect(image == .uint8(Image(width: 2, height: 1, channels: 3, samples: [1, 2, 3, 4, 5, 6])))
    // The same bytes read as (H, W, C) are 3 rows of 1 pixel of 2 channels.
    #expect(try ImageFile.decoded(bytes, as: .npy) == .uint8(Image(width: 1, height: 3, channels: 2, samples: [1, 4, 2, 5, 3, 6])))
  }

  @Test func channelsFirstRoundTrip() throws {
    var rng = SplitMix64(seed: 8)
    for channels in 1...4 {
      let image = Image<Float>(
        width: 5, height: 3, channels: channels, samples: (0..<(15 * channels)).map { _ in Float(rng.unit()) })
      let bytes = try ImageFile.encoded(AnyImage(image), as: .npy, channelsFirst: true)
      #expect(try ImageFile.decoded(bytes, as: .npy, channelsFirst: true) == .float32(image))
      #expect(Image(width: 5, height: 3, channels: channels, planarSamples: image.planarSamples) == image)
    }
  }

  @Test func volumeReadsDepthHeightWidth() throws {
    // (D, H, W) = (2, 2, 3), values 0..<12 in C order: voxel (x, y, z) = 6z + 3y + x.
    let bytes = npy("<u2", [2, 2, 3], (0..<12).flatMap { [UInt8($0), 0] })
    let volume = try ImageFile.decodedVolume(bytes, as: .npy)
    #expect(volume.width == 3 && volume.height == 2 && volume.depth == 2)
    let typed = try #require(volume.typed(UInt16.self))
    for z in 0..<2 { for y in 0..<2 { for x in 0..<3 { #expect(typed[x, y, z] == UInt16(6 * z + 3 * y + x)) } } }
    #expect(ImageFile.encodedVolumeBytes(typed) == bytes)
  }

  @Test func volumeRoundTripEveryType() throws {
    var rng = SplitMix64(seed: 3)
    let volumes: [AnyVolume] = [
      AnyVolume(Volume<UInt8>(width: 4, height: 3, depth: 5, samples: (0..<60).map { _ in UInt8(truncatingIfNeeded: rng.next()) })),
      AnyVolume(Volume<UInt16>(width: 4, height: 3, depth: 5, samples: (0..<60).map { _ in UInt16(truncatingIfNeeded: rng.next()) })),
      AnyVolume(Volume<UInt32>(width: 4, height: 3, depth: 5, samples: (0..<60).map { _ in UInt32(truncatingIfNeeded: rng.next()) })),
      AnyVolume(Volume<Int32>(width: 4, height: 3, depth: 5, samples: (0..<60).map { _ in Int32(truncatingIfNeeded: rng.next()) })),
      AnyVolume(Volume<Float>(width: 4, height: 3, depth: 5, samples: (0..<60).map { _ in Float(rng.unit()) })),
    ]
    for volume in volumes {
      let back = try ImageFile.decodedVolume(try ImageFile.encoded(volume, as: .npy), as: .npy)
      #expect(back == volume, "\(volume.sampleType)")
    }
  }

  @Test func wrongRankAndLimits() throws {
    func reason(_ body: () throws -> Any) -> String {
      do {
        _ = try body()
        return ""
      } catch let error as RasterError {
        return error.reason
      } catch {
        return "\(error)"
      }
    }
    // A 2-D array is no volume; a (D, H, W) array with W > 4 is no image.
    #expect(reason { try ImageFile.decodedVolume(npy("|u1", [2, 2], [0, 0, 0, 0]), as: .npy) }.contains("(H, W) image"))
    #expect(reason { try ImageFile.decoded(npy("|u1", [5, 2, 2], [UInt8](repeating: 0, count: 20)), as: .npy, channelsFirst: true) }
      .contains("(C, H, W)"))
    #expect(reason { try ImageFile.decoded(npy("|u1", [2, 3, 5], [UInt8](repeating: 0, count: 30)), as: .npy) }
      .contains("volume"))
    // The limit counts voxels.
    let bytes = npy("|u1", [3, 4, 5], [UInt8](repeating: 0, count: 60))
    #expect(reason { try ImageFile.decodedVolume(bytes, as: .npy, limits: ReadLimits(maxPixels: 59)) }.contains("voxels"))
    #expect(try ImageFile.decodedVolume(bytes, as: .npy, limits: ReadLimits(maxPixels: 60)).voxelCount == 60)
    // An empty array may claim any length for its other sides: those are
    // checked one by one, so that no product of them can overflow later.
    let empty = npy("|u1", [1 << 40, 1 << 40, 0], [])
    #expect(reason { try ImageFile.decodedVolume(empty, as: .npy) }.contains("voxels"))
    #expect(reason { try ImageFile.decoded(npy("|u1", [0, 1 << 40], []), as: .npy) }.contains("pixels"))
    #expect(try ImageFile.decodedVolume(npy("|u1", [2, 3, 0], []), as: .npy).voxelCount == 0)
    // PNG holds no volume.
    #expect(reason { try ImageFile.encoded(AnyVolume(Volume<UInt8>(width: 1, height: 1, depth: 2)), as: .png) }.contains("NPY"))
  }
}

extension ImageFile {
  /// The NPY bytes of a typed volume (test shorthand).
  static func encodedVolumeBytes<S: PixelSample>(_ v: Volume<S>) -> [UInt8] {
    (try? encoded(AnyVolume(v), as: .npy)) ?? []
  }
}

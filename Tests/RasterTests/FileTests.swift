import Foundation
import Testing
import _TestSupport

@testable import Raster

@Suite struct FileTests {
  let dir = makeTemporaryDirectory()

  @Test(arguments: ["png", "tif", "npy"])
  func missingFile(ext: String) throws {
    let error = try #require(throws: RasterError.self) { try ImageFile.read(dir + "/nope." + ext) }
    #expect(error.code == .notFound)
    #expect(error.description == dir + "/nope.\(ext): no such file")
  }

  @Test(arguments: ["png", "tif", "npy"])
  func directoryInsteadOfFile(ext: String) throws {
    let path = dir + "/folder." + ext
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let error = try #require(throws: RasterError.self) { try ImageFile.read(path) }
    #expect(error.code == .isDirectory)
    let writeError = try #require(throws: RasterError.self) { try ImageFile.write(Image<UInt8>(width: 2, height: 2), to: path) }
    #expect(writeError.code == .isDirectory)
  }

  @Test(arguments: ["png", "tif", "npy"])
  func zeroByteFile(ext: String) throws {
    let path = dir + "/empty." + ext
    FileManager.default.createFile(atPath: path, contents: Data())
    let error = try #require(throws: RasterError.self) { try ImageFile.read(path) }
    #expect(error.code == .empty)
    #expect(error.description.hasPrefix(path + ": "))
  }

  @Test func unknownExtension() throws {
    let error = try #require(throws: RasterError.self) { try ImageFile.read(dir + "/image.jpg") }
    #expect(error.code == .unknownFormat)
    #expect(error.reason.contains(".jpg"))
    let writeError = try #require(throws: RasterError.self) { try ImageFile.write(Image<UInt8>(width: 2, height: 2), to: dir + "/x.bmp") }
    #expect(writeError.code == .unknownFormat)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }

  @Test func writeIntoMissingFolderFailsCleanly() throws {
    let error = try #require(throws: RasterError.self) { try ImageFile.write(Image<UInt8>(width: 2, height: 2), to: dir + "/no/such/x.npy") }
    #expect(error.code == .io)
  }

  @Test func synthesizerIsDeterministicAndCellsTouch() throws {
    let s = CellSynthesizer(width: 96, height: 80, cells: 12)
    let a = s.generate(seed: 7, index: 3), b = s.generate(seed: 7, index: 3)
    #expect(a.image == b.image && a.labels == b.labels)
    #expect(s.generate(seed: 7, index: 4).labels != a.labels)
    #expect(s.generate(seed: 8, index: 3).labels != a.labels)
    // Some pair of different non-zero ids must be 4-adjacent.
    var touching = 0
    let l = a.labels
    for y in 0..<l.height {
      for x in 0..<(l.width - 1) where l[x, y] != 0 && l[x + 1, y] != 0 && l[x, y] != l[x + 1, y] { touching += 1 }
    }
    #expect(touching > 0)
    #expect((l.range?.max ?? 0) <= 12)
    // Cells are brighter than the background.
    var fg = 0.0, bg = 0.0, nf = 0.0, nb = 0.0
    for i in 0..<l.samples.count {
      if l.samples[i] != 0 { fg += Double(a.image.samples[i]); nf += 1 } else { bg += Double(a.image.samples[i]); nb += 1 }
    }
    #expect(fg / nf > 3 * bg / nb)
  }
}

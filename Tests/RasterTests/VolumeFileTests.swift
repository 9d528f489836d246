import Foundation
import Testing
import _TestSupport

@testable import Raster

/// Volumes in files: TIFF z-stacks with ImageJ's metadata, NPY (D, H, W),
/// and the refusal of stacks where one image is expected.
@Suite struct VolumeFileTests {
  let dir = makeTemporaryDirectory()

  func reason(_ body: () throws -> Any) -> (RasterError.Code, String)? {
    do {
      _ = try body()
      return nil
    } catch let error as RasterError {
      #expect(!error.description.contains("\n"))
      return (error.code, error.reason)
    } catch {
      Issue.record("not a RasterError: \(error)")
      return nil
    }
  }

  @Test(arguments: SampleType.allCases)
  func tiffAndNPYRoundTrip(type: SampleType) throws {
    let slices = (0..<5).map { randomImage(type, width: 7, height: 6, channels: 1, seed: UInt64($0)) }
    let spacing = VoxelSpacing(z: 2.5, y: 0.25, x: 0.25, unit: "µm")
    let volume = AnyVolume(flat: try AnyVolume(slices: slices, path: "x").flat, depth: 5, spacing: spacing)
    for ext in ["tif", "npy"] {
      let path = dir + "/v-\(type).\(ext)"
      try ImageFile.writeVolume(volume, to: path)
      let back = try ImageFile.readVolume(path)
      #expect(bitIdentical(back.flat, volume.flat) && back.depth == 5)
      // TIFF keeps the spacing (ImageJ metadata); NPY has none.
      #expect(back.spacing == (ext == "tif" ? spacing : .unit))
    }
    // Every page of the TIFF is a slice.
    let pages = try ImageFile.readPages(dir + "/v-\(type).tif")
    #expect(pages.count == 5 && zip(pages, slices).allSatisfy { bitIdentical($0, $1) })
  }

  /// What ImageJ writes for a calibrated z-stack, read back: `spacing=`, the
  /// resolution tags, the escaped unit.
  @Test func imageJMetadata() throws {
    let text = "ImageJ=1.54f\nimages=12\nslices=12\nunit=\\u00B5m\nspacing=0.8\nloop=false\n"
    let m = try #require(ImageJMetadata(description: text))
    #expect(m.images == 12 && m.slices == 12 && m.spacing == 0.8 && m.unit == "µm" && m.channels == nil)
    #expect(ImageJMetadata(description: m.description)?.unit == "µm")
    #expect(m.description.allSatisfy { $0.isASCII })
    #expect(ImageJMetadata(description: "not ImageJ") == nil)
  }

  @Test func stacksAreRefusedWhereOneImageIsExpected() throws {
    let path = dir + "/stack.tif"
    try ImageFile.writeVolume(Volume<UInt8>(width: 4, height: 3, depth: 6), to: path)
    let refused = reason { try ImageFile.readImage(path) }
    #expect(refused?.0 == .multiplePages && refused?.1.contains("6 pages of 4 x 3") == true)
    // The first-page reader and the page reader still read it.
    #expect(try ImageFile.read(path).width == 4)
    #expect(try ImageFile.readPages(path).count == 6)
    // An NPY (D, H, W) is no image either.
    let npy = dir + "/stack.npy"
    try ImageFile.writeVolume(Volume<UInt8>(width: 9, height: 3, depth: 6), to: npy)
    #expect(reason { try ImageFile.readImage(npy) }?.0 == .multiplePages)
  }

  @Test func badVolumes() throws {
    // Pages of different sizes.
    let mixed = dir + "/mixed.tif"
    try ImageFile.writePages([.uint8(Image(width: 4, height: 4)), .uint8(Image(width: 5, height: 4))], to: mixed)
    #expect(reason { try ImageFile.readVolume(mixed) }?.1.contains("page 2 is 5 x 4 but page 1 is 4 x 4") == true)
    // A single page, a single NPY slice, a 2-D NPY, a PNG.
    let single = dir + "/single.tif"
    try ImageFile.write(Image<UInt8>(width: 4, height: 4), to: single)
    #expect(reason { try ImageFile.readVolume(single) }?.1.contains("single page") == true)
    let slice = dir + "/slice.npy"
    try ImageFile.writeVolume(Volume<UInt8>(width: 4, height: 4, depth: 1), to: slice)
    #expect(reason { try ImageFile.readVolume(slice) }?.1.contains("single slice") == true)
    let flat = dir + "/flat.npy"
    try ImageFile.write(Image<UInt8>(width: 4, height: 4), to: flat)
    #expect(reason { try ImageFile.readVolume(flat) }?.1.contains("(H, W) image") == true)
    let png = dir + "/p.png"
    try ImageFile.write(Image<UInt8>(width: 4, height: 4), to: png)
    #expect(reason { try ImageFile.readVolume(png) }?.0 == .unsupported)
    // More voxels than the limit, before any pixel is read.
    let big = dir + "/big.tif"
    try ImageFile.writeVolume(Volume<UInt8>(width: 10, height: 10, depth: 10), to: big)
    #expect(reason { try ImageFile.readVolume(big, limits: ReadLimits(maxPixels: 999)) }?.0 == .tooLarge)
    #expect(try ImageFile.readVolume(big, limits: ReadLimits(maxPixels: 1000)).voxelCount == 1000)
    // Channels.
    let rgb = dir + "/rgb.tif"
    try ImageFile.writePages([.uint8(Image(width: 2, height: 2, channels: 3)), .uint8(Image(width: 2, height: 2, channels: 3))], to: rgb)
    #expect(reason { try ImageFile.readVolume(rgb) }?.1.contains("3 channels") == true)
  }

  /// A non-positive ImageJ spacing, written by hand into the description.
  @Test func nonPositiveSpacingInTheFile() throws {
    let path = dir + "/zero.tif"
    try ImageFile.writeVolume(Volume<UInt8>(width: 3, height: 3, depth: 2, spacing: VoxelSpacing(z: 5, y: 1, x: 1)), to: path)
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let needle = Array("spacing=5.0".utf8)
    let at = try #require((0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
    bytes.replaceSubrange(at..<(at + needle.count), with: Array("spacing=0.0".utf8))
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(reason { try ImageFile.readVolume(path) }?.1.contains("spacing=0.0 is not positive") == true)
    // A spacing given by the caller replaces the file's.
    #expect(try ImageFile.readVolume(path, spacing: .unit).spacing == .unit)
  }

  @Test func synthesizedNucleiTouchAndRepeat() {
    let synth = VolumeCellSynthesizer(width: 48, height: 40, depth: 16, cells: 12)
    let a = synth.generate(seed: 3, index: 1)
    #expect(a == synth.generate(seed: 3, index: 1))
    #expect(a != synth.generate(seed: 3, index: 2))
    let labels = a.labels
    #expect(Set(labels.samples).count > 8)
    // Some voxel of one nucleus has a face neighbour in another.
    var touching = 0
    for z in 0..<16 { for y in 0..<40 { for x in 0..<47 {
      let (p, q) = (labels[x, y, z], labels[x + 1, y, z])
      if p != 0 && q != 0 && p != q { touching += 1 }
    } } }
    #expect(touching > 10)
  }
}

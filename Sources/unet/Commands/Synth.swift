import ArgumentParser
import Foundation
import Raster

/// `unet synth`: a deterministic set of touching-cell images with instance labels.
struct Synth: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate fluorescence-like cell images with instance labels (many cells touch).",
    discussion: """
      Writes OUT/images/NAME.png (16-bit intensities) and OUT/labels/NAME.png
      (16-bit instance ids, 0 = background). With --size WxHxD it makes
      volumes of touching ellipsoidal nuclei instead, as 16-bit multi-page
      TIFFs (a z-stack, D pages of W x H; unit voxel spacing), NAME.tif. The
      same seed gives byte-identical files.
      """)

  @Option(help: "Output folder.")
  var out: String

  @Option(help: "Number of images.")
  var count: Int = 1

  @Option(help: "Image size WxH, e.g. 512x512, or volume size WxHxD (width, height, slices), e.g. 256x256x64.")
  var size: ImageSize = ImageSize(argument: "512x512")!

  @Option(help: "Random seed.")
  var seed: UInt64 = 0

  @Option(help: "Cells placed per image (default: one per 1200 pixels, or per 28000 voxels, at most 65535).")
  var cells: Int?

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
    if let depth = size.depth {
      guard [size.width, size.height, depth].allSatisfy({ (4...4096).contains($0) }),
        size.width * size.height * depth <= 1 << 28
      else {
        throw ValidationError(
          "--size must be between 4x4x4 and 4096x4096x4096 with at most 2^28 voxels, got \(size.width)x\(size.height)x\(depth)")
      }
    } else {
      guard size.width >= 8, size.height >= 8, size.width <= 32_768, size.height <= 32_768 else {
        throw ValidationError("--size must be between 8x8 and 32768x32768, got \(size.width)x\(size.height)")
      }
    }
    if let cells, !(1...65_535).contains(cells) {
      throw ValidationError("--cells must be 1...65535 (16-bit ids), got \(cells)")
    }
  }

  func execute() throws {
    let cellCount: Int
    try makeDirectory(out + "/images")
    try makeDirectory(out + "/labels")
    let digits = max(3, String(count - 1).count)
    // Image k as NAME, (image, labels) through `write`.
    let write: (Int, String) throws -> Void
    if let depth = size.depth {
      let synthesizer = VolumeCellSynthesizer(width: size.width, height: size.height, depth: depth, cells: cells)
      cellCount = synthesizer.cells
      write = { k, name in
        let (image, labels) = synthesizer.generate(seed: seed, index: k)
        try ImageFile.writeVolume(image, to: "\(out)/images/\(name).tif")
        try ImageFile.writeVolume(labels, to: "\(out)/labels/\(name).tif")
      }
    } else {
      let synthesizer = CellSynthesizer(width: size.width, height: size.height, cells: cells)
      cellCount = synthesizer.cells
      write = { k, name in
        let (image, labels) = synthesizer.generate(seed: seed, index: k)
        try ImageFile.write(image, to: "\(out)/images/\(name).png")
        try ImageFile.write(labels, to: "\(out)/labels/\(name).png")
      }
    }
    for k in 0..<count {
      try write(k, "cells_" + String(repeating: "0", count: max(0, digits - String(k).count)) + String(k))
    }
    let what = size.depth.map { "volume\(count == 1 ? "" : "s") of \(size.width)x\(size.height)x\($0)" }
      ?? "image\(count == 1 ? "" : "s") of \(size.width)x\(size.height)"
    print("wrote \(count) \(what) with \(cellCount) cells each to \(out)/images and \(out)/labels")
  }
}

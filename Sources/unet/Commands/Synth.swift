import ArgumentParser
import Foundation
import Raster

/// `unet synth`: a deterministic set of touching-cell images with instance labels.
struct Synth: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate fluorescence-like cell images with instance labels (many cells touch).",
    discussion: """
      Writes OUT/images/NAME.png (16-bit intensities) and OUT/labels/NAME.png
      (16-bit instance ids, 0 = background). The same seed gives byte-identical
      files.
      """)

  @Option(help: "Output folder.")
  var out: String

  @Option(help: "Number of images.")
  var count: Int = 1

  @Option(help: "Image size WxH, e.g. 512x512.")
  var size: ImageSize = ImageSize(argument: "512x512")!

  @Option(help: "Random seed.")
  var seed: UInt64 = 0

  @Option(help: "Cells placed per image (default: one per 1200 pixels, at most 65535).")
  var cells: Int?

  func validate() throws {
    guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
    guard size.width >= 8, size.height >= 8, size.width <= 32_768, size.height <= 32_768 else {
      throw ValidationError("--size must be between 8x8 and 32768x32768, got \(size.width)x\(size.height)")
    }
    if let cells, !(1...65_535).contains(cells) {
      throw ValidationError("--cells must be 1...65535 (16-bit ids), got \(cells)")
    }
  }

  func execute() throws {
    let synthesizer = CellSynthesizer(width: size.width, height: size.height, cells: cells)
    try makeDirectory(out + "/images")
    try makeDirectory(out + "/labels")
    let digits = max(3, String(count - 1).count)
    for k in 0..<count {
      let name = "cells_" + String(repeating: "0", count: max(0, digits - String(k).count)) + String(k)
      let (image, labels) = synthesizer.generate(seed: seed, index: k)
      try ImageFile.write(image, to: "\(out)/images/\(name).png")
      try ImageFile.write(labels, to: "\(out)/labels/\(name).png")
    }
    print("wrote \(count) image\(count == 1 ? "" : "s") of \(size.width)x\(size.height) with \(synthesizer.cells) cells each to \(out)/images and \(out)/labels")
  }
}

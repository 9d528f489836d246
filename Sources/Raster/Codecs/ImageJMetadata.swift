/// The hyperstack metadata ImageJ and Fiji keep in a TIFF's first
/// ImageDescription: lines `key=value` after `ImageJ=VERSION`, among them
/// `images`, `channels`, `slices`, `frames` (the page count and its
/// split), `unit` and `spacing` (the z step, in `unit`). The x and y pixel
/// sizes are the XResolution and YResolution tags (pixels per `unit`).
///
/// Reference: ImageJ's `ij.io.FileSaver.getDescriptionString` and
/// `ij.io.Opener`/`TiffDecoder.saveImageDescription`.
struct ImageJMetadata: Equatable {
  var images: Int?
  var channels: Int?
  var slices: Int?
  var frames: Int?
  var unit: String?
  var spacing: Double?

  /// Parses a description; nil when it is not ImageJ's.
  init?(description: String) {
    guard description.hasPrefix("ImageJ=") else { return nil }
    for line in description.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
      guard let eq = line.firstIndex(of: "=") else { continue }
      let key = line[..<eq].trimmingCharacters(in: .whitespaces)
      let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      switch key {
      case "images": images = Int(value)
      case "channels": channels = Int(value)
      case "slices": slices = Int(value)
      case "frames": frames = Int(value)
      case "spacing": spacing = Double(value)
      case "unit": unit = Self.unescaped(value)
      default: continue
      }
    }
  }

  init(images: Int, slices: Int, unit: String?, spacing: Double?) {
    self.images = images
    self.slices = slices
    self.unit = unit
    self.spacing = spacing
  }

  /// The description ImageJ writes for a z-stack, ASCII (non-ASCII in the
  /// unit as ImageJ escapes it, `\u00B5m`).
  var description: String {
    var text = "ImageJ=1.11a\n"
    if let images { text += "images=\(images)\n" }
    if let slices { text += "slices=\(slices)\n" }
    if let unit { text += "unit=\(Self.escaped(unit))\n" }
    if let spacing { text += "spacing=\(spacing)\n" }
    return text + "loop=false\n"
  }

  /// ImageJ writes `µ` as the six characters `\u00B5`.
  static func unescaped(_ text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while let r = rest.range(of: "\\u") {
      out += rest[..<r.lowerBound]
      let hex = rest[r.upperBound...].prefix(4)
      if hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) {
        out.unicodeScalars.append(scalar)
        rest = rest[r.upperBound...].dropFirst(4)
      } else {
        out += "\\u"
        rest = rest[r.upperBound...]
      }
    }
    return out + rest
  }

  static func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      if scalar.isASCII && scalar.value >= 0x20 {
        out.unicodeScalars.append(scalar)
      } else {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
      }
    }
    return out
  }
}

import Foundation

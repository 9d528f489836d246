import Foundation
import Raster

/// Reads the `image.npy` field of a training sample: float32 of shape
/// `(H, W)` or channels-first `(C, H, W)`, as written by `unet augment`.
///
/// Raster's NPY decoder reads `(H, W)` and `(H, W, C)`. A `(C, H, W)` array is
/// C-contiguous, so its bytes are those of the `(C·H, W)` array of stacked
/// planes: the header's shape is rewritten to that and the bytes handed to
/// Raster, which still checks the dtype, byte order and length.
enum PlanarNPY {
  /// The decoded planes: `planes` holds C×H×W floats, plane after plane,
  /// each row-major.
  struct Planes {
    var channels: Int
    var height: Int
    var width: Int
    var planes: [Float]
  }

  /// Decodes `bytes`; `name` (file and entry) is named in errors.
  /// - Throws: `RasterError` for a malformed file, `TrainingError` for
  ///   another dtype or rank.
  static func decode(_ bytes: [UInt8], name: String) throws -> Planes {
    var channels = 1
    var data = bytes
    if let header = Header(bytes), header.shape.count == 3 {
      let (rows, overflow) = header.shape[0].multipliedReportingOverflow(by: header.shape[1])
      if !overflow {
        channels = header.shape[0]
        data = header.reshaped(bytes, to: [rows, header.shape[2]])
      }
    }
    let image = try ImageFile.decoded(data, as: .npy, name: name)
    guard case .float32(let stacked) = image else {
      throw TrainingError("\(name): expected float32 samples, got \(image.sampleType.rawValue)")
    }
    guard stacked.channels == 1, channels > 0 else {
      throw TrainingError("\(name): expected the shape (H, W) or (C, H, W) with C > 0")
    }
    return Planes(
      channels: channels, height: stacked.height / channels, width: stacked.width, planes: stacked.samples)
  }

  /// The header of an NPY file, as far as the shape goes; nil when the bytes
  /// are not an NPY file (Raster then says why).
  struct Header {
    /// Where the header text starts, and its length in bytes.
    var start: Int
    var length: Int
    var text: String
    /// The range of the shape tuple `(…)` in `text`.
    var shapeRange: Range<String.Index>
    var shape: [Int]

    init?(_ bytes: [UInt8]) {
      guard bytes.count >= 12, bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else { return nil }
      switch bytes[6] {
      case 1: (start, length) = (10, Int(bytes[8]) | Int(bytes[9]) << 8)
      case 2, 3:
        (start, length) = (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
      default: return nil
      }
      guard start + length <= bytes.count else { return nil }
      let text = String(decoding: bytes[start..<start + length], as: UTF8.self)
      guard let key = text.range(of: "'shape'") ?? text.range(of: "\"shape\""),
        let open = text[key.upperBound...].firstIndex(of: "("),
        let close = text[open...].firstIndex(of: ")")
      else { return nil }
      let parts = text[text.index(after: open)..<close].split(separator: ",")
      let shape = parts.compactMap { Int($0.filter { !$0.isWhitespace }) }
      guard shape.count == parts.count, shape.allSatisfy({ $0 >= 0 }) else { return nil }
      self.text = text
      self.shapeRange = open..<text.index(after: close)
      self.shape = shape
    }

    /// `bytes` with the header's shape replaced by `shape` (same element
    /// count, so the data stays valid).
    func reshaped(_ bytes: [UInt8], to shape: [Int]) -> [UInt8] {
      var newText = text
      newText.replaceSubrange(shapeRange, with: "(" + shape.map(String.init).joined(separator: ", ") + ")")
      let n = newText.utf8.count
      var out = Array(bytes[0..<8])
      out += start == 10 ? [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF)] : (0..<4).map { UInt8(n >> (8 * $0) & 0xFF) }
      return out + Array(newText.utf8) + bytes[(start + length)...]
    }
  }
}

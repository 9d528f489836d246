import ArgumentParser
import Foundation
import Raster

/// `unet info FILE...`: what each image file holds.
struct Info: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Describe image files: format, size, channels, sample type, pages, range, instances.",
    discussion: """
      Says how each file is read: as one 2-D image, or — a multi-page TIFF or
      an NPY (D, H, W) — as a volume of W x H x D voxels with --volume (and
      its spacing Z,Y,X from ImageJ metadata). Without --volume, commands
      refuse a file of several pages.
      """)

  @Argument(help: "PNG, TIFF or NPY files.")
  var files: [String]

  @Flag(help: "Print one JSON array instead of a table.")
  var json = false

  @OptionGroup var limits: LimitOptions

  struct Summary: Encodable {
    var path: String
    var format: String
    var width: Int
    var height: Int
    var channels: Int
    var sampleType: String
    var pages: Int
    var min: Double?
    var max: Double?
    /// Distinct non-zero values over all pages; nil for float images.
    var instances: Int?
    /// How `--volume` reads the file, or nil when it cannot.
    var volume: VolumeSummary?
    /// Why `--volume` cannot read a file of several pages, or nil.
    var notAVolume: String?

    enum CodingKeys: String, CodingKey {
      case path, format, width, height, channels, pages, min, max, instances, volume
      case sampleType = "sample_type"
      case notAVolume = "not_a_volume"
    }
  }

  /// A file read as a volume: its size and spacing (z, y, x).
  struct VolumeSummary: Encodable {
    var width: Int
    var height: Int
    var depth: Int
    var spacing: VoxelSpacing
  }

  static func summarize(_ path: String, limits: ReadLimits) throws -> Summary {
    let format = try ImageFormat(path: path)
    let pages: [AnyImage]
    do {
      pages = try ImageFile.readPages(path, limits: limits)
    } catch let error as RasterError where error.code == .multiplePages {
      // An NPY (D, H, W): no image, a volume.
      let volume = try ImageFile.readVolume(path, limits: limits)
      var summary = try summarize(path, format: format, pages: [volume.flat], limits: limits)
      (summary.width, summary.height) = (volume.width, volume.height)
      summary.volume = VolumeSummary(width: volume.width, height: volume.height, depth: volume.depth, spacing: volume.spacing)
      return summary
    }
    var summary = try summarize(path, format: format, pages: pages, limits: limits)
    if pages.count > 1 {
      do {
        let volume = try ImageFile.readVolume(path, limits: limits)
        summary.volume = VolumeSummary(width: volume.width, height: volume.height, depth: volume.depth, spacing: volume.spacing)
      } catch let error as RasterError {
        summary.notAVolume = error.reason
      }
    }
    return summary
  }

  static func summarize(_ path: String, format: ImageFormat, pages: [AnyImage], limits: ReadLimits) throws -> Summary {
    let first = pages[0]
    var lo: Double?, hi: Double?
    for page in pages {
      if let r = page.range {
        lo = Swift.min(lo ?? r.min, r.min)
        hi = Swift.max(hi ?? r.max, r.max)
      }
    }
    var instances: Int?
    if first.sampleType.isInteger {
      if pages.count == 1 {
        instances = first.distinctNonZeroCount
      } else {
        var all = Set<Double>()
        for page in pages { for v in page.doubleSamples() where v != 0 { all.insert(v) } }
        instances = all.count
      }
    }
    return Summary(
      path: path, format: format.rawValue, width: first.width, height: first.height,
      channels: first.channels, sampleType: first.sampleType.rawValue, pages: pages.count,
      min: lo, max: hi, instances: instances, volume: nil, notAVolume: nil)
  }

  /// Reports a bad file and goes on with the next; exits 1 at the end when
  /// any file was bad.
  func execute() throws {
    var summaries: [Summary] = []
    var failures = 0
    for path in files {
      do {
        summaries.append(try Self.summarize(path, limits: limits.readLimits))
      } catch {
        failures += 1
        printError(error)
      }
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(summaries), as: UTF8.self))
    } else {
      for s in summaries {
        var line = "\(s.path): \(s.format.uppercased()) \(s.width) x \(s.height), \(s.channels) channel\(s.channels == 1 ? "" : "s"), \(s.sampleType), \(s.pages) page\(s.pages == 1 ? "" : "s")"
        if let lo = s.min, let hi = s.max { line += ", min \(format(lo)) max \(format(hi))" }
        if let n = s.instances { line += ", \(n) distinct non-zero value\(n == 1 ? "" : "s")" }
        if let v = s.volume {
          let sp = v.spacing
          line += "; read with --volume as a volume of \(v.width) x \(v.height) x \(v.depth) voxels (W x H x D), "
            + "spacing \(format(sp.z)),\(format(sp.y)),\(format(sp.x)) \(sp.unit) (Z,Y,X)"
          if s.pages > 1 { line += "; without --volume refused" }
        } else if let why = s.notAVolume {
          line += "; not a volume: \(why)"
        }
        print(line)
      }
    }
    if failures > 0 { throw ExitCode.failure }
  }

  private func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
  }
}

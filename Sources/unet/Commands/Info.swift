import ArgumentParser
import Foundation
import Raster

/// `unet info FILE...`: what each image file holds.
struct Info: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Describe image files: format, size, channels, sample type, pages, range, instances.")

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

    enum CodingKeys: String, CodingKey {
      case path, format, width, height, channels, pages, min, max, instances
      case sampleType = "sample_type"
    }
  }

  static func summarize(_ path: String, limits: ReadLimits) throws -> Summary {
    let format = try ImageFormat(path: path)
    let pages = try ImageFile.readPages(path, limits: limits)
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
      min: lo, max: hi, instances: instances)
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
        print(line)
      }
    }
    if failures > 0 { throw ExitCode.failure }
  }

  private func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
  }
}

import ArgumentParser
import Foundation
import Raster

/// Options shared by every command that reads images.
struct LimitOptions: ParsableArguments {
  @Option(help: "Reject images whose header claims more pixels than this (per page).")
  var maxPixels: Int = ReadLimits.default.maxPixels

  var readLimits: ReadLimits { ReadLimits(maxPixels: maxPixels) }

  func validate() throws {
    guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive, got \(maxPixels)") }
  }
}

/// Creates `path` and its parents; an existing folder is fine, an existing
/// file is an error.
func makeDirectory(_ path: String) throws {
  var isDir: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
    guard isDir.boolValue else { throw RasterError(.io, path: path, "exists and is not a folder") }
    return
  }
  do {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  } catch {
    throw RasterError(.io, path: path, "cannot create folder")
  }
}

/// `W` x `H`, as in `512x512`.
struct ImageSize: ExpressibleByArgument, Sendable {
  var width: Int
  var height: Int

  init?(argument: String) {
    let parts = argument.lowercased().split(separator: "x")
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
    width = w
    height = h
  }
}

/// `value` as compact JSON text with sorted keys, as UNetKit's files hold it.
func jsonText<T: Encodable>(_ value: T) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
}

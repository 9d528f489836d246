import ArgumentParser
import Foundation
import Raster

/// Options shared by every command that reads images.
struct LimitOptions: ParsableArguments {
  @Option(help: "Reject images whose header claims more pixels than this (per page; voxels for a volume).")
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

/// `W` x `H`, as in `512x512`, or `W` x `H` x `D` for a volume.
struct ImageSize: ExpressibleByArgument, Sendable {
  var width: Int
  var height: Int
  /// Slices; nil for a 2-D size.
  var depth: Int?

  init?(argument: String) {
    let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
    width = parts[0]!
    height = parts[1]!
    depth = parts.count == 3 ? parts[2]! : nil
  }
}

/// How `unet weights` and `unet augment` read z-stacks.
struct VolumeOptions: ParsableArguments {
  @Flag(
    help: ArgumentHelp(
      "Read each file as one volume: a multi-page TIFF (a z-stack, page 1 at z = 0) or an NPY array (D, H, W).",
      discussion: """
        Sizes are written W x H x D, like 2-D sizes W x H; arrays and spacing are in (z, y, x) order, \
        as NPY stores them, (D, H, W). Without --volume, a file of several pages is refused.
        """))
  var volume = false

  @Option(help: "Voxel spacing Z,Y,X (z first), each > 0, replacing the file's (default: the TIFF's ImageJ metadata, else 1,1,1).")
  var spacing: SpacingArgument?

  @Option(help: "The unit of --spacing, e.g. micron (default: voxel).")
  var unit: String?

  func validate() throws {
    if !volume, spacing != nil || unit != nil {
      throw ValidationError("--spacing and --unit apply to volumes; add --volume")
    }
    if unit != nil && spacing == nil { throw ValidationError("--unit names the unit of --spacing; give both") }
    if let spacing, let problem = VoxelSpacing.problem(z: spacing.z, y: spacing.y, x: spacing.x) {
      throw ValidationError("--spacing \(spacing.text): \(problem)")
    }
    if let unit, unit.isEmpty || unit.contains(where: { $0.isNewline }) {
      throw ValidationError("--unit '\(unit)': must be a non-empty word")
    }
  }

  /// The spacing these options give, replacing the files'; nil: the files'.
  var override: VoxelSpacing? {
    spacing.map { VoxelSpacing(z: $0.z, y: $0.y, x: $0.x, unit: unit ?? "voxel") }
  }

  /// Reads `path` as a volume with these options' spacing.
  func read(_ path: String, limits: ReadLimits) throws -> AnyVolume {
    try ImageFile.readVolume(path, limits: limits, spacing: override)
  }
}

/// `Z,Y,X`.
struct SpacingArgument: ExpressibleByArgument, Sendable {
  var z: Double
  var y: Double
  var x: Double
  var text: String

  init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
    guard parts.count == 3, let z = parts[0], let y = parts[1], let x = parts[2] else { return nil }
    (self.z, self.y, self.x, text) = (z, y, x, argument)
  }
}

/// What to tell the user who gave a stack where one image is expected.
enum StackHint {
  /// For commands with `--volume`.
  static let volume = "pass --volume to read it as one volume"

  /// For commands that take 2-D images only.
  static func imagesOnly(_ command: String) -> String {
    "unet \(command) reads 2-D images (unet weights, augment, predict and eval read z-stacks with --volume)"
  }

  /// Runs `body`; a stack refused where one image is expected gets `hint`.
  static func adding<T>(_ hint: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as RasterError where error.code == .multiplePages {
      throw RasterError(.multiplePages, path: error.path, error.reason + "; " + hint)
    }
  }
}

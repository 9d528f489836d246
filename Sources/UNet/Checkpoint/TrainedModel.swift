import Foundation
import Raster
import _Support

/// A trained network as prediction and fine-tuning need it: its shape, its
/// parameters, the tile it was trained with and how its input images were
/// normalised. It comes from a checkpoint or from a weights file.
///
/// A weights file is a safetensors file of the parameters under their
/// PyTorch names (`Architecture.parameterSpecs`), and of the running
/// statistics of normalisation layers as `BatchNorm2d` buffers
/// (`down.0.1.running_mean`, `…running_var`, `…num_batches_tracked`), with the metadata
/// `format` = `unetkit-weights`, `architecture` (JSON), `tile` (`572`, or
/// `WxHxD` for a 3-D network), `spacing` (JSON, 3-D only), `step`,
/// `normalization` (JSON text; absent for a dataset that named none) and
/// `threshold` (absent for a run without validation):
/// what `unet export` and examples/pytorch/train.py write, whatever trained
/// the weights (several GPUs, DistributedDataParallel).
public struct TrainedModel: Sendable {
  /// The `format` metadata of a weights file.
  public static let weightsFormat = "unetkit-weights"

  public var architecture: Architecture
  /// In `architecture.parameterSpecs` order and shapes.
  public var parameters: [[Float]]
  /// The normalisation layers' running statistics (`.empty` without them),
  /// which prediction normalises with.
  public var statistics: RunningStatistics
  /// The training tile; nil when a weights file does not say.
  public var tile: TileSize?
  /// The voxel spacing of a 3-D network's training volumes; nil in 2-D or
  /// when a weights file does not say.
  public var spacing: VoxelSpacing?
  /// How the training images were normalised; nil when unknown (the
  /// default, `Normalization.standard`, applies).
  public var normalization: Normalization?
  /// Training steps behind the weights, when known.
  public var step: Int?
  /// The foreground probability threshold of the run's best validation
  /// Rand error (2 classes), when known.
  public var threshold: Double?

  /// - Parameter statistics: nil gives a new network's (`Architecture.initialStatistics`).
  public init(
    architecture: Architecture, parameters: [[Float]], statistics: RunningStatistics? = nil, tile: TileSize?,
    spacing: VoxelSpacing? = nil, normalization: Normalization?, step: Int?, threshold: Double? = nil
  ) {
    self.architecture = architecture
    self.parameters = parameters
    self.statistics = statistics ?? architecture.initialStatistics
    self.tile = tile
    self.spacing = spacing
    self.normalization = normalization
    self.step = step
    self.threshold = threshold
  }

  /// The model of a checkpoint.
  public init(_ checkpoint: Checkpoint) {
    let c = checkpoint.configuration
    self.init(
      architecture: c.architecture, parameters: checkpoint.parameters, statistics: checkpoint.statistics, tile: c.tile,
      spacing: c.spacing, normalization: c.normalization, step: checkpoint.step, threshold: checkpoint.threshold)
  }

  /// The weights file: the parameters with PyTorch names and layouts, the
  /// rest in the metadata.
  public var weightsFile: SafeTensors {
    var metadata = ["format": Self.weightsFormat, "architecture": Checkpoint.json(architecture)]
    if let tile { metadata["tile"] = tile.description }
    if let spacing { metadata["spacing"] = Checkpoint.json(spacing) }
    if let step { metadata["step"] = String(step) }
    if let normalization { metadata["normalization"] = Checkpoint.json(normalization) }
    if let threshold { metadata["threshold"] = "\(threshold)" }
    return SafeTensors(
      metadata: metadata,
      tensors: zip(architecture.parameterSpecs, parameters).map {
        SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: $1)
      } + SafeTensors.tensors(of: statistics, architecture))
  }

  /// The model in a weights file read from `path` (named in errors).
  /// - Throws: `FileError` `.unsupported` for another kind of file,
  ///   `.corrupt` for missing or malformed metadata or tensors.
  public init(weightsFile file: SafeTensors, path: String) throws {
    func corrupt(_ reason: String) -> FileError { FileError(.corrupt, path: path, reason) }
    guard file.metadata["format"] == Self.weightsFormat else {
      throw FileError(
        .unsupported, path: path,
        "not a UNetKit checkpoint or weights file (metadata format is not \(Checkpoint.format) or \(Self.weightsFormat))")
    }
    guard let text = file.metadata["architecture"] else { throw corrupt("missing architecture metadata") }
    let architecture: Architecture
    do {
      architecture = try JSONDecoder().decode(Architecture.self, from: Data(text.utf8))
    } catch DecodingError.dataCorrupted(let context) where context.codingPath.last?.stringValue == "normLayer" {
      throw FileError(.unsupported, path: path, "an architecture UNetKit does not know: \(context.debugDescription)")
    } catch {
      throw corrupt("unreadable architecture metadata")
    }
    if let problem = architecture.problem { throw corrupt("architecture: \(problem)") }
    var tile: TileSize?
    if let text = file.metadata["tile"] {
      guard let value = TileSize(parsing: text), (try? architecture.validateTile(value)) != nil else {
        throw corrupt("tile \(text) is not a valid tile for depth \(architecture.depth)")
      }
      tile = value
    }
    var spacing: VoxelSpacing?
    if let text = file.metadata["spacing"] {
      guard let value = try? JSONDecoder().decode(VoxelSpacing.self, from: Data(text.utf8)) else {
        throw corrupt("spacing \(text) is not a voxel spacing")
      }
      spacing = value
    }
    var step: Int?
    if let text = file.metadata["step"] {
      guard let value = Int(text), value >= 0 else { throw corrupt("step \(text) is not a step count") }
      step = value
    }
    var normalization: Normalization?
    if let text = file.metadata["normalization"] {
      guard let value = try? JSONDecoder().decode(Normalization.self, from: Data(text.utf8)) else {
        throw corrupt("normalization \(text) is not a normalisation")
      }
      normalization = value
    }
    var threshold: Double?
    if let text = file.metadata["threshold"] {
      guard let value = Double(text), value >= 0, value <= 1 else { throw corrupt("threshold \(text) is not in [0, 1]") }
      threshold = value
    }
    self.init(
      architecture: architecture, parameters: try file.parameters(architecture.parameterSpecs, prefix: "", path: path),
      statistics: try file.statistics(architecture, path: path), tile: tile, spacing: spacing,
      normalization: normalization, step: step,
      threshold: threshold)
  }

  /// The weights file in a BioImage Model Zoo package that `unet export
  /// --format bioimageio` writes (an attachment beside `rdf.yaml`).
  public static let packageWeightsName = "unetkit.safetensors"

  /// The model at `path`: a checkpoint, a weights file, a training folder
  /// (its `last.ckpt`), or a BioImage Model Zoo package folder (one with
  /// `rdf.yaml`) that UNetKit exported (its `unetkit.safetensors`).
  /// - Throws: `FileError` naming the file and the reason.
  public static func read(from path: String) throws -> TrainedModel {
    let file: String
    var isDirectory: ObjCBool = false
    let description = (path as NSString).appendingPathComponent("rdf.yaml")
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
      FileManager.default.fileExists(atPath: description)
    {
      file = (path as NSString).appendingPathComponent(packageWeightsName)
      guard FileManager.default.fileExists(atPath: file) else {
        throw FileError(
          .unsupported, path: path,
          "a BioImage Model Zoo package without \(packageWeightsName); only packages that unet export wrote can be read")
      }
    } else {
      file = try Checkpoint.resolve(path)
    }
    let contents = try SafeTensors.read(from: file)
    if contents.metadata["format"] == Checkpoint.format { return TrainedModel(try Checkpoint(contents, path: file)) }
    return try TrainedModel(weightsFile: contents, path: file)
  }

  /// Writes the weights file atomically.
  public func write(to path: String) throws { try weightsFile.write(to: path) }
}

import ArgumentParser
import Foundation
import Raster
import UNet
import _Support

/// `unet predict --volume`: overlap-tile segmentation of volumes with a 3-D network.
extension Predict {
  /// Checks that the model's dimensions are those of the inputs `--volume` says.
  func checkDimensions(of trained: TrainedModel) throws {
    let dimensions = trained.architecture.dimensions
    if volume && dimensions != 3 {
      throw FileError(.unsupported, path: model, "is a 2-D network; --volume needs a 3-D one (trained on volumes)")
    }
    if !volume && dimensions == 3 {
      throw FileError(.unsupported, path: model, "is a 3-D network; pass --volume and multi-page TIFF volumes")
    }
  }

  /// Predicts every input volume: the probability stack, the mask and the
  /// 3-D instances as multi-page TIFFs with the input's voxel spacing.
  func predictVolumes(_ trained: TrainedModel, tile tileSize: TileSize, threshold cut: Double?) throws {
    let architecture = trained.architecture
    let normalization = trained.normalization ?? .standard
    let files = try expandInputs(inputs)
    try checkDistinctNames(files)
    // Read and check every input before writing anything.
    let volumes = try files.map { file -> AnyVolume in
      let volume = try ImageFile.readVolume(file, limits: limits.readLimits)
      if let trainedSpacing = trained.spacing, !Self.agree(volume.spacing, trainedSpacing) {
        throw RasterError(
          .unsupported, path: file, "has voxel spacing \(volume.spacing), but the model was trained at \(trainedSpacing)")
      }
      return volume
    }
    try makeDirectory(out)
    let predictor = try TiledPredictor(
      trained, tileSize: tileSize, backend: backend.backend.make(threads: availableCores))
    let progress = ProgressBar(total: files.count, label: "predict")
    for (file, volume) in zip(files, volumes) {
      let spacing = volume.spacing.unit == VoxelSpacing.unit.unit ? trained.spacing ?? volume.spacing : volume.spacing
      try writeVolume(
        predictor: predictor, volume: normalization.apply(to: volume), spacing: spacing,
        files: PredictionFiles(folder: out, input: file), threshold: cut)
      progress.advance()
    }
    let foreground =
      cut.map { String(format: "p > %g", $0) + (threshold == nil ? " (the run's validation threshold)" : "") } ?? "argmax"
    print(
      "predict: \(files.count) volume\(files.count == 1 ? "" : "s") -> \(out) (tile \(tileSize)\(tta ? ", 8 flips averaged" : ""); "
        + "foreground \(foreground); \(instances.rawValue))")
  }

  /// Whether a volume's spacing is the model's: the same values within
  /// 1 % (as TIFF resolution tags round them), in the same unit; a volume
  /// without a spacing (unit `voxel`) takes the model's.
  static func agree(_ a: VoxelSpacing, _ b: VoxelSpacing) -> Bool {
    if a.unit == VoxelSpacing.unit.unit { return true }
    guard a.unit == b.unit else { return false }
    return zip([a.z, a.y, a.x], [b.z, b.y, b.x]).allSatisfy { abs($0 - $1) <= 0.01 * max($0, $1) }
  }

  private func writeVolume(
    predictor: TiledPredictor, volume: Volume<Float>, spacing: VoxelSpacing, files: PredictionFiles, threshold: Double?
  ) throws {
    let k = predictor.architecture.classes
    let (w, h, d) = (volume.width, volume.height, volume.depth)
    let count = w * h * d
    let probabilities = try tta ? predictor.averagedProbabilities(volume) : predictor.probabilities(volume)
    let classes =
      threshold.map { t in probabilities[count..<2 * count].map { Double($0) > t ? UInt8(1) : 0 } }
      ?? ClassPlanes.argmax(probabilities, classes: k)
    let pages = ClassPlanes.probabilityPages(probabilities, classes: k)
    let foreground = Volume(
      flat: Image(width: w, height: h * d, samples: ClassPlanes.foreground(pages: pages)), depth: d, spacing: spacing)
    let instances = extraction.instances(of: foreground, foreground: classes.map { $0 > 0 })
    try files.writeVolume(
      planes: probabilities, classes: k, mask: Volume(flat: Image(width: w, height: h * d, samples: classes), depth: d, spacing: spacing),
      instances: instances)
  }
}

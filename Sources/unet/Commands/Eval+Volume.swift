import Foundation
import Raster
import UNet

/// `unet eval --volume`: the same scores over whole volumes, and the
/// object-level average precision.
extension Eval {
  /// A volume prediction as read: a foreground probability volume or
  /// instances.
  enum VolumePrediction {
    case probabilities(Volume<Float>)
    case instances(LabelVolume)
  }

  static func scoreVolume(_ pair: PredictionFiles.Pair, thresholds: [Double], limits: ReadLimits) throws -> Scored {
    let truth = SegmentationMetrics.instances(
      of: try ImageFile.readVolume(pair.truth, limits: limits).labels(path: pair.truth))
    func sweep(_ path: String) throws -> ThresholdSweep {
      switch try readVolumePrediction(path, truth: truth, truthPath: pair.truth, limits: limits) {
      case .probabilities(let p): ThresholdSweep(probabilities: p, truthInstances: truth, thresholds: thresholds)
      case .instances(let i): ThresholdSweep(predictedInstances: i, truthInstances: truth)
      }
    }
    return Scored(prediction: try sweep(pair.prediction), instances: try pair.instances.map(sweep))
  }

  /// Reads a volume prediction of the truth's size: float32 pages are a
  /// probability map (``ClassPlanes/foreground(volumePages:depth:)``),
  /// integer pages (one per slice) a mask or instance ids.
  static func readVolumePrediction(
    _ path: String, truth: LabelVolume, truthPath: String, limits: ReadLimits
  ) throws -> VolumePrediction {
    let pages: [AnyImage]
    if try ImageFormat(path: path) == .tiff {
      pages = try ImageFile.readPages(path, limits: limits)
    } else {
      let volume = try ImageFile.readVolume(path, limits: limits)
      pages = (0..<volume.depth).map(volume.slice)
    }
    let first = pages[0]
    guard first.channels == 1 else {
      throw RasterError(.unsupported, path: path, "prediction has \(first.channels) channels, expected 1")
    }
    let truthShape = "\(truth.width)x\(truth.height)x\(truth.depth)"
    func mismatch(_ what: String) -> RasterError {
      RasterError(.unsupported, path: path, "\(what) but its truth \(truthPath) is \(truthShape)")
    }
    guard pages.allSatisfy({ $0.width == truth.width && $0.height == truth.height }) else {
      let odd = pages.first { $0.width != truth.width || $0.height != truth.height }!
      throw mismatch("has pages of \(odd.width)x\(odd.height)")
    }
    guard case .float32 = first else {
      guard pages.count == truth.depth else { throw mismatch("is \(first.width)x\(first.height)x\(pages.count)") }
      let volume = try AnyVolume(slices: pages, path: path)
      return .instances(SegmentationMetrics.instances(of: try volume.labels(path: path)))
    }
    guard pages.allSatisfy({ $0.sampleType == .float32 }),
      let foreground = ClassPlanes.foreground(volumePages: pages.map { $0.floatImage().samples }, depth: truth.depth)
    else {
      throw RasterError(
        .unsupported, path: path,
        "has \(pages.count) float page\(pages.count == 1 ? "" : "s"), not \(truth.depth) (the depth of its truth \(truthPath)) or a multiple of it (class volumes)")
    }
    for (i, v) in foreground.enumerated() where !(v >= 0 && v <= 1) {
      let slice = truth.width * truth.height
      let place = "x \(i % truth.width), y \(i % slice / truth.width), z \(i / slice)"
      throw RasterError(
        .unsupported, path: path,
        v.isNaN ? "probability is NaN at \(place)" : "foreground probability \(v) at \(place) is outside [0, 1]")
    }
    return .probabilities(Volume(width: truth.width, height: truth.height, depth: truth.depth, samples: foreground))
  }
}

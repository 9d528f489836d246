import Raster

/// What one validation pass found.
public struct ValidationResult: Sendable {
  /// The mean weighted cross-entropy over the validation pixels, with the
  /// masks and weights made as the training shards' are.
  public var loss: Double
  /// The scores `unet eval` reports for the same images: best over
  /// ``Trainer/validationThresholds`` of the counts summed over the images.
  public var scores: BestScores
}

extension Trainer {
  /// The thresholds of a validation sweep: `unet eval`'s default ten,
  /// (i + 0.5)/10.
  public static let validationThresholds = ThresholdSweep.thresholds(count: 10)

  /// Validates the current weights on ``validation``: each image predicted
  /// whole by the overlap-tile predictor at the training tile (no 8-fold
  /// averaging; normalisation layers with the running statistics, as in
  /// prediction), its foreground probability (class 1, or 1 − class 0 for
  /// more than 2 classes) swept over ``validationThresholds`` against its
  /// truth, exactly as `unet predict` and `unet eval` would score the same
  /// checkpoint; and the loss, (1/P) Σ w·(−log p_class) over all P pixels.
  public func validate() throws -> ValidationResult {
    // The weights go over one tensor at a time (not a copy of all of them).
    let statistics = network.runningStatistics()
    if let predictor {
      for index in configuration.architecture.parameterSpecs.indices {
        predictor.setParameter(index, network.parameter(index))
      }
      try predictor.setRunningStatistics(statistics)
    } else {
      predictor = try TiledPredictor(
        architecture: configuration.architecture, parameter: { self.network.parameter($0) }, statistics: statistics,
        tileSize: configuration.tile, backend: backend)
    }
    var loss = 0.0
    var pixels = 0
    var sweeps: [ThresholdSweep] = []
    let k = configuration.architecture.classes
    for item in validation {
      let volume = item.volume.map { Volume(flat: item.image, depth: $0.depth, spacing: $0.spacing) }
      let probabilities = try volume.map { try predictor!.probabilities($0) } ?? predictor!.probabilities(item.image)
      let plane = item.image.pixelCount
      for p in 0..<plane {
        let truth = Int(item.classes[p])
        loss -= Double(item.weights[p]) * log(max(Double(probabilities[truth * plane + p]), 1e-30))
      }
      pixels += plane
      // As unet predict and unet eval read it.
      let foreground = ClassPlanes.foreground(probabilities, classes: k)
      if let volume {
        let flat = { (samples: [Float]) in Image(width: item.image.width, height: item.image.height, samples: samples) }
        sweeps.append(
          ThresholdSweep(
            probabilities: Volume(flat: flat(foreground), depth: volume.depth, spacing: volume.spacing),
            truthInstances: Volume(flat: item.truth, depth: volume.depth, spacing: volume.spacing),
            thresholds: Self.validationThresholds))
        continue
      }
      sweeps.append(
        ThresholdSweep(
          probabilities: Image(width: item.image.width, height: item.image.height, samples: foreground),
          truthInstances: item.truth, thresholds: Self.validationThresholds))
    }
    return ValidationResult(loss: loss / Double(max(1, pixels)), scores: ThresholdSweep.overall(sweeps))
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

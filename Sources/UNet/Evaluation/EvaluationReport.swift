import Foundation
import _Support

/// The scores of predictions against their truth, per image and overall:
/// what `unet eval --json` writes and `unet report` reads back.
///
/// The JSON form is `{"images": [ROW, …], "overall": ROW}`, each row with
/// `name` (images only), `pixel_error`, `rand_error`, `pixel_mismatch`,
/// `iou` and each one's `…_threshold` (null without threshold), and, where
/// an instance image was scored beside a probability map, `instances` with
/// the four scores (overall: and `images`, their number). Volumes
/// (`unet eval --volume`) add `average_precision` (``AveragePrecision``)
/// and `average_precision_threshold` (the probability threshold of the
/// best mean AP, null without threshold) to each row, and
/// `average_precision` to its `instances`; reports without them stay
/// readable.
/// Written with sorted keys and a two-space indent (``json()``).
public struct EvaluationReport: Sendable, Equatable, Codable {
  /// One image's best scores, or the overall ones (no name), and the
  /// scores of its instance image beside a probability map.
  public struct Row: Sendable, Equatable, Codable {
    /// The image's NAME; nil for the overall row.
    public var name: String?
    /// The best value of each metric and its threshold.
    public var best: BestScores
    /// The scores of the instance image, scored once without threshold.
    public var instances: SegmentationScores?
    /// Overall: the number of images with an instance image.
    public var instanceImages: Int?
    /// Volumes: the object-level average precision of the prediction's
    /// instances, for a probability map at the threshold of the highest
    /// mean AP (see ``ThresholdSweep/bestAveragePrecision``); overall, of
    /// the counts summed.
    public var averagePrecision: AveragePrecision?
    /// The probability threshold of ``averagePrecision``; nil without threshold.
    public var averagePrecisionThreshold: Double?
    /// Volumes: the average precision of the instance image beside a
    /// probability map.
    public var instancesAveragePrecision: AveragePrecision?

    public init(
      name: String?, best: BestScores, instances: SegmentationScores?, instanceImages: Int? = nil,
      averagePrecision: AveragePrecision? = nil, averagePrecisionThreshold: Double? = nil,
      instancesAveragePrecision: AveragePrecision? = nil
    ) {
      self.name = name
      self.best = best
      self.instances = instances
      self.instanceImages = instanceImages
      self.averagePrecision = averagePrecision
      self.averagePrecisionThreshold = averagePrecisionThreshold
      self.instancesAveragePrecision = instancesAveragePrecision
    }

    enum CodingKeys: String, CodingKey {
      case name
      case pixelError = "pixel_error", pixelMismatch = "pixel_mismatch", randError = "rand_error", iou
      case pixelErrorThreshold = "pixel_error_threshold", pixelMismatchThreshold = "pixel_mismatch_threshold"
      case randErrorThreshold = "rand_error_threshold", iouThreshold = "iou_threshold"
      case instances, averagePrecision = "average_precision", averagePrecisionThreshold = "average_precision_threshold"
    }

    enum InstanceKeys: String, CodingKey {
      case pixelError = "pixel_error", pixelMismatch = "pixel_mismatch", randError = "rand_error", iou, images
      case averagePrecision = "average_precision"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      // Checked first: a row without it is of an older unet eval, whose
      // pixel_error was the misclassified fraction.
      guard c.contains(.pixelMismatch) else {
        throw DecodingError.keyNotFound(
          CodingKeys.pixelMismatch, .init(codingPath: c.codingPath, debugDescription: "no pixel_mismatch"))
      }
      func decodeBest(_ value: CodingKeys, _ threshold: CodingKeys) throws -> BestScores.Best {
        BestScores.Best(value: try c.decode(Double.self, forKey: value), threshold: try c.decodeIfPresent(Double.self, forKey: threshold))
      }
      name = try c.decodeIfPresent(String.self, forKey: .name)
      best = BestScores(
        pixelError: try decodeBest(.pixelError, .pixelErrorThreshold),
        pixelMismatch: try decodeBest(.pixelMismatch, .pixelMismatchThreshold),
        randError: try decodeBest(.randError, .randErrorThreshold), iou: try decodeBest(.iou, .iouThreshold))
      if c.contains(.instances) {
        let i = try c.nestedContainer(keyedBy: InstanceKeys.self, forKey: .instances)
        instances = SegmentationScores(
          pixelError: try i.decode(Double.self, forKey: .pixelError),
          pixelMismatch: try i.decode(Double.self, forKey: .pixelMismatch),
          randError: try i.decode(Double.self, forKey: .randError), iou: try i.decode(Double.self, forKey: .iou))
        instanceImages = try i.decodeIfPresent(Int.self, forKey: .images)
        instancesAveragePrecision = try i.decodeIfPresent(AveragePrecision.self, forKey: .averagePrecision)
      }
      averagePrecision = try c.decodeIfPresent(AveragePrecision.self, forKey: .averagePrecision)
      averagePrecisionThreshold = try c.decodeIfPresent(Double.self, forKey: .averagePrecisionThreshold)
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      if let name { try c.encode(name, forKey: .name) }
      try c.encode(best.pixelError.value, forKey: .pixelError)
      try c.encode(best.pixelMismatch.value, forKey: .pixelMismatch)
      try c.encode(best.randError.value, forKey: .randError)
      try c.encode(best.iou.value, forKey: .iou)
      // Written as null when there is no threshold.
      try c.encode(best.pixelError.threshold, forKey: .pixelErrorThreshold)
      try c.encode(best.pixelMismatch.threshold, forKey: .pixelMismatchThreshold)
      try c.encode(best.randError.threshold, forKey: .randErrorThreshold)
      try c.encode(best.iou.threshold, forKey: .iouThreshold)
      if let instances {
        var i = c.nestedContainer(keyedBy: InstanceKeys.self, forKey: .instances)
        try i.encode(instances.pixelError, forKey: .pixelError)
        try i.encode(instances.pixelMismatch, forKey: .pixelMismatch)
        try i.encode(instances.randError, forKey: .randError)
        try i.encode(instances.iou, forKey: .iou)
        if let instanceImages { try i.encode(instanceImages, forKey: .images) }
        try i.encodeIfPresent(instancesAveragePrecision, forKey: .averagePrecision)
      }
      if let averagePrecision {
        try c.encode(averagePrecision, forKey: .averagePrecision)
        try c.encode(averagePrecisionThreshold, forKey: .averagePrecisionThreshold)
      }
    }
  }

  /// One row per image, in the truth files' order.
  public var images: [Row]
  /// The scores of all images together.
  public var overall: Row

  public init(images: [Row], overall: Row) {
    self.images = images
    self.overall = overall
  }

  /// The JSON text `unet eval --json` prints: sorted keys, two-space
  /// indent, slashes unescaped, no final newline.
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }

  /// Reads the scores at `path`, as `unet eval --json` wrote them.
  ///
  /// - Throws: ``FileError`` naming `path`: `.io` when it cannot be read,
  ///   `.unsupported` when it is not JSON, not a report, or a report of an
  ///   older `unet eval` (whose `pixel_error` was the misclassified fraction).
  public static func read(from path: String) throws -> EvaluationReport {
    guard let bytes = FileManager.default.contents(atPath: path) else {
      throw FileError(.io, path: path, "cannot read the scores (write them with unet eval --json)")
    }
    do {
      return try JSONDecoder().decode(EvaluationReport.self, from: bytes)
    } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
      throw FileError(.unsupported, path: path, "is not JSON; write the scores with unet eval --json")
    } catch DecodingError.keyNotFound(let key, _) where key.stringValue == Row.CodingKeys.pixelMismatch.stringValue {
      throw FileError(
        .unsupported, path: path,
        "was written by an older unet eval, whose pixel_error was the misclassified fraction; score again with unet eval --json")
    } catch is DecodingError {
      throw FileError(.unsupported, path: path, "is not the output of unet eval --json")
    }
  }
}

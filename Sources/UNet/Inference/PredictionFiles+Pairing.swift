import Foundation
import Raster

extension PredictionFiles {
  /// A truth file and the prediction scored against it.
  public struct Pair: Sendable, Equatable {
    /// The NAME they share (the truth's, for two single files).
    public var name: String
    /// The prediction scored against the truth.
    public var prediction: String
    /// The truth labels.
    public var truth: String
    /// `NAME.instances.*` beside a `NAME.prob.*` prediction, scored on its
    /// own; nil otherwise.
    public var instances: String?

    public init(name: String, prediction: String, truth: String, instances: String? = nil) {
      self.name = name
      self.prediction = prediction
      self.truth = truth
      self.instances = instances
    }
  }

  /// Pairs the predictions named by `predictions` with the truth files named
  /// by `truth` (each a file, a folder or a glob pattern, see
  /// ``ImageInputs/expand(_:)``) by NAME, in the truth files' order. Two
  /// single files pair whatever their names.
  ///
  /// When a NAME has several predictions, the preferred ``Kind`` is scored
  /// (`NAME.prob.*`, else `NAME.instances.*`, else `NAME.mask.*`); a
  /// `NAME.instances.*` beside a `NAME.prob.*` is scored too
  /// (``Pair/instances``).
  ///
  /// - Throws: ``RasterError`` naming the file for a NAME that two truth
  ///   files share, two predictions that no preference decides, a file
  ///   without a partner, or what ``ImageInputs/expand(_:)`` throws.
  public static func pair(predictions: String, truth: String) throws -> [Pair] {
    let predFiles = try ImageInputs.expand([predictions])
    let truthFiles = try ImageInputs.expand([truth])
    if namesOneFile(predictions) && namesOneFile(truth) {
      return [Pair(name: ImageInputs.name(of: truthFiles[0]), prediction: predFiles[0], truth: truthFiles[0])]
    }
    var truthByName: [String: String] = [:]
    for file in truthFiles {
      let name = ImageInputs.name(of: file)
      if let other = truthByName[name] {
        throw RasterError(.unsupported, path: file, "has the same name '\(name)' as \(other); which is the truth?")
      }
      truthByName[name] = file
    }
    var predByName: [String: (file: String, kind: Kind?)] = [:]
    var instancesByName: [String: String] = [:]
    for file in predFiles {
      let (name, kind) = parse(file)
      if kind == .instances {
        if let other = instancesByName[name] {
          throw RasterError(.unsupported, path: file, "has the same name '\(name)' as \(other); which is the prediction?")
        }
        instancesByName[name] = file
      }
      guard let other = predByName[name] else {
        predByName[name] = (file, kind)
        continue
      }
      if kind == other.kind {
        throw RasterError(.unsupported, path: file, "has the same name '\(name)' as \(other.file); which is the prediction?")
      }
      if preferred(kind, over: other.kind) { predByName[name] = (file, kind) }
    }
    for file in predFiles where truthByName[parse(file).name] == nil {
      throw RasterError(.notFound, path: file, "has no truth named '\(parse(file).name)' in \(truth)")
    }
    for file in truthFiles where predByName[ImageInputs.name(of: file)] == nil {
      throw RasterError(.notFound, path: file, "has no prediction named '\(ImageInputs.name(of: file))' in \(predictions)")
    }
    return truthFiles.map { file in
      let name = ImageInputs.name(of: file)
      let prediction = predByName[name]!
      return Pair(
        name: name, prediction: prediction.file, truth: file,
        instances: prediction.kind == .probabilities ? instancesByName[name] : nil)
    }
  }

  /// Whether a file of kind `a` is preferred to one of kind `b` (a file of
  /// no known kind comes last).
  private static func preferred(_ a: Kind?, over b: Kind?) -> Bool {
    guard let a else { return false }
    guard let b else { return true }
    return a < b
  }

  /// True for an input that names a file (existing or not), not a folder
  /// or a pattern.
  private static func namesOneFile(_ input: String) -> Bool {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: input, isDirectory: &isDir) { return !isDir.boolValue }
    return !input.contains(where: { "*?[".contains($0) })
  }
}

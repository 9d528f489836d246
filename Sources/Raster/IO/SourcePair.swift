/// An image file and its label file, paired by NAME (the file name without
/// its extension).
public struct SourcePair: Sendable, Equatable, Hashable {
  /// The shared NAME.
  public var name: String
  /// The image file.
  public var image: String
  /// The label file (instance ids or a binary mask).
  public var labels: String

  public init(name: String, image: String, labels: String) {
    self.name = name
    self.image = image
    self.labels = labels
  }

  /// Pairs the images named by `images` with the labels named by `labels`
  /// (each a file, a folder or a glob pattern, see ``ImageInputs/expand(_:)``)
  /// by NAME, in the images' order. Two single files pair with each other
  /// whatever their names.
  ///
  /// - Throws: ``RasterError`` naming the file for a NAME that appears twice
  ///   on one side or has no partner on the other, or what
  ///   ``ImageInputs/expand(_:)`` throws.
  public static func pair(images: String, labels: String) throws -> [SourcePair] {
    let imageFiles = try ImageInputs.expand([images])
    let labelFiles = try ImageInputs.expand([labels])
    let name = ImageInputs.name(of:)
    if imageFiles.count == 1 && labelFiles.count == 1 {
      return [SourcePair(name: name(imageFiles[0]), image: imageFiles[0], labels: labelFiles[0])]
    }
    try ImageInputs.checkDistinctNames(imageFiles)
    try ImageInputs.checkDistinctNames(labelFiles)
    let labelByName = Dictionary(uniqueKeysWithValues: labelFiles.map { (name($0), $0) })
    let imageNames = Set(imageFiles.map(name))
    for image in imageFiles where labelByName[name(image)] == nil {
      throw RasterError(.notFound, path: image, "has no labels named '\(name(image))' in \(labels)")
    }
    for label in labelFiles where !imageNames.contains(name(label)) {
      throw RasterError(.notFound, path: label, "has no image named '\(name(label))' in \(images)")
    }
    return imageFiles.map { SourcePair(name: name($0), image: $0, labels: labelByName[name($0)]!) }
  }
}

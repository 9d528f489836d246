import Raster

extension PredictionFiles {
  /// Writes a volume's prediction as TIFF z-stacks with the volume's
  /// spacing: `NAME.prob.tiff` (the ``ClassPlanes/probabilityPages(_:classes:)``
  /// of `planes`, each cut into its `depth` slices: D pages for 2 classes,
  /// K·D for more), `NAME.mask.tiff` and `NAME.instances.tiff`.
  ///
  /// - Parameters:
  ///   - planes: K class planes of the volume, plane j holding class j in
  ///     the volume's layout (slice after slice).
  ///   - classes: K ≥ 2.
  ///   - mask: the class of each voxel; its size and spacing are the volume's.
  ///   - instances: the instances (0 = background), the same size.
  /// - Throws: what writing throws, naming the file.
  public func writeVolume(planes: [Float], classes: Int, mask: Volume<UInt8>, instances: LabelVolume) throws {
    precondition(
      instances.width == mask.width && instances.height == mask.height && instances.depth == mask.depth,
      "PredictionFiles: instances and mask differ in size")
    precondition(planes.count == classes * mask.voxelCount, "PredictionFiles: \(planes.count) values are not \(classes) class volumes")
    let slices = ClassPlanes.probabilityPages(planes, classes: classes).flatMap { page in
      (0..<mask.depth).map { z in
        let start = page.startIndex + z * mask.sliceCount
        return Image(width: mask.width, height: mask.height, samples: Array(page[start..<start + mask.sliceCount]))
      }
    }
    let probabilities = Volume(slices: slices, spacing: mask.spacing)
    try ImageFile.writeVolume(probabilities, to: path(.probabilities, volume: true))
    try ImageFile.writeVolume(mask, to: volumeMask)
    try ImageFile.writeVolume(instances, to: volumeInstances)
  }
}

import RasterCore

/// Instance labels of a volume ready for weighting: normalised (binary mask
/// → connected components), separated when the configuration says so, counted.
public struct PreparedLabelVolume: Sendable, Equatable {
  /// The instances after normalisation and separation.
  public let instances: LabelVolume
  /// Background and foreground voxels of ``instances`` (ignored ones not counted).
  public let counts: ClassCounts
  /// The voxels of the ignore label (``WeightMapConfiguration/ignoreLabel``),
  /// background in ``instances`` and weighted 0; nil when there are none.
  public let ignored: [Bool]?

  /// Wraps instance labels that are already normalised and separated.
  public init(instances: LabelVolume, ignored: [Bool]? = nil) {
    self.instances = instances
    self.ignored = ignored
    var counts = ClassCounts(labels: instances)
    if let ignored { counts.background -= ignored.lazy.filter { $0 }.count }
    self.counts = counts
  }
}

/// One volume's weight map and the arrays it was computed from.
public struct VolumeWeightMap: Sendable, Equatable {
  /// `w = w_c + border term`, one `Float` per voxel.
  public let weights: Volume<Float>
  /// The class of every voxel: 0 background, 1 foreground (after separation).
  public let mask: Volume<UInt8>
  /// The instances after normalisation and separation.
  public let instances: LabelVolume
  /// The class weights `w_c` that were applied.
  public let classWeights: ClassWeights
}

/// Weight maps of volumes: the paper's eq. 2 in three dimensions.
///
/// `d1 ≤ d2` are Euclidean distances between voxel centres in physical
/// units, `(sz·Δz)² + (sy·Δy)² + (sx·Δx)²` with the volume's
/// ``VoxelSpacing``, and `σ` (``WeightMapConfiguration/sigmaPixels``) is in the
/// same unit — with the unit spacing, σ in voxels. Separation clears voxels
/// with one of their 26 neighbours in another instance; a binary mask
/// becomes instances by 6-connected (`.four`) or 26-connected (`.eight`)
/// components. Class weights, the window `R` and the error bound are those
/// of 2-D (see ``WeightMapper``), `R` in the spacing's unit.
extension WeightMapper {
  /// Normalises, separates (26 neighbours) and counts a label volume.
  ///
  /// - Complexity: O(width × height × depth).
  public func prepare(_ labels: LabelVolume) -> PreparedLabelVolume {
    let (annotated, ignored) = configuration.settingAsideIgnored(labels, \.samples)
    var instances = InstanceLabels.normalize(
      annotated, interpretation: configuration.labelInterpretation, connectivity: configuration.connectivity)
    if configuration.separation { instances = Separation.apply(instances) }
    return PreparedLabelVolume(instances: instances, ignored: ignored)
  }

  /// The weight map of prepared labels with the given class weights.
  ///
  /// - Complexity: O(voxels) for the z sweep; along y O(voxels) per
  ///   instance that is nearest somewhere on a line, over the positions
  ///   within R of where it is; the x scan O(d2 / sx) per weighted voxel, at
  ///   most O(R / sx). Memory: the outputs plus O(width × height ×
  ///   max(R / sz, 8)) per slab (``jobs``), whatever the number of instances.
  public func weights(for prepared: PreparedLabelVolume, classWeights: ClassWeights) -> VolumeWeightMap {
    let instances = prepared.instances
    let n = instances.voxelCount
    var weights = [Float](repeating: 0, count: n)
    let mask = instances.samples.map { $0 != 0 ? UInt8(1) : 0 }
    instances.samples.withUnsafeBufferPointer { lab in
      weights.withUnsafeMutableBufferPointer { w in
        VolumeBorderTermKernel(
          w0: configuration.w0, sigma: configuration.sigmaPixels, radius: windowRadius, region: configuration.borderOn,
          spacing: instances.spacing, minimumBandSlices: minimumBandRows / 16, jobs: jobs
        ).run(
          labels: lab, width: instances.width, height: instances.height, depth: instances.depth,
          background: classWeights.background, foreground: classWeights.foreground, into: w)
      }
    }
    if let ignored = prepared.ignored {
      for i in 0..<n where ignored[i] { weights[i] = 0 }
    }
    func volume<S: PixelSample>(_ samples: [S]) -> Volume<S> {
      Volume(width: instances.width, height: instances.height, depth: instances.depth, spacing: instances.spacing, samples: samples)
    }
    return VolumeWeightMap(
      weights: volume(weights), mask: volume(mask), instances: instances, classWeights: classWeights)
  }

  /// The weight map of one label volume on its own (class weights from its
  /// own counts when balanced).
  public func compute(_ labels: LabelVolume) -> VolumeWeightMap {
    let prepared = prepare(labels)
    return weights(for: prepared, classWeights: configuration.resolvedClassWeights(for: prepared.counts))
  }

  /// Only the border term of instances that are already normalised and
  /// separated (`w_c = 0`).
  public func borderTerm(instances: LabelVolume) -> Volume<Float> {
    weights(for: PreparedLabelVolume(instances: instances), classWeights: ClassWeights(background: 0, foreground: 0))
      .weights
  }
}

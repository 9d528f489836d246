import Raster
import WeightMap

/// How a foreground probability map becomes instances: the foreground is
/// `p > threshold`; its instances are its 4-connected components, or the
/// regions of a seeded watershed inside it, which also splits cells that
/// touch or are joined by a weak border. A volume's instances are its
/// 6-connected components, or the regions of a 3-D watershed.
public struct InstanceExtraction: Sendable, Equatable {
  /// Where the watershed's seeds come from.
  public enum Seeds: String, Sendable, CaseIterable {
    /// Maxima of the Euclidean distance from each foreground pixel to the
    /// nearest background pixel: round cells that touch (nuclei) get one
    /// seed each; `seedHeight` is in pixels.
    case distance
    /// Maxima of the foreground probability: cells joined by a border of
    /// lower probability (a faint membrane) get one seed each;
    /// `seedHeight` is in probability.
    case probability
  }

  public enum Method: Sendable, Equatable {
    /// The 4-connected components of the foreground.
    case components
    /// A seeded watershed inside the foreground (see ``Watershed``): seeds
    /// are the h-maxima of the height map with h = `seedHeight` (maxima
    /// that rise less than h above the pass to a higher one merge into
    /// it); every foreground pixel joins the seed it reaches over the
    /// highest pass of the same height map.
    case watershed(seeds: Seeds, seedHeight: Double)
  }

  public var method: Method

  public init(_ method: Method) { self.method = method }

  /// The default seed height of each seed source: 2 pixels of distance, or
  /// 0.1 of probability.
  public static func defaultSeedHeight(_ seeds: Seeds) -> Double {
    switch seeds {
    case .distance: 2
    case .probability: 0.1
    }
  }

  /// The instances of `probabilities` (one channel) at `threshold`:
  /// 0 = background, 1, 2, … the instances.
  ///
  /// - Complexity: O(n) for components, O(n log n) for the watershed.
  public func instances(of probabilities: Image<Float>, threshold: Double) -> LabelImage {
    instances(of: probabilities, foreground: probabilities.samples.map { Double($0) > threshold })
  }

  /// The instances of a given foreground (row-major flags, e.g. argmax
  /// class > 0) of `probabilities` (one channel, the foreground
  /// probability, for the probability seeds).
  ///
  /// - Complexity: O(n) for components, O(n log n) for the watershed.
  public func instances(of probabilities: Image<Float>, foreground mask: [Bool]) -> LabelImage {
    precondition(probabilities.channels == 1, "InstanceExtraction: \(probabilities.channels) channels")
    precondition(mask.count == probabilities.pixelCount, "InstanceExtraction: \(mask.count) flags for \(probabilities.pixelCount) pixels")
    let (w, h) = (probabilities.width, probabilities.height)
    switch method {
    case .components:
      return ConnectedComponents.label(Image(width: w, height: h, samples: mask.map { $0 ? UInt8(1) : 0 }))
    case .watershed(let seeds, let seedHeight):
      let heights: [Double]
      switch seeds {
      case .probability:
        heights = probabilities.samples.map(Double.init)
      case .distance:
        // Without background the distances are infinite: one flat height.
        let squared = DistanceTransform.squaredEuclidean(width: w, height: h, isSite: mask.map { !$0 })
        heights = squared.map { $0.isFinite ? $0.squareRoot() : 0 }
      }
      let markers = Watershed.seeds(heights, mask: mask, width: w, height: h, h: seedHeight)
      return Watershed.flood(heights, mask: mask, seeds: markers)
    }
  }
}

// MARK: Volumes

extension InstanceExtraction {
  /// The instances of a foreground probability volume at `threshold`: the
  /// foreground is `p > threshold` (compared in `Double`), its instances
  /// its 6-connected components or the regions of a 3-D seeded watershed
  /// (6-connected, see ``Watershed``); 0 = background, 1, 2, … the
  /// instances. The result has the volume's spacing.
  ///
  /// With ``Seeds/distance`` the heights are the Euclidean distances to the
  /// background in the volume's spacing (``VoxelSpacing``), so `seedHeight`
  /// is in its unit: voxels for the unit spacing.
  ///
  /// - Complexity: O(n) for components, O(n log n) for the watershed.
  public func instances(of probabilities: Volume<Float>, threshold: Double) -> LabelVolume {
    instances(of: probabilities, foreground: probabilities.samples.map { Double($0) > threshold })
  }

  /// The instances of a given foreground (flags in the volume's layout,
  /// e.g. argmax class > 0) of a foreground probability volume (for the
  /// probability seeds), as ``instances(of:threshold:)-(Volume<Float>,_)``
  /// makes them.
  ///
  /// - Complexity: O(n) for components, O(n log n) for the watershed.
  public func instances(of probabilities: Volume<Float>, foreground mask: [Bool]) -> LabelVolume {
    precondition(
      mask.count == probabilities.voxelCount,
      "InstanceExtraction: \(mask.count) flags for \(probabilities.voxelCount) voxels")
    let (w, h, d, spacing) = (probabilities.width, probabilities.height, probabilities.depth, probabilities.spacing)
    switch method {
    case .components:
      let flags = Volume(width: w, height: h, depth: d, spacing: spacing, samples: mask.map { $0 ? UInt8(1) : 0 })
      return ConnectedComponents.label(flags, connectivity: .four)
    case .watershed(let seeds, let seedHeight):
      let heights: [Double]
      switch seeds {
      case .probability:
        heights = probabilities.samples.map(Double.init)
      case .distance:
        let squared = DistanceTransform.squaredEuclidean(
          width: w, height: h, depth: d, spacing: spacing, isSite: mask.map { !$0 })
        heights = squared.map { $0.isFinite ? $0.squareRoot() : 0 }
      }
      let markers = Watershed.seeds(heights, mask: mask, width: w, height: h, depth: d, spacing: spacing, h: seedHeight)
      return Watershed.flood(heights, mask: mask, seeds: markers)
    }
  }
}

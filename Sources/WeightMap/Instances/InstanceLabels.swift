import RasterCore

/// How a label image's values are read.
public enum LabelInterpretation: String, Sendable, CaseIterable, Codable {
  /// A binary mask (values ⊆ {0, 1} or ⊆ {0, 255}) is split into its
  /// connected components; anything else is read as instance labels.
  case automatic
  /// Every non-zero pixel is foreground; instances are its connected components.
  case binaryMask
  /// Every non-zero value is one instance, as given.
  case instances
}

/// Turns a label image into instance labels.
public enum InstanceLabels {
  /// True when the values are ⊆ {0, 1} or ⊆ {0, 255} (an empty or all-zero
  /// image counts as binary).
  public static func isBinaryMask(_ labels: LabelImage) -> Bool { isBinary(labels.samples) }

  private static func isBinary(_ samples: [UInt32]) -> Bool {
    var seen1 = false
    var seen255 = false
    for v in samples {
      switch v {
      case 0: continue
      case 1: seen1 = true
      case 255: seen255 = true
      default: return false
      }
      if seen1 && seen255 { return false }
    }
    return true
  }

  /// Instance labels for a label image: 0 = background, every other value
  /// one instance.
  ///
  /// With `.automatic`, a binary mask (see ``isBinaryMask(_:)``) becomes the
  /// connected components of its non-zero pixels, numbered 1, 2, … in raster
  /// order; other images are returned unchanged. A one-instance label image
  /// whose id happens to be 1 or 255 is thus split into its connected
  /// components — pass `.instances` to keep it whole. ISBI 2012 labels
  /// (255 = cell, 0 = membrane) are binary masks: their cells are the
  /// 4-connected components of the 255 region.
  ///
  /// - Complexity: O(width × height).
  public static func normalize(
    _ labels: LabelImage,
    interpretation: LabelInterpretation = .automatic,
    connectivity: Connectivity = .four
  ) -> LabelImage {
    precondition(labels.channels == 1, "InstanceLabels: expected 1 channel, got \(labels.channels)")
    return normalized(labels, labels.samples, interpretation) { ConnectedComponents.label($0, connectivity: connectivity) }
  }

  /// `labels` as they are, or their `components`, as `interpretation` says.
  private static func normalized<L>(
    _ labels: L, _ samples: [UInt32], _ interpretation: LabelInterpretation, components: (L) -> L
  ) -> L {
    switch interpretation {
    case .instances: labels
    case .binaryMask: components(labels)
    case .automatic: isBinary(samples) ? components(labels) : labels
    }
  }

  /// Instance labels for a label volume, as ``normalize(_:interpretation:connectivity:)``
  /// does for an image: a binary mask becomes its connected components
  /// (`.four`: 6 face neighbours, `.eight`: 26 neighbours).
  ///
  /// - Complexity: O(width × height × depth).
  public static func normalize(
    _ labels: LabelVolume,
    interpretation: LabelInterpretation = .automatic,
    connectivity: Connectivity = .four
  ) -> LabelVolume {
    normalized(labels, labels.samples, interpretation) { ConnectedComponents.label($0, connectivity: connectivity) }
  }
}

import Raster

/// The separation borders of the U-Net paper's Fig. 3c: pixels where two
/// instances touch become background, so that touching objects are apart in
/// the mask the network learns.
///
/// A pixel of instance `i` becomes background (0) when one of its 8
/// neighbours belongs to another instance `j ≠ i`, `j > 0`. Neighbours are
/// judged on the original labels, all at once (not iteratively), so both
/// sides of a contact lose their touching pixels and the result does not
/// depend on the scan order.
///
/// Ronneberger, Fischer, Brox, "U-Net: Convolutional Networks for Biomedical
/// Image Segmentation", MICCAI 2015, arXiv:1505.04597.
public enum Separation {
  /// The labels with every touching pixel set to 0.
  ///
  /// - Parameter labels: instance labels, 0 = background.
  /// - Returns: labels of the same size; instance ids are kept (an instance
  ///   may lose all its pixels when it is one pixel thin).
  /// - Complexity: O(width × height).
  public static func apply(_ labels: LabelImage) -> LabelImage {
    precondition(labels.channels == 1, "Separation: expected 1 channel, got \(labels.channels)")
    let width = labels.width
    let height = labels.height
    var out = labels.samples
    guard width > 0 && height > 0 else { return labels }
    labels.samples.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        // Every 8-neighbour pair once: right, down-left, down, down-right.
        // A pair of two different instances clears both pixels.
        for y in 0..<height {
          let row = y * width
          let hasDown = y + 1 < height
          for x in 0..<width {
            let i = row + x
            let l = src[i]
            if l == 0 { continue }
            if x + 1 < width {
              let m = src[i + 1]
              if m != l && m != 0 {
                dst[i] = 0
                dst[i + 1] = 0
              }
            }
            guard hasDown else { continue }
            let j = i + width
            let m = src[j]
            if m != l && m != 0 {
              dst[i] = 0
              dst[j] = 0
            }
            if x > 0 {
              let m = src[j - 1]
              if m != l && m != 0 {
                dst[i] = 0
                dst[j - 1] = 0
              }
            }
            if x + 1 < width {
              let m = src[j + 1]
              if m != l && m != 0 {
                dst[i] = 0
                dst[j + 1] = 0
              }
            }
          }
        }
      }
    }
    return LabelImage(width: width, height: height, samples: out)
  }
}

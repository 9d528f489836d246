import RasterCore

/// The separation borders of the U-Net paper's Fig. 3c: pixels where two
/// instances touch become background, so that touching objects are apart in
/// the mask the network learns.
///
/// A pixel of instance `i` becomes background (0) when one of its 8
/// neighbours (26 in a volume: every voxel of the 3 × 3 × 3 block around
/// it) belongs to another instance `j ≠ i`, `j > 0`. Neighbours are judged
/// on the original labels, all at once (not iteratively), so both sides of
/// a contact lose their touching pixels and the result does not depend on
/// the scan order.
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
    return LabelImage(
      width: labels.width, height: labels.height,
      samples: separate(labels.samples, width: labels.width, height: labels.height, depth: 1))
  }

  /// The volume's labels with every voxel that touches another instance
  /// over its 26 neighbours set to 0.
  ///
  /// - Complexity: O(width × height × depth).
  public static func apply(_ labels: LabelVolume) -> LabelVolume {
    var out = labels
    out.samples = separate(labels.samples, width: labels.width, height: labels.height, depth: labels.depth)
    return out
  }

  /// Every neighbour pair once: the forward half of the 3 × 3 × 3 block
  /// (the 4 of the 3 × 3 square in a plane — right, down-left, down,
  /// down-right — and the 9 of the next slice). A pair of two different
  /// instances clears both voxels.
  private static func separate(_ labels: [UInt32], width: Int, height: Int, depth: Int) -> [UInt32] {
    var out = labels
    guard width > 0 && height > 0 && depth > 0 else { return out }
    let forward: [(dx: Int, dy: Int, dz: Int)] =
      [(1, 0, 0), (-1, 1, 0), (0, 1, 0), (1, 1, 0)]
      + (depth > 1 ? (-1...1).flatMap { dy in (-1...1).map { dx in (dx, dy, 1) } } : [])
    let slice = width * height
    let deltas = forward.map { $0.dz * slice + $0.dy * width + $0.dx }
    labels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        forward.withUnsafeBufferPointer { forward in
          deltas.withUnsafeBufferPointer { deltas in
            for z in 0..<depth {
              for y in 0..<height {
                let row = z * slice + y * width
                // Away from the side columns, the last row and (in a
                // volume) the first row and last slice, every forward
                // neighbour exists.
                let inner = y + 1 < height && (depth == 1 || (y > 0 && z + 1 < depth))
                for x in 0..<width {
                  let i = row + x
                  let l = src[i]
                  if l == 0 { continue }
                  let all = inner && x > 0 && x + 1 < width
                  for k in 0..<forward.count {
                    if !all {
                      let o = forward[k]
                      let (nx, ny, nz) = (x + o.dx, y + o.dy, z + o.dz)
                      guard nx >= 0, nx < width, ny >= 0, ny < height, nz < depth else { continue }
                    }
                    let j = i + deltas[k]
                    let m = src[j]
                    if m != l && m != 0 {
                      dst[i] = 0
                      dst[j] = 0
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return out
  }
}

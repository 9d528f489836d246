import Raster

/// Overlap-tile prediction of volumes with a 3-D network: the same strategy
/// as for images along three axes. The volume is extended by mirroring,
/// cut into input tiles whose valid outputs tile it, and the class
/// probabilities are stitched together. Tile origins lie on the grid of
/// the network's poolings along each axis (2^depth in-plane; along z
/// 2^(depth − inPlanePoolings)), so the result does not depend on the tile size.
extension TiledPredictor {
  /// The pooling period along each axis, slowest first: the product of
  /// the pooling windows' sizes along it.
  var poolingPeriods: [Int] {
    (0..<architecture.dimensions).map { axis in
      (0..<architecture.depth).reduce(1) { $0 * architecture.poolingWindow(level: $1)[axis] }
    }
  }

  /// Class probabilities, K×D×H×W (plain, class volumes), of a normalised
  /// one-channel volume.
  /// - Precondition: the network is 3-D with one input channel.
  public func probabilities(_ volume: Volume<Float>) throws -> [Float] {
    precondition(architecture.dimensions == 3 && architecture.inputChannels == 1, "a 3-D network of one channel")
    let k = architecture.classes
    let extent = [volume.depth, volume.height, volume.width]
    let count = extent.reduce(1, *)
    let periods = poolingPeriods
    let output = outputExtent
    // Grid-aligned strides where the output allows it (tile-size invariance).
    let strides = (0..<3).map { output[$0] >= periods[$0] ? output[$0] / periods[$0] * periods[$0] : output[$0] }
    let margins = architecture.margins
    let tile = tileSize.extent
    var result = [Float](repeating: 0, count: k * count)
    var input = [Float](repeating: 0, count: tile.reduce(1, *))
    let source = volume.flat.samples
    let plane = output.reduce(1, *)
    for z0 in Swift.stride(from: 0, to: extent[0], by: strides[0]) {
      for y0 in Swift.stride(from: 0, to: extent[1], by: strides[1]) {
        for x0 in Swift.stride(from: 0, to: extent[2], by: strides[2]) {
          let origin = [z0, y0, x0]
          source.withUnsafeBufferPointer { s in
            input.withUnsafeMutableBufferPointer { t in
              OverlapTile.copyMirrored(
                s, channels: 1, extent: extent, start: zip(origin, margins).map { $0 - $1 }, size: tile, into: t, at: 0)
            }
          }
          let logits = try network.forward(input, dropoutSeed: 0)
          let (dz, dy, dx) = (
            min(strides[0], extent[0] - z0), min(strides[1], extent[1] - y0), min(strides[2], extent[2] - x0)
          )
          for oz in 0..<dz {
            for oy in 0..<dy {
              for ox in 0..<dx {
                let p = (oz * output[1] + oy) * output[2] + ox
                var top = -Float.infinity
                for j in 0..<k { top = max(top, logits[j * plane + p]) }
                var sum: Float = 0
                for j in 0..<k { sum += expf(logits[j * plane + p] - top) }
                let q = ((z0 + oz) * extent[1] + y0 + oy) * extent[2] + x0 + ox
                for j in 0..<k { result[j * count + q] = expf(logits[j * plane + p] - top) / sum }
              }
            }
          }
        }
      }
    }
    return result
  }

  /// `probabilities(_:)` averaged over the 8 flips of the volume's axes
  /// (each prediction flipped back before it is added): test-time
  /// augmentation with the symmetries of the training augmentation.
  public func averagedProbabilities(_ volume: Volume<Float>) throws -> [Float] {
    let (d, h, w) = (volume.depth, volume.height, volume.width)
    let count = d * h * w
    let k = architecture.classes
    var sum = [Float](repeating: 0, count: k * count)
    let source = volume.flat.samples
    /// The index of voxel q after flipping the axes in `flips` (bit 0: x, 1: y, 2: z).
    func flipped(_ q: Int, _ flips: Int) -> Int {
      var (z, y, x) = (q / (h * w), q / w % h, q % w)
      if flips & 1 != 0 { x = w - 1 - x }
      if flips & 2 != 0 { y = h - 1 - y }
      if flips & 4 != 0 { z = d - 1 - z }
      return (z * h + y) * w + x
    }
    for flips in 0..<8 {
      var samples = [Float](repeating: 0, count: count)
      for q in 0..<count { samples[flipped(q, flips)] = source[q] }
      let turned = Volume(
        flat: Image(width: w, height: h * d, samples: samples), depth: d, spacing: volume.spacing)
      let p = try probabilities(turned)
      for j in 0..<k {
        for q in 0..<count { sum[j * count + q] += p[j * count + flipped(q, flips)] }
      }
    }
    return sum.map { $0 / 8 }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

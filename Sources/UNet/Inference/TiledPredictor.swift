import Raster

/// Overlap-tile prediction (the paper's Fig. 2): the image is extended by
/// mirroring, cut into input tiles whose valid outputs tile the image, and
/// the class probabilities are stitched together.
///
/// Tile origins lie on a grid of 2^depth pixels starting at the image
/// corner, the period of the network's poolings, so the result does not
/// depend on the tile size: each output pixel sees the same mirrored input
/// window at the same pooling phase whichever tile computes it.
public final class TiledPredictor {
  public let architecture: Architecture
  public let tile: Int
  public let output: Int
  private let network: any CompiledGraph

  /// Compiles an inference network for `tile` and loads `parameters`.
  public init(architecture: Architecture, parameters: [[Float]], tile: Int, backend: any Backend) throws {
    self.architecture = architecture
    self.tile = tile
    output = try architecture.validateTile(tile)
    network = try backend.compile(architecture.graph, batch: 1, inputSize: tile, training: false)
    network.setParameters(parameters)
  }

  /// Replaces the weights (after training steps).
  public func setParameters(_ parameters: [[Float]]) { network.setParameters(parameters) }

  /// Class probabilities, K×H×W (plain, class planes), for a normalised
  /// image of `architecture.inputChannels` channels (interleaved H×W×C).
  public func probabilities(_ image: Image<Float>) -> [Float] {
    precondition(image.channels == architecture.inputChannels, "image has \(image.channels) channels")
    let k = architecture.classes
    let (w, h, c) = (image.width, image.height, image.channels)
    let period = 1 << architecture.depth
    // Grid-aligned strides when the output allows it (tile-size invariance).
    let stride = output >= period ? output / period * period : output
    let margin = architecture.margin
    var result = [Float](repeating: 0, count: k * w * h)
    var input = [Float](repeating: 0, count: c * tile * tile)
    for y0 in Swift.stride(from: 0, to: h, by: stride) {
      for x0 in Swift.stride(from: 0, to: w, by: stride) {
        for ch in 0..<c {
          for ty in 0..<tile {
            let sy = reflect(y0 - margin + ty, h)
            for tx in 0..<tile {
              let sx = reflect(x0 - margin + tx, w)
              input[(ch * tile + ty) * tile + tx] = image.samples[(sy * w + sx) * c + ch]
            }
          }
        }
        let logits = network.forward(input, dropoutSeed: 0)
        let plane = output * output
        for oy in 0..<min(stride, h - y0) {
          for ox in 0..<min(stride, w - x0) {
            let p = oy * output + ox
            var top = -Float.infinity
            for j in 0..<k { top = max(top, logits[j * plane + p]) }
            var sum: Float = 0
            for j in 0..<k { sum += expf(logits[j * plane + p] - top) }
            for j in 0..<k {
              result[(j * h + y0 + oy) * w + x0 + ox] = expf(logits[j * plane + p] - top) / sum
            }
          }
        }
      }
    }
    return result
  }
}

/// numpy's 'reflect' index (edge not repeated), for any distance outside.
@inline(__always) func reflect(_ i: Int, _ n: Int) -> Int {
  guard n > 1 else { return 0 }
  let period = 2 * (n - 1)
  var m = i % period
  if m < 0 { m += period }
  return m < n ? m : period - m
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

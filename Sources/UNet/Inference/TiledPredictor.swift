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
  /// The input tile (W×H×D for a 3-D network).
  public let tileSize: TileSize
  /// The output of one tile along each axis, slowest first.
  public let outputExtent: [Int]
  /// The side of a square 2-D tile.
  public var tile: Int { tileSize.side }
  /// The side of a square 2-D tile's output.
  public var output: Int { outputExtent[outputExtent.count - 1] }
  let network: any CompiledGraph

  /// Compiles an inference network for `tile` and loads `parameters`.
  /// - Parameter statistics: the running statistics its normalisation
  ///   layers normalise with (those of the trained model); nil gives a new
  ///   network's. They, not a tile's own statistics, make each pixel's
  ///   output independent of the tile it falls in.
  public convenience init(
    architecture: Architecture, parameters: [[Float]], statistics: RunningStatistics? = nil, tile: Int,
    backend: any Backend
  ) throws {
    let count = architecture.parameterSpecs.count
    precondition(parameters.count == count, "\(parameters.count) parameter tensors for \(count)")
    try self.init(
      architecture: architecture, parameter: { parameters[$0] }, statistics: statistics, tile: tile, backend: backend,
      concurrently: true)
  }

  /// Compiles an inference network for `tile` and loads parameter i from
  /// `parameter(i)`, one at a time (see `init(architecture:parameters:…)`).
  /// - Parameter concurrently: whether `parameter` may be called on several
  ///   threads at once, so that the conversions into the network's layouts
  ///   run in parallel.
  convenience init(
    architecture: Architecture, parameter: (Int) -> [Float], statistics: RunningStatistics?, tile: Int,
    backend: any Backend, concurrently: Bool = false
  ) throws {
    try self.init(
      architecture: architecture, parameter: parameter, statistics: statistics,
      tileSize: TileSize(Array(repeating: tile, count: architecture.dimensions)), backend: backend,
      concurrently: concurrently)
  }

  /// Compiles an inference network for `tileSize` and loads parameter i
  /// from `parameter(i)` (see `init(architecture:parameter:statistics:tile:backend:concurrently:)`).
  init(
    architecture: Architecture, parameter: (Int) -> [Float], statistics: RunningStatistics?, tileSize: TileSize,
    backend: any Backend, concurrently: Bool = false
  ) throws {
    self.architecture = architecture
    self.tileSize = tileSize
    outputExtent = try architecture.validateTile(tileSize)
    network = try backend.compile(architecture.graph, batch: 1, input: tileSize.extent, training: false)
    if concurrently {
      network.loadParameters(concurrently: parameter)
    } else {
      for index in architecture.parameterSpecs.indices { network.setParameter(index, parameter(index)) }
    }
    try network.setRunningStatistics(statistics ?? architecture.initialStatistics)
  }

  /// The predictor of a trained model.
  public convenience init(_ model: TrainedModel, tile: Int, backend: any Backend) throws {
    try self.init(
      architecture: model.architecture, parameters: model.parameters, statistics: model.statistics, tile: tile,
      backend: backend)
  }

  /// The predictor of a trained model, for tiles of `tileSize` (2-D or 3-D
  /// as the model is).
  /// - Throws: `TrainingError` for a tile the network does not take.
  public convenience init(_ model: TrainedModel, tileSize: TileSize, backend: any Backend) throws {
    try self.init(
      architecture: model.architecture, parameter: { model.parameters[$0] }, statistics: model.statistics,
      tileSize: tileSize, backend: backend, concurrently: true)
  }

  /// Replaces the weights (after training steps).
  public func setParameters(_ parameters: [[Float]]) { network.setParameters(parameters) }

  /// Replaces parameter `index` alone.
  public func setParameter(_ index: Int, _ values: [Float]) { network.setParameter(index, values) }

  /// Replaces the running statistics (after training steps).
  public func setRunningStatistics(_ statistics: RunningStatistics) throws {
    try network.setRunningStatistics(statistics)
  }

  /// Class probabilities, K×output×output (class planes), of one normalised
  /// input tile, planar C×tile×tile: the network's forward and a softmax
  /// over the classes, with no mirroring or stitching.
  public func tileProbabilities(_ input: [Float]) throws -> [Float] {
    precondition(input.count == architecture.inputChannels * tile * tile, "\(input.count) samples for one tile")
    let k = architecture.classes
    let logits = try network.forward(input, dropoutSeed: 0)
    let plane = output * output
    var result = [Float](repeating: 0, count: k * plane)
    for p in 0..<plane {
      var top = -Float.infinity
      for j in 0..<k { top = max(top, logits[j * plane + p]) }
      var sum: Float = 0
      for j in 0..<k { sum += expf(logits[j * plane + p] - top) }
      for j in 0..<k { result[j * plane + p] = expf(logits[j * plane + p] - top) / sum }
    }
    return result
  }

  /// Class probabilities, K×H×W (plain, class planes), for a normalised
  /// image of `architecture.inputChannels` channels (interleaved H×W×C).
  public func probabilities(_ image: Image<Float>) throws -> [Float] {
    precondition(image.channels == architecture.inputChannels, "image has \(image.channels) channels")
    let k = architecture.classes
    let (w, h, c) = (image.width, image.height, image.channels)
    let period = 1 << architecture.depth
    // Grid-aligned strides when the output allows it (tile-size invariance).
    let stride = output >= period ? output / period * period : output
    let margin = architecture.margin
    var result = [Float](repeating: 0, count: k * w * h)
    // Planar C×H×W once; each tile is a mirrored window of it.
    var planar = [Float](repeating: 0, count: c * w * h)
    for p in 0..<w * h {
      for ch in 0..<c { planar[ch * w * h + p] = image.samples[p * c + ch] }
    }
    var input = [Float](repeating: 0, count: c * tile * tile)
    for y0 in Swift.stride(from: 0, to: h, by: stride) {
      for x0 in Swift.stride(from: 0, to: w, by: stride) {
        planar.withUnsafeBufferPointer { source in
          input.withUnsafeMutableBufferPointer { target in
            OverlapTile.copyMirrored(
              source, channels: c, height: h, width: w, top: y0 - margin, left: x0 - margin, side: tile,
              into: target, at: 0)
          }
        }
        let logits = try network.forward(input, dropoutSeed: 0)
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

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

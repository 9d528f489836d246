/// N training tiles in plain row-major layouts, ready to copy into tensors.
///
/// - `images`: N×C×tile (NCHW, or NCDHW for volumes), the input tiles.
/// - `labels`: N×output class indices, the output regions' masks.
/// - `weights`: N×output pixel weights; 0 where the output region lies
///   outside its sample, so that those pixels do not count in the loss.
public struct TileBatch: Sendable, Equatable {
  /// N, the number of tiles.
  public var batch: Int
  /// C, the image channels.
  public var channels: Int
  /// The input tile's size along each spatial axis, slowest first.
  public var tileExtent: [Int]
  /// The output region's size along each spatial axis, slowest first.
  public var outputExtent: [Int]
  /// N×C×tile samples.
  public var images: [Float]
  /// N×output class indices.
  public var labels: [Int32]
  /// N×output pixel weights (0 outside the sample).
  public var weights: [Float]
  /// The N sample keys, for logs and tests.
  public var keys: [String]

  /// A batch of zeros with empty keys.
  public init(batch: Int, channels: Int, tile: [Int], output: [Int]) {
    self.batch = batch
    self.channels = channels
    tileExtent = tile
    outputExtent = output
    images = [Float](repeating: 0, count: batch * channels * tile.reduce(1, *))
    labels = [Int32](repeating: 0, count: batch * output.reduce(1, *))
    weights = [Float](repeating: 0, count: batch * output.reduce(1, *))
    keys = [String](repeating: "", count: batch)
  }

  /// A batch of square 2-D tiles.
  public init(batch: Int, channels: Int, tile: Int, output: Int) {
    self.init(batch: batch, channels: channels, tile: [tile, tile], output: [output, output])
  }

  /// The input tile's side (2-D square tiles).
  public var tile: Int { tileExtent.last! }
  /// The output region's side (2-D square tiles).
  public var output: Int { outputExtent.last! }
}

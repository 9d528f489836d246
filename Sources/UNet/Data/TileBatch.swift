/// N training tiles in plain row-major layouts, ready to copy into tensors.
///
/// - `images`: N×C×tile×tile (NCHW), the input tiles.
/// - `labels`: N×output×output class indices, the output regions' masks.
/// - `weights`: N×output×output pixel weights; 0 where the output region lies
///   outside its sample, so that those pixels do not count in the loss.
public struct TileBatch: Sendable, Equatable {
  /// N, the number of tiles.
  public var batch: Int
  /// C, the image channels.
  public var channels: Int
  /// The input tile's side in pixels.
  public var tile: Int
  /// The output region's side in pixels.
  public var output: Int
  /// N×C×tile×tile samples (NCHW).
  public var images: [Float]
  /// N×output×output class indices.
  public var labels: [Int32]
  /// N×output×output pixel weights (0 outside the sample).
  public var weights: [Float]
  /// The N sample keys, for logs and tests.
  public var keys: [String]

  /// A batch of zeros with empty keys.
  public init(batch: Int, channels: Int, tile: Int, output: Int) {
    self.batch = batch
    self.channels = channels
    self.tile = tile
    self.output = output
    images = [Float](repeating: 0, count: batch * channels * tile * tile)
    labels = [Int32](repeating: 0, count: batch * output * output)
    weights = [Float](repeating: 0, count: batch * output * output)
    keys = [String](repeating: "", count: batch)
  }
}

extension TrainingStream {
  /// What a stream yields: the dataset, tile geometry, batch size, class
  /// count and seed. Together with the dataset's manifest it fixes every
  /// tile of the stream.
  public struct Configuration: Sendable, Hashable, Codable {
    /// The dataset folder written by `unet augment`: `manifest.json` and its
    /// shards.
    public var directory: String
    /// The input tile's size along each spatial axis, slowest first (two
    /// for a dataset of images, three for one of volumes).
    public var tile: [Int]
    /// The output region's size along each axis; `tile − output` is even
    /// (twice the network's margin along the axis).
    public var output: [Int]
    /// Tiles per batch.
    public var batch: Int
    /// The class count K; mask values must be in 0..<K.
    public var classes: Int
    /// The seed of the shard order, shuffle buffer and tile positions.
    public var seed: UInt64
    /// Decoded samples held in the shuffle buffer.
    public var bufferSize: Int

    /// Creates a configuration; see `problem` for the valid ranges.
    public init(
      directory: String, tile: [Int], output: [Int], batch: Int, classes: Int, seed: UInt64, bufferSize: Int = 16
    ) {
      self.directory = directory
      self.tile = tile
      self.output = output
      self.batch = batch
      self.classes = classes
      self.seed = seed
      self.bufferSize = bufferSize
    }

    /// A configuration of square 2-D tiles.
    public init(
      directory: String, tile: Int, output: Int, batch: Int, classes: Int, seed: UInt64, bufferSize: Int = 16
    ) {
      self.init(
        directory: directory, tile: [tile, tile], output: [output, output], batch: batch, classes: classes, seed: seed,
        bufferSize: bufferSize)
    }

    /// A one-line reason when a value is out of range, else nil.
    public var problem: String? {
      let (t, o) = (TileSize(tile), TileSize(output))
      if !(2...3).contains(tile.count) || tile.count != output.count {
        return "tile \(t) and output \(o) must both have 2 or 3 dimensions"
      }
      if output.contains(where: { $0 < 1 }) { return "output \(o) must be at least 1" }
      if zip(tile, output).contains(where: { $0 < $1 || ($0 - $1) % 2 != 0 }) {
        return "tile \(t) must be output \(o) plus an even margin on both sides"
      }
      if batch < 1 { return "batch \(batch) must be at least 1" }
      if !(1...256).contains(classes) { return "classes \(classes) must be 1 to 256 (masks are 8-bit)" }
      if bufferSize < 1 { return "buffer size \(bufferSize) must be at least 1" }
      return nil
    }
  }

  /// Where a stream stands: all it takes to continue it exactly, and no
  /// pixel data. `TrainingStream(configuration, state: s)` re-reads the
  /// buffered samples from their shards and yields the same tiles as the
  /// stream that produced `s`.
  ///
  /// The random choices are functions of the seed and a counter, so no
  /// generator state is stored: epoch e's shard order comes from
  /// `SplitMix64(seed: seed, stream: 2e)`, tile t's buffer slot and
  /// position from `SplitMix64(seed: seed, stream: 2t + 1)`.
  public struct State: Sendable, Hashable, Codable {
    /// A sample's place in the dataset: its shard's position in the
    /// manifest (for a complete manifest, the shard index) and its ordinal
    /// in the shard.
    public struct SampleRef: Sendable, Hashable, Codable {
      public var shard: Int
      public var ordinal: Int
    }

    /// SHA-256 of the manifest (its canonical `encoded()` bytes): the
    /// dataset this state belongs to.
    public internal(set) var manifestSHA256: String
    /// Tiles emitted so far.
    public internal(set) var tiles: Int
    /// The epoch being read into the buffer (0-based).
    public internal(set) var epoch: Int
    /// The position, in the epoch's shard order, of the shard being read;
    /// the shard count once the epoch is read and its buffer drains.
    public internal(set) var shardPosition: Int
    /// Samples already read from that shard.
    public internal(set) var sampleOrdinal: Int
    /// The samples in the shuffle buffer, slot by slot.
    public internal(set) var buffer: [SampleRef]
  }
}

import Foundation
import Raster
import _Support
import Shards

/// Streams training tiles from a dataset folder written by `unet augment`:
/// `manifest.json` and WebDataset shards whose samples hold `image.npy`
/// (float32, `(H, W)` or `(C, H, W)`), `mask.png` (class indices) and
/// `weight.npy` (float32 `(H, W)` pixel weights); or, for a dataset of
/// volumes (`unet augment --volume`), `image.npy`, `mask.npy` and
/// `weight.npy` of shape `(D, H, W)` (``SampleLayout``).
///
/// Order, epoch by epoch: the shards in a seeded random permutation, the
/// samples of a shard in sequence, through a shuffle buffer of
/// `bufferSize` decoded samples. The buffer is filled first; each draw then
/// takes a uniformly random slot, emits it and refills the slot with the
/// next sample. At the end of an epoch the buffer drains (emptied slots are
/// removed) before the next epoch fills it, so each epoch emits every sample
/// exactly once. Each emitted sample gives one tile of the overlap-tile
/// strategy (Ronneberger et al. 2015, Fig. 2): an output region at a
/// uniformly random position inside the sample, and the input tile around
/// it, mirrored past the sample's edges.
///
/// The stream is a pure function of the configuration and the manifest: no
/// global randomness, no dependence on threads or timing. `state` captures
/// where it stands, and a stream created from it continues identically.
///
/// Each shard's size and SHA-256 are checked against the manifest before
/// the stream first reads it. Memory: `bufferSize` decoded samples and one
/// open shard, whatever the dataset's size. After `next()` throws, the
/// stream must not be used again.
public final class TrainingStream {
  /// What the stream yields.
  public let configuration: Configuration
  /// The dataset's manifest.
  public let manifest: Manifest
  /// The image channels C, from the first sample; every sample must have
  /// as many.
  public private(set) var channels = 0
  /// Whether the dataset holds images or volumes (its manifest says).
  public let layout: SampleLayout

  private let geometry: OverlapTile
  private let manifestSHA256: String
  private var tiles = 0
  private var epoch = 0
  private var shardOrder: [Int] = []
  private var shardPosition = 0
  private var sampleOrdinal = 0
  private var buffer: [TrainingSample] = []
  private var reader: ShardReader?
  private var verified: Set<Int> = []

  /// Opens the dataset and fills the shuffle buffer, or restores it from
  /// `state`.
  /// - Throws: `TrainingError` for an invalid configuration, an incomplete
  ///   or empty dataset, a missing shard or a state of another dataset;
  ///   `ShardError` for an unreadable manifest or shard, or a checksum
  ///   mismatch; sample errors (see `next()`) for the samples read.
  public init(_ configuration: Configuration, state: State? = nil) throws {
    if let problem = configuration.problem { throw TrainingError(problem) }
    let path = configuration.directory + "/" + Manifest.fileName
    let manifest = try Manifest.read(from: path)
    guard manifest.isComplete else {
      throw TrainingError(
        "\(path): the dataset is incomplete (\(manifest.shards.count) of \(manifest.plan.shardCount) shards); "
          + "finish it with unet augment")
    }
    guard manifest.totalSamples > 0 else { throw TrainingError("\(path): the dataset has no samples") }
    layout = try SampleLayout(configuration: manifest.configuration, path: path)
    guard configuration.tile.count == layout.dimensions else {
      throw TrainingError(
        "\(path): the dataset holds \(layout == .volume ? "3-D volumes (D, H, W)" : "2-D images"), but the tile "
          + "\(TileSize(configuration.tile)) is \(configuration.tile.count)-D")
    }
    for shard in manifest.shards {
      let shardPath = configuration.directory + "/" + shard.file
      guard FileManager.default.fileExists(atPath: shardPath) else {
        throw TrainingError("\(shardPath): the shard is missing (listed in \(Manifest.fileName))")
      }
    }
    self.configuration = configuration
    self.manifest = manifest
    manifestSHA256 = sha256Hex(manifest.encoded())
    geometry = OverlapTile(tile: configuration.tile, output: configuration.output)

    if let state {
      try restore(state)
    } else {
      try startEpoch(0)
    }
  }

  /// Where the stream stands after the last `next()`.
  public var state: State {
    State(
      manifestSHA256: manifestSHA256, tiles: tiles, epoch: epoch, shardPosition: shardPosition,
      sampleOrdinal: sampleOrdinal, buffer: buffer.map(\.ref))
  }

  /// The next `batch` tiles.
  /// - Throws: `ShardError` for a shard that is unreadable or differs from
  ///   the manifest; `TrainingError` naming the shard and sample for a
  ///   sample without `image.npy`, `mask.png` or `weight.npy`, with sizes
  ///   that differ, a mask value ≥ `classes` or another channel count;
  ///   `RasterError` for a field that does not decode.
  public func next() throws -> TileBatch {
    var batch = TileBatch(
      batch: configuration.batch, channels: channels, tile: configuration.tile, output: configuration.output)
    for n in 0..<configuration.batch {
      var rng = SplitMix64(seed: configuration.seed, stream: 2 &* UInt64(tiles) &+ 1)
      let slot = uniformIndex(rng.next(), below: buffer.count)
      let sample = buffer[slot]
      let origin = geometry.origin(extent: sample.extent, using: &rng)
      geometry.extract(sample, at: origin, into: &batch, index: n)
      batch.keys[n] = sample.key
      tiles += 1
      if let replacement = try readNext() {
        buffer[slot] = replacement
      } else {
        buffer.remove(at: slot)
        if buffer.isEmpty { try startEpoch(epoch + 1) }
      }
    }
    return batch
  }

  // MARK: - Reading

  /// Starts epoch `epoch`: draws its shard order and fills the buffer.
  private func startEpoch(_ epoch: Int) throws {
    self.epoch = epoch
    shardOrder = Self.shardOrder(count: manifest.shards.count, seed: configuration.seed, epoch: epoch)
    (shardPosition, sampleOrdinal, reader) = (0, 0, nil)
    while buffer.count < configuration.bufferSize, let sample = try readNext() { buffer.append(sample) }
  }

  /// The shard positions in epoch `epoch`'s order: a Fisher–Yates shuffle
  /// driven by `SplitMix64(seed: seed, stream: 2·epoch)`.
  static func shardOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = SplitMix64(seed: seed, stream: 2 &* UInt64(epoch))
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(i, uniformIndex(rng.next(), below: i + 1))
    }
    return order
  }

  /// The epoch's next sample, or nil once the epoch is read.
  private func readNext() throws -> TrainingSample? {
    while shardPosition < shardOrder.count {
      let shard = shardOrder[shardPosition]
      if sampleOrdinal < manifest.shards[shard].samples {
        if reader == nil { reader = try open(shard, skipping: sampleOrdinal) }
        let ref = State.SampleRef(shard: shard, ordinal: sampleOrdinal)
        let sample = try decode(try read(reader!, shard), ref)
        sampleOrdinal += 1
        return sample
      }
      (shardPosition, sampleOrdinal, reader) = (shardPosition + 1, 0, nil)
    }
    return nil
  }

  /// Opens shard `shard`, verifying it first if this stream has not yet,
  /// and skips its first `count` samples.
  private func open(_ shard: Int, skipping count: Int) throws -> ShardReader {
    let info = manifest.shards[shard]
    if !verified.contains(shard) {
      try verify(shard: shardPath(info), against: info)
      verified.insert(shard)
    }
    let reader = try ShardReader(path: shardPath(info))
    for _ in 0..<count { _ = try read(reader, shard) }
    return reader
  }

  /// The next sample of `reader`, which reads shard `shard`.
  private func read(_ reader: ShardReader, _ shard: Int) throws -> ShardSample {
    guard let sample = try reader.next() else {
      throw TrainingError(
        "\(reader.path): the shard ends before its \(manifest.shards[shard].samples) samples (\(Manifest.fileName))")
    }
    return sample
  }

  private func decode(_ raw: ShardSample, _ ref: State.SampleRef) throws -> TrainingSample {
    let path = shardPath(manifest.shards[ref.shard])
    let sample = try TrainingSample(raw, ref: ref, shard: path, classes: configuration.classes, layout: layout)
    if channels == 0 { channels = sample.channels }
    guard sample.channels == channels else {
      throw TrainingError(
        "\(path): sample \(sample.key) has \(sample.channels) image channels, earlier samples \(channels)")
    }
    return sample
  }

  private func shardPath(_ info: ShardInfo) -> String { configuration.directory + "/" + info.file }

  // MARK: - Resuming

  /// Takes up the stream at `state`: the epoch's shard order, the reading
  /// position (the shard is reopened on the next read) and the buffered
  /// samples, re-read shard by shard.
  private func restore(_ state: State) throws {
    let shards = manifest.shards
    func fits(_ ref: State.SampleRef) -> Bool {
      shards.indices.contains(ref.shard) && (0..<shards[ref.shard].samples).contains(ref.ordinal)
    }
    guard state.manifestSHA256 == manifestSHA256 else {
      throw TrainingError(
        "\(configuration.directory)/\(Manifest.fileName): the stream state belongs to another dataset")
    }
    guard state.tiles >= 0, state.epoch >= 0, (0...shards.count).contains(state.shardPosition),
      state.sampleOrdinal >= 0, !state.buffer.isEmpty, state.buffer.count <= configuration.bufferSize,
      state.buffer.allSatisfy(fits)
    else {
      throw TrainingError("\(configuration.directory): the stream state does not fit this dataset and configuration")
    }
    (tiles, epoch, shardPosition, sampleOrdinal) = (state.tiles, state.epoch, state.shardPosition, state.sampleOrdinal)
    shardOrder = Self.shardOrder(count: shards.count, seed: configuration.seed, epoch: epoch)

    var restored = [TrainingSample?](repeating: nil, count: state.buffer.count)
    let slotsByShard = Dictionary(grouping: state.buffer.indices) { state.buffer[$0].shard }
    for (shard, slots) in slotsByShard.sorted(by: { $0.key < $1.key }) {
      let slotsByOrdinal = Dictionary(grouping: slots) { state.buffer[$0].ordinal }
      let reader = try open(shard, skipping: 0)
      for ordinal in 0...slotsByOrdinal.keys.max()! {
        let raw = try read(reader, shard)
        guard let targets = slotsByOrdinal[ordinal] else { continue }
        let sample = try decode(raw, State.SampleRef(shard: shard, ordinal: ordinal))
        for slot in targets { restored[slot] = sample }
      }
    }
    buffer = restored.map { $0! }
  }
}

import Foundation
import Raster
import Shards
import Testing
import _TestSupport

@testable import UNet

@Suite final class TrainingStreamTests {
  let root: String

  init() { root = makeTemporaryDirectory() }

  deinit { try? FileManager.default.removeItem(atPath: root) }

  // MARK: - Synthetic datasets

  /// Sample `i` of a test dataset: every value is a function of (i, c, y, x),
  /// so that a tile tells where in which sample it was cut.
  struct SyntheticSample {
    static let channels = 2
    var index: Int
    var height = 12
    var width = 10
    var key: String { "s\(index)" }

    func image(_ c: Int, _ y: Int, _ x: Int) -> Float { Float(index * 10_000 + c * 1000 + y * width + x) }
    func mask(_ y: Int, _ x: Int) -> UInt8 { UInt8((x + 2 * y + index) % 2) }
    func weight(_ y: Int, _ x: Int) -> Float { Float(1 + (x * y + index) % 5) / 4 }

    /// The WebDataset fields `unet augment` writes (`labels.npy` left out).
    func fields() throws -> [String: [UInt8]] {
      var interleaved: [Float] = []
      var mask: [UInt8] = []
      var weight: [Float] = []
      for y in 0..<height {
        for x in 0..<width {
          for c in 0..<Self.channels { interleaved.append(image(c, y, x)) }
          mask.append(self.mask(y, x))
          weight.append(self.weight(y, x))
        }
      }
      let image = Image(width: width, height: height, channels: Self.channels, samples: interleaved)
      return [
        "image.npy": try ImageFile.encoded(AnyImage(image), as: .npy, channelsFirst: true),
        "mask.png": try ImageFile.encoded(AnyImage(Image(width: width, height: height, samples: mask)), as: .png),
        "weight.npy": try ImageFile.encoded(AnyImage(Image(width: width, height: height, samples: weight)), as: .npy),
        "json": Array("{\"index\":\(index)}\n".utf8),
      ]
    }
  }

  /// Writes `samples` samples, `perShard` a shard, with `DatasetWriter` into
  /// a new folder; `edit` may change sample i's fields.
  func dataset(
    _ name: String, samples: Int = 15, perShard: Int = 5,
    edit: (Int, inout [String: [UInt8]]) throws -> Void = { _, _ in }
  ) throws -> String {
    let directory = root + "/" + name
    let writer = DatasetWriter(
      directory: directory, plan: try ShardPlan(name: "train", totalSamples: samples, samplesPerShard: perShard),
      configuration: ["test": true], tool: ToolInfo(name: "unet", version: "test"))
    _ = try writer.run { _, range in
      try range.map { i in
        var fields = try SyntheticSample(index: i).fields()
        try edit(i, &fields)
        let order = ["image.npy", "mask.png", "weight.npy", "json"].filter { fields[$0] != nil }
        return try ShardSample(key: "s\(i)", fields: order.map { ShardSample.Field(name: $0, bytes: fields[$0]!) })
      }
    }
    return directory
  }

  func configuration(
    _ directory: String, seed: UInt64 = 7, batch: Int = 3, bufferSize: Int = 4
  ) -> TrainingStream.Configuration {
    .init(directory: directory, tile: 8, output: 4, batch: batch, classes: 2, seed: seed, bufferSize: bufferSize)
  }

  func batches(_ stream: TrainingStream, _ count: Int) throws -> [TileBatch] {
    try (0..<count).map { _ in try stream.next() }
  }

  // MARK: - Overlap tiles

  /// The reflection of index `i` into 0..<n the slow way: bounce off the
  /// ends until inside.
  static func bounce(_ i: Int, _ n: Int) -> Int {
    if n == 1 { return 0 }
    var i = i
    while i < 0 || i >= n {
      if i < 0 { i = -i }
      if i >= n { i = 2 * (n - 1) - i }
    }
    return i
  }

  @Test func reflectIndexMatchesNumpy() {
    // numpy.pad(numpy.arange(3), 5, mode="reflect")
    #expect((-5..<8).map { reflectIndex($0, count: 3) } == [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1])
    // numpy.pad(numpy.arange(1), 2, mode="reflect")
    #expect((-2..<3).map { reflectIndex($0, count: 1) } == [0, 0, 0, 0, 0])
    for n in 1...7 {
      for i in -40...40 { #expect(reflectIndex(i, count: n) == Self.bounce(i, n), "i \(i), n \(n)") }
    }
  }

  /// Tile `n` of a batch computed pixel by pixel from the definition.
  static func referenceTile(
    _ sample: TrainingSample, origin: OverlapTile.Origin, tile: Int, output: Int
  ) -> (images: [Float], labels: [Int32], weights: [Float]) {
    let m = (tile - output) / 2
    var images: [Float] = []
    for c in 0..<sample.channels {
      for i in 0..<tile {
        for j in 0..<tile {
          let y = bounce(origin.y - m + i, sample.height)
          let x = bounce(origin.x - m + j, sample.width)
          images.append(sample.image[(c * sample.height + y) * sample.width + x])
        }
      }
    }
    var labels: [Int32] = []
    var weights: [Float] = []
    for i in 0..<output {
      for j in 0..<output {
        let (y, x) = (origin.y + i, origin.x + j)
        let inside = y >= 0 && y < sample.height && x >= 0 && x < sample.width
        labels.append(inside ? Int32(sample.mask[y * sample.width + x]) : 0)
        weights.append(inside ? sample.weight[y * sample.width + x] : 0)
      }
    }
    return (images, labels, weights)
  }

  @Test(arguments: [
    // (height, width, tile, output): sample larger than the tile; margin
    // wider than the sample; sample smaller than the output; one-pixel rows.
    (20, 17, 16, 6), (7, 5, 30, 10), (3, 4, 14, 8), (1, 6, 9, 3), (5, 1, 12, 2),
  ])
  func extractionMatchesReference(height: Int, width: Int, tile: Int, output: Int) throws {
    let geometry = OverlapTile(tile: tile, output: output)
    var raw = try SyntheticSample(index: 3, height: height, width: width).fields()
    raw["mask.png"] = try ImageFile.encoded(
      AnyImage(Image(width: width, height: height, samples: (0..<height * width).map { UInt8($0 % 3) })), as: .png)
    let sample = try TrainingSample(
      try ShardSample(key: "s3", fields: raw.map { .init(name: $0.key, bytes: $0.value) }),
      ref: .init(shard: 0, ordinal: 0), shard: "test.tar", classes: 3)
    var rng = SplitMix64(seed: 5)
    for _ in 0..<20 {
      let origin = geometry.origin(height: height, width: width, using: &rng)
      for (side, start) in [(height, origin.y), (width, origin.x)] {
        if side >= output {
          #expect((0...(side - output)).contains(start))
        } else {
          #expect(start == -((output - side) / 2))
        }
      }
      var batch = TileBatch(batch: 2, channels: 2, tile: tile, output: output)
      geometry.extract(sample, at: origin, into: &batch, index: 1)
      let expected = Self.referenceTile(sample, origin: origin, tile: tile, output: output)
      let imageSize = 2 * tile * tile
      let labelSize = output * output
      #expect(batch.images[..<imageSize].allSatisfy { $0 == 0 })
      #expect(Array(batch.images[imageSize...]) == expected.images)
      #expect(Array(batch.labels[labelSize...]) == expected.labels)
      #expect(Array(batch.weights[labelSize...]) == expected.weights)
    }
  }

  @Test func channelsFirstNPY() throws {
    // Width 3 on purpose: read as (H, W, C), (2, 5, 3) would pass for an image.
    let sample = SyntheticSample(index: 1, height: 5, width: 3)
    let decoded = try ImageFile.decoded(
      try #require(try sample.fields()["image.npy"]), as: .npy, name: "x.npy", channelsFirst: true)
    guard case .float32(let planes) = decoded else {
      Issue.record("expected float32, got \(decoded.sampleType)")
      return
    }
    #expect(planes.channels == 2 && planes.height == 5 && planes.width == 3)
    var expected: [Float] = []
    for c in 0..<2 { for y in 0..<5 { for x in 0..<3 { expected.append(sample.image(c, y, x)) } } }
    #expect(planes.planarSamples == expected)
    let gray = Image<Float>(width: 3, height: 2, samples: [1, 2, 3, 4, 5, 6])
    let back = try ImageFile.decoded(try ImageFile.encoded(AnyImage(gray), as: .npy), as: .npy, channelsFirst: true)
    #expect(back == .float32(gray))
  }

  // MARK: - Order and content

  @Test func everySampleOncePerEpoch() throws {
    let directory = try dataset("epochs")
    let stream = try TrainingStream(configuration(directory))
    #expect(stream.channels == SyntheticSample.channels)
    let all = Set((0..<15).map { "s\($0)" })
    let tiles = try batches(stream, 10)
    for epoch in 0..<2 {
      let keys = tiles[(epoch * 5)..<(epoch * 5 + 5)].flatMap(\.keys)
      #expect(keys.count == 15 && Set(keys) == all, "epoch \(epoch): \(keys)")
    }
    #expect(tiles[0..<5].flatMap(\.keys) != tiles[5..<10].flatMap(\.keys))
    #expect(stream.state.epoch == 2)

    // Each tile is a window of its sample, its labels and weights aligned with it.
    let m = 2
    for batch in tiles {
      for (n, key) in batch.keys.enumerated() {
        let sample = SyntheticSample(index: Int(key.dropFirst())!)
        func image(_ c: Int, _ i: Int, _ j: Int) -> Float { batch.images[((n * 2 + c) * 8 + i) * 8 + j] }
        let corner = Int(image(0, m, m)) - sample.index * 10_000
        let (y0, x0) = (corner / sample.width, corner % sample.width)
        for i in 0..<4 {
          for j in 0..<4 {
            for c in 0..<2 { #expect(image(c, m + i, m + j) == sample.image(c, y0 + i, x0 + j)) }
            #expect(batch.labels[(n * 4 + i) * 4 + j] == Int32(sample.mask(y0 + i, x0 + j)))
            #expect(batch.weights[(n * 4 + i) * 4 + j] == sample.weight(y0 + i, x0 + j))
          }
        }
      }
    }
  }

  @Test func seedsDecideTheOrder() throws {
    let directory = try dataset("seeds")
    let a = try batches(try TrainingStream(configuration(directory, seed: 1)), 5)
    let b = try batches(try TrainingStream(configuration(directory, seed: 1)), 5)
    let c = try batches(try TrainingStream(configuration(directory, seed: 2)), 5)
    #expect(a == b)
    #expect(a.flatMap(\.keys) != c.flatMap(\.keys))
    #expect(TrainingStream.shardOrder(count: 3, seed: 1, epoch: 0).sorted() == [0, 1, 2])
  }

  @Test func resumeContinuesTheSameStream() throws {
    let directory = try dataset("resume")
    let config = configuration(directory, batch: 2)
    let a = try TrainingStream(config)
    _ = try batches(a, 7)
    let json = try JSONEncoder().encode(a.state)
    #expect(json.count < 1024)
    let rest = try batches(a, 5)
    let b = try TrainingStream(config, state: try JSONDecoder().decode(TrainingStream.State.self, from: json))
    #expect(try batches(b, 5) == rest)
    #expect(b.state == a.state)

    // A fresh stream's state, and one in the middle of a shard, resume too.
    for skip in [0, 1, 4] {
      let c = try TrainingStream(config)
      _ = try batches(c, skip)
      let d = try TrainingStream(config, state: c.state)
      #expect(try batches(d, 6) == batches(c, 6), "after \(skip) batches")
    }
  }

  // MARK: - Bad input

  /// The error that opening the stream and reading two epochs throws.
  func failure(_ directory: String, classes: Int = 2) -> (any Error)? {
    do {
      var config = configuration(directory)
      config.classes = classes
      let stream = try TrainingStream(config)
      _ = try batches(stream, 10)
      return nil
    } catch {
      return error
    }
  }

  func expectOneLine(_ error: (any Error)?, naming parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error else {
      Issue.record("expected an error", sourceLocation: sourceLocation)
      return
    }
    let text = String(describing: error)
    #expect(!text.contains("\n"), "\(text)", sourceLocation: sourceLocation)
    for part in parts { #expect(text.contains(part), "\(text) lacks \(part)", sourceLocation: sourceLocation) }
  }

  @Test func missingManifest() throws {
    let directory = root + "/empty"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    expectOneLine(failure(directory), naming: [directory + "/manifest.json"])
  }

  @Test func missingShard() throws {
    let directory = try dataset("missing")
    try FileManager.default.removeItem(atPath: directory + "/train-000001.tar")
    expectOneLine(failure(directory), naming: [directory + "/train-000001.tar", "missing"])
  }

  @Test func changedByte() throws {
    let directory = try dataset("changed")
    let path = directory + "/train-000002.tar"
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[700] ^= 0x01
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let error = failure(directory)
    expectOneLine(error, naming: [path, "SHA-256"])
    #expect((error as? ShardError)?.code == .checksumMismatch)
  }

  @Test func sampleWithoutWeights() throws {
    let directory = try dataset("noweights") { i, fields in if i == 6 { fields["weight.npy"] = nil } }
    expectOneLine(failure(directory), naming: [directory + "/train-000001.tar", "s6", "weight.npy", "unet augment"])
  }

  @Test func maskValueOutOfRange() throws {
    let directory = try dataset("classes")
    expectOneLine(failure(directory, classes: 1), naming: ["train-0000", "mask.png", "class 1"])
  }

  @Test func mismatchedSizes() throws {
    let directory = try dataset("sizes") { i, fields in
      if i == 11 {
        let small = Image<Float>(width: 3, height: 3, repeating: 1)
        fields["weight.npy"] = try ImageFile.encoded(AnyImage(small), as: .npy)
      }
    }
    expectOneLine(failure(directory), naming: [directory + "/train-000002.tar", "s11", "weight.npy"])
  }

  @Test func badConfigurationAndState() throws {
    let directory = try dataset("config")
    var config = configuration(directory)
    config.tile = [7, 7]
    expectOneLine(Result { try TrainingStream(config) }.failure, naming: ["tile 7"])
    let state = try TrainingStream(configuration(directory)).state
    let other = try dataset("other", samples: 14)
    expectOneLine(
      Result { try TrainingStream(configuration(other), state: state) }.failure,
      naming: [other + "/manifest.json", "another dataset"])
  }
}

extension Result where Failure == any Error {
  /// The error, or nil on success.
  var failure: (any Error)? {
    if case .failure(let error) = self { return error }
    return nil
  }
}

import Foundation
import Raster
import Testing

@testable import Shards

@Suite struct SampleLayoutTests {
  static let image = Image<Float>(width: 3, height: 2, channels: 2, samples: (0..<12).map { Float($0) / 4 })
  static let mask = Image<UInt8>(width: 3, height: 2, samples: [0, 1, 1, 0, 0, 1])
  static let labels = LabelImage(width: 3, height: 2, samples: [0, 7, 7, 0, 0, 9])
  static let weights = Image<Float>(width: 3, height: 2, samples: [1, 2, 3, 4, 5, 6])

  static func volume<S: PixelSample>(_ make: (Int) -> S) -> Volume<S> {
    Volume(width: 4, height: 3, depth: 2, samples: (0..<24).map(make))
  }

  @Test func imageRoundTrip() throws {
    let record = Array("{\"index\":1}\n".utf8)
    for labels in [Self.labels, nil] {
      let sample = try SampleLayout.encode(
        key: "00000001", image: Self.image, mask: Self.mask, labels: labels, weights: Self.weights, record: record)
      #expect(sample.fields.map(\.name) == SampleLayout.image.fields(labels: labels != nil))
      #expect(sample[field: "json"] == record)
      let back = try SampleLayout.decodeImage(sample, shard: "x.tar")
      #expect(back == .init(image: Self.image, mask: Self.mask, weights: Self.weights, labels: labels))
      // What a numpy user sees: (C, H, W) float32, mask a PNG.
      let header = String(decoding: try #require(sample[field: "image.npy"]).prefix(80), as: UTF8.self)
      #expect(header.contains("'<f4'") && header.contains("(2, 2, 3)"))
      #expect(try ImageFile.decoded(try #require(sample[field: "mask.png"]), as: .png) == .uint8(Self.mask))
    }
  }

  @Test func volumeRoundTrip() throws {
    let image = Self.volume { Float($0) * 0.5 }
    let mask = Self.volume { UInt8($0 % 2) }
    let labels = Self.volume { UInt32($0 / 5) }
    let weights = Self.volume { Float(1 + $0 % 3) }
    let sample = try SampleLayout.encode(
      key: "k", volume: image, mask: mask, labels: labels, weights: weights, record: Array("{}\n".utf8))
    #expect(sample.fields.map(\.name) == ["image.npy", "mask.npy", "labels.npy", "weight.npy", "json"])
    #expect(try SampleLayout.decodeVolume(sample, shard: "v.tar") == .init(image: image, mask: mask, weights: weights, labels: labels))
    let header = String(decoding: try #require(sample[field: "mask.npy"]).prefix(80), as: UTF8.self)
    #expect(header.contains("'|u1'") && header.contains("(2, 3, 4)"))
  }

  func failure(_ body: () throws -> Any) -> ShardError? {
    do {
      _ = try body()
      return nil
    } catch {
      return error as? ShardError
    }
  }

  @Test func badSamples() throws {
    let good = try SampleLayout.encode(
      key: "s6", image: Self.image, mask: Self.mask, labels: nil, weights: Self.weights, record: [])
    func edited(_ name: String, _ bytes: [UInt8]?) throws -> ShardSample {
      try ShardSample(key: "s6", fields: good.fields.compactMap { f in
        f.name == name ? bytes.map { ShardSample.Field(name: name, bytes: $0) } : f
      })
    }
    let missing = failure { try SampleLayout.decodeImage(try edited("weight.npy", nil), shard: "a.tar") }
    #expect(missing?.code == .invalidSample)
    #expect(missing?.description == #"a.tar: entry "s6.weight.npy": the sample has no weight.npy; write the dataset with unet augment, which stores it"#)
    let small = try ImageFile.encoded(AnyImage(Image<Float>(width: 2, height: 2)), as: .npy)
    #expect(failure { try SampleLayout.decodeImage(try edited("weight.npy", small), shard: "a.tar") }?.reason
      == "is 2 x 2 but image.npy is 3 x 2 (width x height)")
    let ints = try ImageFile.encoded(AnyImage(Self.labels), as: .npy)
    #expect(failure { try SampleLayout.decodeImage(try edited("weight.npy", ints), shard: "a.tar") }?.reason
      == "expected float32 of shape (H, W)")
    // A 3-D sample is not a 2-D one.
    let v = try SampleLayout.encode(
      key: "v", volume: Self.volume { Float($0) }, mask: Self.volume { _ in 0 }, labels: nil,
      weights: Self.volume { _ in 1 }, record: [])
    #expect(failure { try SampleLayout.decodeImage(v, shard: "a.tar") }?.reason.contains("mask.png") == true)
  }

  @Test func manifestDeclaresTheLayout() throws {
    #expect(try SampleLayout(configuration: ["seed": 1], path: "m") == .image)
    let entries = SampleLayout.manifestEntries(spacing: VoxelSpacing(z: 2, y: 0.5, x: 0.5, unit: "micron"))
    #expect(try SampleLayout(configuration: .object(entries), path: "m") == .volume)
    #expect(
      JSONValue.object(entries).serialized(indent: 0)
        == #"{"dimensions":3,"spacing":{"unit":"micron","x":0.5,"y":0.5,"z":2.0}}"#)
    #expect(failure { try SampleLayout(configuration: ["dimensions": 4], path: "m/manifest.json") }?.description
      == "m/manifest.json: parameters.dimensions is 4, expected 2 or 3")
  }
}

@Suite struct JSONValueEncodingTests {
  struct Settings: Encodable {
    var sigma = 10.0
    var count = 3
    var seed: UInt64 = .max
    var name = "a/b"
    var range: ClosedRange<Double>? = 0.5...2
    var absent: Double? = nil
    var nested = ["k": [1.5, 2]]
  }

  @Test func numbersKeepTheirKind() throws {
    let value = try JSONValue(encoding: Settings())
    #expect(
      value.serialized(indent: 0)
        == #"{"count":3,"name":"a/b","nested":{"k":[1.5,2.0]},"range":[0.5,2.0],"seed":18446744073709551615,"sigma":10.0}"#)
    #expect(try JSONValue(encoding: 2.0) == .double(2))
    #expect(throws: EncodingError.self) { try JSONValue(encoding: Double.nan) }
  }
}

import Foundation
import Raster
import Testing
import WeightMap

@testable import Shards

/// A dataset's description as its manifest records it: manifests of earlier
/// versions and of other programs read, and what is read is written back
/// unchanged.
@Suite struct DatasetDescriptionTests {
  /// The manifest of Tests/Fixtures/checkpoint-v1, written by an earlier
  /// `unet augment` (before the description was a type).
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/checkpoint-v1/shards/manifest.json").path

  @Test func earlierManifestReadsAndWritesBack() throws {
    let manifest = try Manifest.read(from: Self.fixture)
    let description = try manifest.datasetDescription(path: Self.fixture)
    #expect(description.seed == 1 && description.samples == 2 && description.perShard == 2)
    #expect(description.name == "train" && description.labels == true)
    #expect(description.normalization == .percentile(lowPercent: 1, highPercent: 99.8))
    #expect(description.weightMap == .paper)
    #expect(description.classWeights == ClassWeights(background: 0.8738394320043692, foreground: 1.168736303871439))
    #expect(description.sources?.map(\.name) == ["cells_000", "cells_001"])
    #expect(description.sources?[1].labels == "src/labels/cells_001.png")
    #expect(description.layout == .image && description.spacing == nil)
    #expect(description.json.serialized() == manifest.configuration.serialized())
  }

  /// `unet augment`'s first manifests wrote uniform class weights as "none".
  @Test func uniformWeightsOfTheFirstVersion() throws {
    let parameters: JSONValue = [
      "seed": .uint(7), "labels": false,
      "weightMap": [
        "w0": 10.0, "sigmaPixels": 5.0, "classWeights": "none", "borderOn": "background", "separation": true,
        "connectivity": "four",
      ],
      "datasetClassWeights": [1.0, 1.0],
    ]
    let description = try DatasetDescription(json: parameters, path: "m")
    #expect(description.weightMap?.classWeights == .uniform)
    #expect(description.normalization == nil && description.augmentation == nil)
    #expect(description.json == parameters)
  }

  /// A dataset written by another program: nothing of it is required.
  @Test func anotherProgramsManifest() throws {
    let description = try DatasetDescription(json: ["test": true], path: "m")
    #expect(description == DatasetDescription())
    #expect(description.json == [:])
  }

  @Test func volumeRecordsSigmaInItsUnit() throws {
    let spacing = VoxelSpacing(z: 2, y: 0.5, x: 0.5, unit: "micron")
    let description = DatasetDescription(
      weightMap: try WeightMapConfiguration(sigmaPixels: 2.5), layout: .volume, spacing: spacing)
    let json = description.json
    #expect(json["dimensions"] == .int(3))
    #expect(json["spacing"] == ["z": 2.0, "y": 0.5, "x": 0.5, "unit": "micron"])
    #expect(json["weightMap"]?["sigma"] == .double(2.5) && json["weightMap"]?["sigmaUnit"] == "micron")
    #expect(json["weightMap"]?["sigmaPixels"] == nil)
    #expect(try DatasetDescription(json: json, path: "m") == description)
    #expect(SampleLayout.manifestEntries(spacing: spacing) == ["dimensions": 3, "spacing": json["spacing"]!])
  }

  @Test func codableRoundTrip() throws {
    let description = DatasetDescription(
      seed: .max, samples: 3, perShard: 2, name: "train", labels: true,
      augmentation: try .init(json: ["normalization": ["range": [:]], "sigmaPixels": 10]),
      classWeights: ClassWeights(background: 1, foreground: 2.5),
      sources: [SourcePair(name: "a", image: "i/a.png", labels: "l/a.png")],
      weightMap: .paper)
    #expect(description.normalization == .range)
    let bytes = try JSONEncoder().encode(description)
    #expect(try JSONDecoder().decode(DatasetDescription.self, from: bytes) == description)
  }

  @Test func invalidMembersNameTheField() throws {
    func failure(_ parameters: JSONValue) -> String? {
      do {
        _ = try DatasetDescription(json: parameters, path: "m/manifest.json")
        return nil
      } catch {
        return (error as? ShardError)?.description
      }
    }
    #expect(failure(["dimensions": 4]) == "m/manifest.json: parameters.dimensions is 4, expected 2 or 3")
    #expect(
      failure(["augment": ["normalization": "bogus"]])
        == #"m/manifest.json: parameters.augment.normalization "bogus" is not a normalisation"#)
    #expect(failure(["weightMap": ["w0": -1.0]])?.hasPrefix("m/manifest.json: parameters.weightMap.w0: invalid w0 -1.0") == true)
    #expect(failure(["datasetClassWeights": [1.0]]) == "m/manifest.json: parameters.datasetClassWeights is missing or not valid")
    #expect(failure(["seed": -1]) == "m/manifest.json: parameters.seed: expected a non-negative integer")
    #expect(failure(["spacing": ["z": 0.0, "y": 1.0, "x": 1.0, "unit": "voxel"]])?.contains("parameters.spacing: the z spacing") == true)
  }
}

import Foundation
import Raster
import Shards
import Testing
import _TestSupport

/// The shards as PyTorch users read them: Python's `webdataset` package
/// (installed by scripts/test.sh into .venv-test) and numpy, run by
/// `runPython` (UNETKIT_PYTHON, else .venv-test, else python3 on PATH).
@Suite struct PythonReaderTests {
  let dir = makeTemporaryDirectory()

  struct Line: Decodable {
    var key: String
    var shape: [Int]
    var image_sum: Double
    var weight_sum: Double
    var mask_sum: Int
    var labels_max: Int?
    var source: String
  }

  @Test func webdatasetReadsEverySample() throws {
    let probe = try runPython(["-c", "import webdataset, numpy"])
    try #require(
      probe.status == 0,
      "Python with webdataset and numpy is needed (scripts/test.sh installs them into .venv-test): \(probe.stderr)")

    #expect(try unet(["synth", "--out", dir + "/src", "--count", "2", "--size", "40x32", "--seed", "4", "--cells", "6"]).status == 0)
    let r = try unet([
      "augment", "--images", dir + "/src/images", "--labels", dir + "/src/labels", "--out", dir + "/ds",
      "--samples", "5", "--per-shard", "2", "--seed", "1",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let py = try runPython([pythonScriptsFolder + "/read_shards.py", dir + "/ds"])
    #expect(py.status == 0, "\(py.stderr)")
    let lines = try py.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    #expect(lines.map(\.key) == ["00000000", "00000001", "00000002", "00000003", "00000004"])

    let manifest = try Manifest.read(from: dir + "/ds/manifest.json")
    let swiftSide = try manifest.shards.flatMap { try ShardReader.readAll(path: dir + "/ds/" + $0.file) }
    for (line, sample) in zip(lines, swiftSide) {
      #expect(line.key == sample.key)
      guard case .float32(let image) = try ImageFile.decoded(sample[field: "image.npy"]!, as: .npy),
        case .float32(let weight) = try ImageFile.decoded(sample[field: "weight.npy"]!, as: .npy),
        case .uint8(let mask) = try ImageFile.decoded(sample[field: "mask.png"]!, as: .png),
        case .uint32(let labels) = try ImageFile.decoded(sample[field: "labels.npy"]!, as: .npy)
      else {
        Issue.record("unexpected sample types in \(sample.key)")
        continue
      }
      #expect(line.shape == [32, 40])
      #expect(abs(line.image_sum - image.samples.reduce(0) { $0 + Double($1) }) < 1e-6 * max(1, abs(line.image_sum)))
      #expect(abs(line.weight_sum - weight.samples.reduce(0) { $0 + Double($1) }) < 1e-6 * line.weight_sum)
      #expect(line.mask_sum == mask.samples.reduce(0) { $0 + Int($1) })
      #expect(line.labels_max == Int(labels.samples.max() ?? 0))
    }
  }
}

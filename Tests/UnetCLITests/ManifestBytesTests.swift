import Foundation
import Testing
import _TestSupport

/// The manifest's parameters, byte for byte as this version of `unet
/// augment` wrote them before they were built from `Codable` values:
/// `--resume` and `unet manifest merge` compare them with existing datasets,
/// so they must never change for the same options.
@Suite struct ManifestBytesTests {
  let dir = makeTemporaryDirectory()

  /// The `"parameters"` member of `OUT/manifest.json` after synthesising two
  /// sources and augmenting them with `options`, all paths relative.
  func parameters(_ options: [String]) throws -> String {
    let synth = try unet(["synth", "--out", "s", "--count", "2", "--size", "40x32", "--seed", "3", "--cells", "5"], cwd: dir)
    #expect(synth.status == 0, "\(synth.stderr)")
    let out = "d\(options.count)"
    let r = try unet(
      ["augment", "--images", "s/images", "--labels", "s/labels", "--out", out, "--samples", "3", "--per-shard", "2",
       "--seed", "7"] + options, cwd: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let text = String(decoding: read(dir + "/" + out + "/manifest.json"), as: UTF8.self)
    let start = try #require(text.range(of: "  \"parameters\": {"))
    let end = try #require(text.range(of: "  \"plan\": {"))
    // Without the final newline, as the literals below end.
    return String(text[start.lowerBound..<end.lowerBound].dropLast())
  }

  @Test func defaults() throws {
    #expect(try parameters([]) == Self.defaults)
  }

  @Test func everyWeightMapOption() throws {
    let options = [
      "--class-weights", "1,2.5", "--no-separation", "--connectivity", "8", "--weights", "warp", "--scale", "0.9,1.1",
      "--w0", "12", "--weight-sigma", "3.5", "--no-labels", "--normalize", "range", "--no-intensity",
    ]
    #expect(try parameters(options) == Self.explicit)
  }

  static let defaults = """
      "parameters": {
        "augment": {
          "border": "mirror",
          "flipHorizontal": true,
          "flipVertical": true,
          "gridSize": 3,
          "intensity": {
            "brightness": [
              -0.05,
              0.05
            ],
            "contrast": [
              0.9,
              1.1
            ],
            "gamma": [
              0.9,
              1.1
            ],
            "noiseSigma": [
              0,
              0.02
            ]
          },
          "interpolation": "cubic",
          "normalization": {
            "percentile": {
              "highPercent": 99.8,
              "lowPercent": 1
            }
          },
          "rotateDegrees": 180,
          "shiftPixels": 0,
          "sigmaPixels": 10,
          "weights": "recompute"
        },
        "datasetClassWeights": [
          0.8701563562202583,
          1.1753902662993572
        ],
        "labels": true,
        "name": "train",
        "perShard": 2,
        "samples": 3,
        "seed": 7,
        "sources": [
          {
            "image": "s/images/cells_000.png",
            "labels": "s/labels/cells_000.png",
            "name": "cells_000"
          },
          {
            "image": "s/images/cells_001.png",
            "labels": "s/labels/cells_001.png",
            "name": "cells_001"
          }
        ],
        "weightMap": {
          "borderOn": "background",
          "classWeights": {
            "balanced": "dataset"
          },
          "connectivity": "four",
          "separation": true,
          "sigmaPixels": 5.0,
          "w0": 10.0
        }
      },
    """

  static let explicit = """
      "parameters": {
        "augment": {
          "border": "mirror",
          "flipHorizontal": true,
          "flipVertical": true,
          "gridSize": 3,
          "intensity": {},
          "interpolation": "cubic",
          "normalization": {
            "range": {}
          },
          "rotateDegrees": 180,
          "scale": [
            0.9,
            1.1
          ],
          "shiftPixels": 0,
          "sigmaPixels": 10,
          "weights": "warp"
        },
        "datasetClassWeights": [
          1.0,
          2.5
        ],
        "labels": false,
        "name": "train",
        "perShard": 2,
        "samples": 3,
        "seed": 7,
        "sources": [
          {
            "image": "s/images/cells_000.png",
            "labels": "s/labels/cells_000.png",
            "name": "cells_000"
          },
          {
            "image": "s/images/cells_001.png",
            "labels": "s/labels/cells_001.png",
            "name": "cells_001"
          }
        ],
        "weightMap": {
          "borderOn": "background",
          "classWeights": [
            1.0,
            2.5
          ],
          "connectivity": "eight",
          "separation": false,
          "sigmaPixels": 3.5,
          "w0": 12.0
        }
      },
    """
}

import Foundation
import Testing
import _TestSupport

/// The README's main job (scripts/demo.sh) end to end at a tiny size, with
/// the `unet` built for the tests: synth → weights → augment → train →
/// predict → eval → report.
@Suite struct MainJobTests {
  @Test(.slow) func wholePipelineAtATinySize() throws {
    let out = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: out) }
    let result = try run(
      "/bin/bash", [packageRoot + "/scripts/demo.sh"],
      environment: [
        "UNET": unetExecutable, "OUT": out, "SIZE": "96", "SAMPLES": "16", "STEPS": "8", "BASE": "4", "DEPTH": "2",
        "TILE": "68",
      ])
    #expect(result.status == 0, "demo.sh failed: \(result.stderr.suffix(2000))")
    for file in [
      "run/last.ckpt", "run/loss.svg", "run/unet.safetensors", "pred/cells_005.prob.tiff", "pred/cells_005.mask.png",
      "pred/cells_005.instances.png", "report/report.md", "report/cells_005.panels.png", "report/loss.svg",
      "report/weights.preview.png",
    ] {
      #expect(FileManager.default.fileExists(atPath: out + "/" + file), "missing \(file)")
    }
    // The held-out image stays out of the training data.
    let manifest = try String(contentsOfFile: out + "/shards/manifest.json", encoding: .utf8)
    #expect(!manifest.contains("cells_005"))
    #expect(manifest.contains("cells_004"))
    // The scores are the evaluation's, and the report shows them.
    let scores = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/eval.json"))) as! [String: Any]
    let overall = scores["overall"] as! [String: Any]
    let pixelError = overall["pixel_error"] as! Double
    #expect((0...1).contains(pixelError))
    let report = try String(contentsOfFile: out + "/report/report.md", encoding: .utf8)
    #expect(report.contains(String(format: "%.4f", pixelError)))
    #expect(report.contains("![training loss and validation errors](loss.svg)"))
    #expect(report.contains("8 steps"))
  }

  @Test func reportRefusesWhatIsNotEvalOutput() throws {
    let dir = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: dir + "/list.json"))
    for (eval, expected) in [(dir + "/missing.json", "missing.json: cannot read"), (dir + "/list.json", "list.json: is not the output")] {
      let result = try unet([
        "report", "--out", dir + "/report", "--eval", eval, "--images", dir, "--truth", dir, "--pred", dir,
      ])
      #expect(result.status != 0)
      #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(expected), "\(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir + "/report/report.md"))
    }
  }

  /// docs/bad-inputs.md is what scripts/bad-inputs.sh prints today: every
  /// bad input still gets one error line, and the table says which.
  @Test func badInputTableIsCurrent() throws {
    let result = try run("/bin/bash", [packageRoot + "/scripts/bad-inputs.sh", unetExecutable])
    #expect(result.status == 0, "\(result.stderr)")
    let document = try String(contentsOfFile: packageRoot + "/docs/bad-inputs.md", encoding: .utf8)
    let table = document.split(separator: "\n").filter { $0.hasPrefix("|") }.joined(separator: "\n")
    #expect(result.stdout.trimmingCharacters(in: .newlines) == table, "regenerate docs/bad-inputs.md with scripts/bad-inputs.sh")
  }
}

import Foundation
import Testing
import UNet
import _TestSupport

/// `unet report` on a run trained with validation, and on files it must
/// not read silently: an old score file and a damaged metrics.jsonl.
@Suite(.slow) struct ReportCommandTests {
  let dir = makeTemporaryDirectory()

  /// synth → augment → train with validation → predict → eval --json.
  func pipeline() throws -> (src: String, run: String, pred: String, eval: String) {
    let src = dir + "/src", shards = dir + "/shards", run = dir + "/run", pred = dir + "/pred", eval = dir + "/eval.json"
    for args in [
      ["synth", "--out", src, "--count", "2", "--size", "48x48", "--seed", "4", "--cells", "4"],
      ["augment", "--images", src + "/images", "--labels", src + "/labels", "--out", shards, "--samples", "4", "--jobs", "1"],
      ["train", "--shards", shards, "--out", run, "--base-channels", "4", "--depth", "1", "--tile", "36", "--threads", "1",
       "--steps", "6", "--checkpoint-every", "3", "--val-images", src + "/images", "--val-labels", src + "/labels"],
      ["predict", "--model", run, src + "/images", "--out", pred],
    ] {
      let r = try unet(args)
      #expect(r.status == 0, "\(args[0]): \(r.stderr)")
    }
    let e = try unet(["eval", "--json", "--pred", pred, "--truth", src + "/labels"])
    #expect(e.status == 0, "\(e.stderr)")
    write(Array(e.stdout.utf8), to: eval)
    return (src, run, pred, eval)
  }

  func report(_ p: (src: String, run: String, pred: String, eval: String), eval: String? = nil) throws -> RunResult {
    try unet([
      "report", "--out", dir + "/report", "--eval", eval ?? p.eval, "--images", p.src + "/images", "--truth",
      p.src + "/labels", "--pred", p.pred, "--run", p.run,
    ])
  }

  @Test func scoresInstancesAndValidation() throws {
    let p = try pipeline()
    let r = try report(p)
    #expect(r.status == 0, "\(r.stderr)")
    let md = try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8)
    #expect(md.contains("| image | pixel error | Rand error | pixel mismatch | IoU |"))
    #expect(md.contains("The instance images (NAME.instances.png"))
    #expect(md.contains("Last validation, after step 6 ("))
    let svg = try String(contentsOfFile: dir + "/report/loss.svg", encoding: .utf8)
    #expect(svg.contains("validation error against training time") && svg.contains("training minutes"))
  }

  func expectRefused(_ r: RunResult, mentioning words: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status != 0, sourceLocation: sourceLocation)
    #expect(
      r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("unet: error: ") && r.stderr.contains(words),
      "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(!FileManager.default.fileExists(atPath: dir + "/report/report.md"), sourceLocation: sourceLocation)
  }

  @Test func oldScoresAndDamagedLogsAreRefused() throws {
    let p = try pipeline()
    // unet eval --json of older versions: pixel_error was the misclassified fraction.
    let old = dir + "/old.json"
    write(Array(#"{"images": [], "overall": {"pixel_error": 0.1, "rand_error": 0.3, "iou": 0.9}}"#.utf8), to: old)
    expectRefused(try report(p, eval: old), mentioning: "old.json: was written by an older unet eval")

    let log = p.run + "/metrics.jsonl"
    let good = read(log)
    write(good + Array(#"{"step":7,"accuracy":0.5}"#.utf8) + [0x0A], to: log)
    let lines = String(decoding: good, as: UTF8.self).split(separator: "\n").count
    expectRefused(try report(p), mentioning: "metrics.jsonl: line \(lines + 1): unknown key \"accuracy\"")

    // A log of an older version reads, its val_pixel_error as the mismatch.
    write(Array(#"{"loss":0.5,"lr":0.001,"seconds":1.5,"step":1}"#.utf8) + [0x0A] + Array(#"{"step":1,"val_loss":0.4,"val_pixel_error":0.1}"#.utf8) + [0x0A], to: log)
    let r = try report(p)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try MetricsLog.read(from: log).last?.validationPixelMismatch == 0.1)
  }
}

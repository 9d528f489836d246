import Foundation
import Testing
import UNet
import _TestSupport

/// `unet augment` and `unet train` killed with SIGKILL at random moments,
/// at least 20 times each (each loop bounded in time), and resumed: the end
/// result equals an uninterrupted run byte for byte (a checkpoint's
/// training seconds apart), no file that looks complete is ever
/// incomplete, and no temporary file is left behind.
@Suite(.serialized, .slow) struct CrashResumeTests {
  let dir = makeTemporaryDirectory()

  func files(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
  }

  func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = Date()
    try body()
    return Date().timeIntervalSince(start)
  }

  /// Kills `command` (and then `command + resumeFlag`) at random moments
  /// within `window` seconds of its start until `kills` kills have landed or
  /// `limit` seconds have passed; after each kill `check` looks at the
  /// output; then one run goes to the end. Returns the number of kills.
  func killRepeatedly(
    _ command: [String], resumeWhen canResume: () -> Bool, window: Double, kills wanted: Int, limit: Double,
    check: () -> Void
  ) throws -> Int {
    var kills = 0
    let deadline = Date().addingTimeInterval(limit)
    let out = command[command.firstIndex(of: "--out")! + 1]
    while kills < wanted && Date() < deadline {
      let child = try Child(canResume() ? command + ["--resume"] : command)
      usleep(UInt32.random(in: 0...UInt32(window * 1e6)))
      if child.kill(SIGKILL) {
        kills += 1
      } else {
        let status = child.wait(timeout: 60)
        #expect(status == .exited(0), "a resumed run failed: \(status)")
        // It finished before the kill: start over to keep killing.
        try? FileManager.default.removeItem(atPath: out)
      }
      check()
    }
    let last = try Child(canResume() ? command + ["--resume"] : command)
    #expect(last.wait(timeout: 120) == .exited(0))
    return kills
  }

  @Test func augmentKilledTwentyTimesEqualsOneRun() throws {
    let src = dir + "/src"
    #expect(try unet(["synth", "--out", src, "--count", "3", "--size", "96x96", "--seed", "5"]).status == 0)
    let base = ["augment", "--images", src + "/images", "--labels", src + "/labels", "--samples", "48", "--per-shard", "2", "--seed", "9"]
    let reference = dir + "/reference"
    let wall = try seconds {
      let status = try unet(base + ["--out", reference]).status
      #expect(status == 0)
    }
    let out = dir + "/killed"
    let kills = try killRepeatedly(
      base + ["--out", out], resumeWhen: { FileManager.default.fileExists(atPath: out) }, window: max(0.05, wall),
      kills: 20, limit: 120
    ) {
      // Every shard in place is complete: equal to the reference's.
      for name in files(out) where name.hasSuffix(".tar") {
        #expect(read(out + "/" + name) == read(reference + "/" + name), "\(name) is in place but incomplete")
      }
    }
    #expect(kills >= 20)
    #expect(files(out) == files(reference))
    for name in files(reference) {
      #expect(read(out + "/" + name) == read(reference + "/" + name), "\(name) differs")
    }
  }

  @Test func trainingKilledTwentyTimesEqualsOneRun() throws {
    let src = dir + "/src"
    #expect(try unet(["synth", "--out", src, "--count", "3", "--size", "64x64", "--seed", "3"]).status == 0)
    let shards = dir + "/shards"
    #expect(
      try unet([
        "augment", "--images", src + "/images", "--labels", src + "/labels", "--out", shards, "--samples", "6",
        "--per-shard", "3", "--seed", "1",
      ]).status == 0)
    let base = [
      "train", "--shards", shards, "--steps", "30", "--checkpoint-every", "3", "--base-channels", "4", "--depth", "1",
      "--tile", "36", "--threads", "1",
    ]
    let reference = dir + "/reference-run"
    let wall = try seconds {
      let status = try unet(base + ["--out", reference]).status
      #expect(status == 0)
    }
    let out = dir + "/killed-run"
    let kills = try killRepeatedly(
      base + ["--out", out], resumeWhen: { FileManager.default.fileExists(atPath: out + "/last.ckpt") },
      window: max(0.05, wall), kills: 20, limit: 180
    ) {
      // Whatever last.ckpt holds is one of the reference run's checkpoints.
      if let step = try? Checkpoint.read(from: out + "/last.ckpt").step, step % 3 == 0 {
        let twin = reference + "/" + (step == 30 ? "last.ckpt" : String(format: "step-%06d.ckpt", step))
        if FileManager.default.fileExists(atPath: twin) {
          #expect(sameCheckpoint(out + "/last.ckpt", twin), "last.ckpt at step \(step) differs")
        }
      }
    }
    #expect(kills >= 20)
    #expect(sameCheckpoint(out + "/last.ckpt", reference + "/last.ckpt"))
    #expect(files(out).filter { $0.hasPrefix(".") || $0.contains(".tmp") }.isEmpty, "\(files(out))")
    let losses = { (path: String) in
      String(decoding: read(path + "/metrics.jsonl"), as: UTF8.self).split(separator: "\n")
        .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        .map { "\($0["step"]!) \($0["loss"]!)" }
    }
    #expect(losses(out) == losses(reference))
  }
}

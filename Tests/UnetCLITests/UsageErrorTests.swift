import Foundation
import Testing
import _TestSupport

/// Every command answers a bad option value the same way: exit status 64,
/// and a first line `unet: error: …` that names the option as the user
/// typed it (the command's usage may follow it). No file is read for these:
/// each is refused before any work starts, so nothing is written.
@Suite struct UsageErrorTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    /// The option as typed, which the error line must name.
    var option: String
    var testDescription: String { arguments.joined(separator: " ") }
  }

  static let cases: [Case] = [
    Case(arguments: ["info", "--max-pixels", "0", "x.png"], option: "--max-pixels"),
    Case(arguments: ["synth", "--out", "o", "--count", "0"], option: "--count"),
    Case(arguments: ["weights", "l.png", "--out", "o", "--w0", "-1"], option: "--w0"),
    Case(arguments: ["weights", "l.png", "--out", "o", "--weight-sigma", "0"], option: "--weight-sigma"),
    Case(arguments: ["augment", "--images", "i", "--labels", "l", "--out", "o", "--samples", "1", "--elastic-sigma", "-1"], option: "--elastic-sigma"),
    Case(arguments: ["augment", "--images", "i", "--labels", "l", "--out", "o", "--samples", "1", "--rotate", "200"], option: "--rotate"),
    Case(arguments: ["augment", "--images", "i", "--labels", "l", "--out", "o", "--samples", "1", "--weight-sigma", "0"], option: "--weight-sigma"),
    Case(arguments: ["manifest", "verify", "d", "--shard-index", "1"], option: "--shard-index"),
    Case(arguments: ["train", "--shards", "s", "--out", "o", "--optimizer", "sgd", "--momentum", "1"], option: "--momentum"),
    Case(arguments: ["train", "--shards", "s", "--out", "o", "--lr", "0"], option: "--lr"),
    Case(arguments: ["train", "--shards", "s", "--out", "o", "--optimizer", "adam", "--betas", "0.9,1"], option: "--betas"),
    Case(arguments: ["train", "--shards", "s", "--out", "o", "--optimizer", "sgd", "--eps", "1e-8"], option: "--eps"),
    Case(arguments: ["train", "--shards", "s", "--out", "o", "--depth", "9"], option: "--depth"),
    Case(arguments: ["train", "--shards", "s", "--out", "o", "--threads", "0"], option: "--threads"),
    Case(arguments: ["predict", "--model", "m", "--out", "o", "--threshold", "1.5", "x.png"], option: "--threshold"),
    Case(arguments: ["eval", "--pred", "p", "--truth", "t", "--thresholds", "0"], option: "--thresholds"),
    Case(arguments: ["export", "--model", "m"], option: "--out"),
    Case(arguments: ["export", "--model", "m", "--out", "o", "--format", "tflite"], option: "--format"),
    Case(arguments: ["report", "--out", "r", "--eval", "e.json", "--images", "i", "--truth", "t", "--pred", "p", "--max-pixels", "0"], option: "--max-pixels"),
    Case(arguments: ["bench", "--base-channels", "0"], option: "--base-channels"),
    Case(arguments: ["bench", "--threads", "0"], option: "--threads"),
  ]

  @Test(arguments: cases)
  func exitsWithStatus64NamingTheOption(_ c: Case) throws {
    let dir = makeTemporaryDirectory()
    let r = try unet(c.arguments, cwd: dir)
    #expect(r.status == 64, "\(c.arguments): exit \(r.status): \(r.stderr)")
    let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
    #expect(first.hasPrefix("unet: error: ") && first.contains(c.option), "\(c.arguments): \(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "\(c.arguments) wrote files")
  }

  /// Every subcommand has a case above.
  @Test func everyCommandHasACase() throws {
    let help = try unet(["--help"]).stdout
    // The lines "  NAME   Abstract…" below SUBCOMMANDS:, not their wrapped continuations.
    let listed = help.components(separatedBy: "SUBCOMMANDS:").last!.split(separator: "\n").compactMap { line in
      line.hasPrefix("  ") && !line.hasPrefix("   ") ? line.split(separator: " ").first.map(String.init) : nil
    }.filter { $0 != "See" && $0 != "help" }
    let covered = Set(Self.cases.map(\.arguments[0]))
    #expect(!listed.isEmpty)
    for command in listed { #expect(covered.contains(command), "no usage-error case for unet \(command)") }
  }
}

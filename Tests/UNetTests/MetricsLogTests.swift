import Foundation
import Testing
import _TestSupport

@testable import UNet

@Suite("MetricsLog: metrics.jsonl lines, resume truncation, torn lines")
final class MetricsLogTests {
  let dir: String
  var path: String { dir + "/metrics.jsonl" }

  init() { dir = makeTemporaryDirectory() }
  deinit { try? FileManager.default.removeItem(atPath: dir) }

  func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  static let records = [
    MetricsRecord(step: 1, loss: 0.6931, seconds: 5.12, learningRate: 0.01),
    MetricsRecord(step: 2, loss: 0.5, seconds: 5, learningRate: 1e-05),
    MetricsRecord(
      step: 2, elapsed: 10.12, validationLoss: 0.45, validationPixelError: 0.125, validationPixelErrorThreshold: 0.15,
      validationRandError: 0.25, validationRandErrorThreshold: 0.45),
    MetricsRecord(step: 3, loss: 0.1 + 0.2),
  ]

  @Test func linesAreSortedShortestJSON() {
    #expect(Self.records[0].jsonLine == #"{"loss":0.6931,"lr":0.01,"seconds":5.12,"step":1}"#)
    #expect(Self.records[1].jsonLine == #"{"loss":0.5,"lr":1e-05,"seconds":5.0,"step":2}"#)
    #expect(
      Self.records[2].jsonLine
        == #"{"elapsed":10.12,"step":2,"val_loss":0.45,"val_pixel_error":0.125,"val_pixel_error_threshold":0.15,"val_rand_error":0.25,"val_rand_error_threshold":0.45}"#
    )
    #expect(Self.records[3].jsonLine == #"{"loss":0.30000000000000004,"step":3}"#)
    #expect(MetricsRecord(step: 7).jsonLine == #"{"step":7}"#)
    let odd = MetricsRecord(step: 4, loss: .nan, seconds: .infinity, learningRate: -.infinity)
    #expect(odd.jsonLine == #"{"loss":"NaN","lr":"-Infinity","seconds":"Infinity","step":4}"#)
  }

  @Test func roundTrip() throws {
    let log = try MetricsLog(path: path, truncatingAfter: nil)
    for record in Self.records { try log.append(record) }
    // Each append is on disk at once, without closing the log.
    #expect(try MetricsLog.read(from: path) == Self.records)
    #expect(try text() == Self.records.map { $0.jsonLine + "\n" }.joined())

    try log.append(MetricsRecord(step: 4, loss: .nan, seconds: .infinity, learningRate: -.infinity))
    let last = try #require(try MetricsLog.read(from: path).last)
    #expect(last.loss?.isNaN == true && last.seconds == .infinity && last.learningRate == -.infinity)

    // Codable uses the same keys.
    let decoded = try JSONDecoder().decode(
      MetricsRecord.self, from: Data(#"{"step":5,"lr":0.1,"val_loss":0.2,"val_pixel_error":0.3}"#.utf8))
    #expect(decoded == MetricsRecord(step: 5, learningRate: 0.1, validationLoss: 0.2, validationPixelError: 0.3))
  }

  /// Older versions wrote `val_pixel_error` for the misclassified fraction,
  /// without `val_rand_error`: it is read as `val_pixel_mismatch`, and a
  /// resumed run rewrites it so, never mixing the two meanings.
  @Test func oldValidationLinesAreReadAsPixelMismatch() throws {
    let old = [
      #"{"loss":0.6,"lr":0.001,"seconds":1.5,"step":1}"#, #"{"loss":0.5,"lr":0.001,"seconds":1.25,"step":2}"#,
      #"{"step":2,"val_loss":0.4,"val_pixel_error":0.105}"#,
    ]
    try Data((old.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    let expected = [
      MetricsRecord(step: 1, loss: 0.6, seconds: 1.5, learningRate: 0.001),
      MetricsRecord(step: 2, loss: 0.5, seconds: 1.25, learningRate: 0.001),
      MetricsRecord(step: 2, validationLoss: 0.4, validationPixelMismatch: 0.105),
    ]
    #expect(try MetricsLog.read(from: path) == expected)
    let log = try MetricsLog(path: path, truncatingAfter: 2)
    try log.append(Self.records[2])
    #expect(try text().contains(#"{"step":2,"val_loss":0.4,"val_pixel_mismatch":0.105}"#))
    #expect(try MetricsLog.read(from: path) == expected + [Self.records[2]])
    // Both the old key and the new one in one line: no version writes that.
    try Data(#"{"step":2,"val_pixel_error":0.1,"val_pixel_mismatch":0.1}"#.utf8 + [0x0A]).write(to: URL(fileURLWithPath: path))
    let error = #expect(throws: FileError.self) { try MetricsLog.read(from: path) }
    #expect(error?.description.contains("line 1: both \"val_pixel_error\" of an older version") == true)
  }

  @Test func newLogReplacesAnOldOne() throws {
    try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: path))
    let log = try MetricsLog(path: path, truncatingAfter: nil)
    #expect(try text() == "")
    try log.append(Self.records[0])
    #expect(try MetricsLog.read(from: path) == [Self.records[0]])
  }

  @Test func resumeDropsTheStepsToRedo() throws {
    do {
      let log = try MetricsLog(path: path, truncatingAfter: nil)
      for step in 1...5 { try log.append(MetricsRecord(step: step, loss: 1 / Double(step))) }
      try log.append(MetricsRecord(step: 4, validationLoss: 0.3))
    }
    let log = try MetricsLog(path: path, truncatingAfter: 3)
    #expect(try MetricsLog.read(from: path).map(\.step) == [1, 2, 3])
    try log.append(MetricsRecord(step: 4, loss: 0.2))
    #expect(try MetricsLog.read(from: path) == (1...3).map { MetricsRecord(step: $0, loss: 1 / Double($0)) } + [MetricsRecord(step: 4, loss: 0.2)])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["metrics.jsonl"])

    // Resuming without a file starts one.
    let other = dir + "/other.jsonl"
    _ = try MetricsLog(path: other, truncatingAfter: 10)
    #expect(try MetricsLog.read(from: other) == [])
  }

  @Test func tornLastLineIsDropped() throws {
    let complete = Self.records.prefix(2).map { $0.jsonLine + "\n" }.joined()
    try Data((complete + #"{"loss":0.25,"lr":0.0"#).utf8).write(to: URL(fileURLWithPath: path))
    #expect(try MetricsLog.read(from: path) == Array(Self.records.prefix(2)))

    let log = try MetricsLog(path: path, truncatingAfter: 100)
    #expect(try text() == complete)
    try log.append(Self.records[2])
    #expect(try MetricsLog.read(from: path) == Array(Self.records.prefix(3)))

    // A last line that is whole but lacks its newline is kept.
    try Data((complete + Self.records[3].jsonLine).utf8).write(to: URL(fileURLWithPath: path))
    #expect(try MetricsLog.read(from: path) == Self.records.prefix(2) + [Self.records[3]])
  }

  @Test func badLinesThrowNamingFileAndLine() throws {
    let good = Self.records[0].jsonLine
    let cases: [(String, String)] = [
      ("garbage", "line 2: column 1: unexpected character \"g\", expected a value"),
      ("", "line 2: empty line"),
      ("[1]", "line 2: not a JSON object"),
      (#"{"loss":1}"#, "line 2: no integer \"step\""),
      (#"{"step":1.5}"#, "line 2: no integer \"step\""),
      (#"{"step":1,"loss":"high"}"#, "line 2: \"loss\" is not a number"),
      (#"{"step":1,"acc":0.9}"#, "line 2: unknown key \"acc\""),
    ]
    for (line, reason) in cases {
      try Data((good + "\n" + line + "\n" + good + "\n").utf8).write(to: URL(fileURLWithPath: path))
      let error = #expect(throws: FileError.self, "\(line)") { try MetricsLog.read(from: path) }
      #expect(error?.description == "\(path): \(reason)", "\(line)")
      // A resumed run refuses to rewrite a damaged log.
      #expect(throws: FileError.self) { try MetricsLog(path: path, truncatingAfter: 5) }
    }
    // Integers and null are accepted where numbers are expected.
    try Data(#"{"step":3,"loss":2,"lr":null}"#.utf8 + [0x0A]).write(to: URL(fileURLWithPath: path))
    #expect(try MetricsLog.read(from: path) == [MetricsRecord(step: 3, loss: 2)])

    let missing = #expect(throws: FileError.self) { try MetricsLog.read(from: dir + "/absent.jsonl") }
    #expect(missing?.description == dir + "/absent.jsonl: no such file")
  }
}

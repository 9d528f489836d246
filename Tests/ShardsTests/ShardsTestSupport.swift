import Foundation
import Testing

@testable import Shards

// Helpers of the Shards tests: temporary folders, file bytes, hand-patched
// tar headers, and running Python's standard library as the reference.

// MARK: - Files

/// A fresh empty folder under the system temporary folder.
func makeTemporaryDirectory(_ function: String = #function) throws -> String {
  let name = "shards-test-\(function.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)"
  let path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

func removeDirectory(_ path: String) {
  try? FileManager.default.removeItem(atPath: path)
}

func writeFile(_ bytes: [UInt8], to path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFile(_ path: String) throws -> [UInt8] {
  Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Deterministic pseudo-random bytes (SplitMix64).
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
  var state = seed
  return (0..<count).map { _ in
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return UInt8(truncatingIfNeeded: z ^ (z >> 31))
  }
}

// MARK: - Tar headers, by hand

/// The ustar checksum computed the slow, obvious way: every byte of the
/// header as unsigned, with the eight checksum bytes counted as spaces.
func referenceChecksum(_ header: ArraySlice<UInt8>) -> Int {
  precondition(header.count == 512)
  var sum = 0
  for i in 0..<512 {
    sum += (148..<156).contains(i) ? 32 : Int(header[header.startIndex + i])
  }
  return sum
}

/// `archive` with `bytes` put at `offset` in the header at `headerOffset`,
/// and that header's checksum recomputed, so that only the patched field is
/// wrong.
func patched(_ archive: [UInt8], headerOffset: Int = 0, at offset: Int, _ bytes: [UInt8]) -> [UInt8] {
  var out = archive
  for (i, b) in bytes.enumerated() { out[headerOffset + offset + i] = b }
  let sum = referenceChecksum(out[headerOffset..<(headerOffset + 512)])
  let field = Array(String(format: "%06o", sum).utf8) + [0, 32]
  for (i, b) in field.enumerated() { out[headerOffset + 148 + i] = b }
  return out
}

/// A name field's 100 bytes holding `name`.
func nameField(_ name: String) -> [UInt8] {
  let utf8 = Array(name.utf8)
  return utf8 + [UInt8](repeating: 0, count: 100 - utf8.count)
}

// MARK: - Python

/// Thrown after a failure has been recorded, to stop the test.
struct TestStop: Error {}

struct PythonResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// The `python3` on PATH. The reference checks need it: a missing
/// interpreter is a test failure, not a skip.
func pythonPath() throws -> String {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for folder in path.split(separator: ":") {
    let candidate = "\(folder)/python3"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  Issue.record("python3 is not on PATH; the Shards tests check tar and SHA-256 output against Python's tarfile and hashlib and need it")
  throw TestStop()
}

/// Runs `python3 -c script args…` and returns its exit status and output.
func runPython(_ script: String, _ arguments: [String] = []) throws -> PythonResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: try pythonPath())
  process.arguments = ["-c", script] + arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return PythonResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs a Python script that must succeed and print one JSON value.
func pythonJSON(_ script: String, _ arguments: [String] = []) throws -> JSONValue {
  let result = try runPython(script, arguments)
  try #require(result.status == 0, "python3 failed: \(result.stderr)")
  return try JSONValue.parse(Array(result.stdout.utf8))
}

/// Expects `body` to throw a `ShardError` and returns it.
func expectShardError(
  _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) throws -> ShardError {
  do {
    try body()
  } catch let error as ShardError {
    return error
  } catch {
    Issue.record("expected a ShardError, got \(error)", sourceLocation: sourceLocation)
    throw error
  }
  Issue.record("expected a ShardError, nothing was thrown", sourceLocation: sourceLocation)
  throw TestStop()
}

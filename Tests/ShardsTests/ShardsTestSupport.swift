import Foundation
import Testing
import _TestSupport

@testable import Shards

// Helpers of the Shards tests: file bytes, hand-patched tar headers, and
// Python's standard library as the reference (run by _TestSupport's
// `runPython`).

// MARK: - Files

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

/// Runs a Python script (`python -c SCRIPT ARGUMENTS…`) that must succeed
/// and print one JSON value. The reference checks need Python: a missing
/// interpreter is a test failure, not a skip.
func pythonJSON(_ script: String, _ arguments: [String] = []) throws -> JSONValue {
  let result = try runPython(["-c", script] + arguments)
  try #require(result.status == 0, "python failed: \(result.stderr)")
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

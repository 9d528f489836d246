import Foundation

/// The exit status and output of a `python3 -c` run.
struct PythonResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs `python3 -c script args…` (python3 from PATH).
func runPython(_ script: String, _ arguments: [String] = []) throws -> PythonResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script] + arguments
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

import Foundation

/// The exit status and output of a finished child process.
public struct RunResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String

  public init(status: Int32, stdout: String, stderr: String) {
    self.status = status
    self.stdout = stdout
    self.stderr = stderr
  }
}

/// Runs `executable` with `arguments` and collects its exit status and
/// output.
///
/// Standard output and standard error are read at the same time, on two
/// threads, so that a child that fills one pipe while the tests wait on the
/// other cannot block (a pipe holds 64 KiB on Linux).
///
/// - Parameters:
///   - cwd: the child's working folder (default: this process's).
///   - environment: variables added to this process's environment.
public func run(
  _ executable: String, _ arguments: [String], cwd: String? = nil, environment: [String: String] = [:]
) throws -> RunResult {
  let process = Process()
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  nonisolated(unsafe) var errData = Data()
  let group = DispatchGroup()
  group.enter()
  DispatchQueue.global().async {
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return RunResult(
    status: process.terminationStatus,
    stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// The first executable file named `name` in a folder of `$PATH`, or nil.
public func executableOnPath(_ name: String) -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for folder in path.split(separator: ":") {
    let candidate = "\(folder)/\(name)"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return nil
}

import Foundation
import Raster

/// `Parallel.forEach`, as the commands call it.
func parallelFor(_ count: Int, jobs: Int, _ body: @Sendable (Int) throws -> Void) throws {
  try Parallel.forEach(count, jobs: jobs, body)
}

/// The number of processors the scheduler gives this process.
var availableCores: Int { Parallel.cores }

/// A one-line progress bar on standard error when it is a terminal;
/// silent otherwise.
final class Progress: @unchecked Sendable {
  private let lock = NSLock()
  private let total: Int
  private let label: String
  private var done = 0
  private let enabled = isatty(2) != 0
  private let start = Date()

  init(total: Int, label: String) {
    self.total = total
    self.label = label
  }

  func advance() {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    done += 1
    let width = 30
    let filled = total > 0 ? width * done / total : width
    let elapsed = Date().timeIntervalSince(start)
    let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let line = "\r\(label) [\(bar)] \(done)/\(total)  ETA \(String(format: "%.1f", eta)) s "
    FileHandle.standardError.write(Data(line.utf8))
    if done == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}

/// A byte budget shared by worker threads.
final class Budget: @unchecked Sendable {
  private let lock = NSLock()
  private var left: Int
  init(bytes: Int) { left = bytes }
  func take(_ n: Int) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    guard n <= left else { return false }
    left -= n
    return true
  }
}

import Foundation
import _Support

/// `Parallel.forEach`, as the commands call it.
func parallelFor(_ count: Int, jobs: Int, _ body: @Sendable (Int) throws -> Void) throws {
  try Parallel.forEach(count, jobs: jobs, body)
}

/// The number of processors the scheduler gives this process.
var availableCores: Int { Parallel.cores }

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

import Foundation

/// Runs `body(i)` for every `i` in `0..<count` on `jobs` threads. Each
/// index runs exactly once; which thread runs it does not change the
/// result, as long as `body` writes only to index-owned state.
/// The first error thrown (in index order) is rethrown after all finish.
func parallelFor(_ count: Int, jobs: Int, _ body: @Sendable (Int) throws -> Void) throws {
  let next = Counter()
  let errors = Slots<(any Error)?>(count: count, initial: nil)
  DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
    while let i = next.take(below: count) {
      do { try body(i) } catch { errors[i] = error }
    }
  }
  if let error = errors.values.lazy.compactMap({ $0 }).first { throw error }
}

/// The number of processors the scheduler gives this process.
var availableCores: Int { ProcessInfo.processInfo.activeProcessorCount }

/// Hands out indices 0, 1, 2, … to worker threads, each once.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0
  func take(below limit: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard value < limit else { return nil }
    value += 1
    return value - 1
  }
}

/// One value per index, written from worker threads.
final class Slots<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [T]
  init(count: Int, initial: T) { storage = Array(repeating: initial, count: count) }
  subscript(i: Int) -> T {
    get { lock.lock(); defer { lock.unlock() }; return storage[i] }
    set { lock.lock(); storage[i] = newValue; lock.unlock() }
  }
  var values: [T] { lock.lock(); defer { lock.unlock() }; return storage }
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

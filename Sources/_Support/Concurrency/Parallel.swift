import Foundation

/// Data-parallel loops whose results never depend on the thread count.
///
/// Plumbing of the package (`package` access): public functions may name
/// ``cores`` as a default value, hence `@usableFromInline`.
@usableFromInline package enum Parallel {
  /// The number of processors the scheduler gives this process.
  @usableFromInline package static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

  /// Runs `body(i)` for every `i` in `0..<count` on `jobs` threads. Each
  /// index runs exactly once; which thread runs it does not change the
  /// result, as long as `body` writes only to index-owned state (a
  /// ``Slots`` slot). The first error thrown (in index order) is rethrown
  /// after all finish.
  package static func forEach(_ count: Int, jobs: Int, _ body: @Sendable (Int) throws -> Void) throws {
    let next = Counter()
    let errors = Slots<(any Error)?>(count: count, initial: nil)
    DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
      while let i = next.take(below: count) {
        do { try body(i) } catch { errors[i] = error }
      }
    }
    if let error = errors.values.lazy.compactMap({ $0 }).first { throw error }
  }
}

/// Hands out indices 0, 1, 2, … to worker threads, each once.
package final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0

  package init() {}

  /// The next index, or nil once `limit` indices were handed out.
  package func take(below limit: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard value < limit else { return nil }
    value += 1
    return value - 1
  }
}

/// One value per index, written from worker threads.
package final class Slots<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [T]

  package init(count: Int, initial: T) { storage = Array(repeating: initial, count: count) }

  package subscript(i: Int) -> T {
    get { lock.lock(); defer { lock.unlock() }; return storage[i] }
    set { lock.lock(); storage[i] = newValue; lock.unlock() }
  }

  /// Every slot, in index order.
  package var values: [T] { lock.lock(); defer { lock.unlock() }; return storage }
}

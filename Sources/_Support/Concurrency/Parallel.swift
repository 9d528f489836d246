import Dispatch
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Data-parallel loops whose results never depend on the thread count.
///
/// Plumbing of the package (`package` access): public functions may name
/// ``cores`` as a default value, hence `@usableFromInline`.
@usableFromInline package enum Parallel {
  /// The number of processors the scheduler gives this process.
  @usableFromInline package static var cores: Int {
    #if os(Linux)
      // The CPUs this process may run on (taskset, cgroup cpusets), as
      // Foundation's `activeProcessorCount` counts them.
      if let allowed = allowedCPUs(), allowed > 0 { return allowed }
    #endif
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }

  /// The count of `Cpus_allowed_list` in /proc/self/status ("0-3,8,10-11").
  private static func allowedCPUs() -> Int? {
    guard let status = try? readFile("/proc/self/status") else { return nil }
    let text = String(decoding: status, as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
      return nil
    }
    var count = 0
    for range in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
      let ends = range.split(separator: "-").map { Int($0.trimmingPrefix(while: \.isWhitespace)) }
      guard let first = ends.first, let low = first else { return nil }
      let high = ends.count > 1 ? (ends[1] ?? low) : low
      count += high - low + 1
    }
    return count
  }

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
  private let lock = Lock()
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
  private let lock = Lock()
  private var storage: [T]

  package init(count: Int, initial: T) { storage = Array(repeating: initial, count: count) }

  package subscript(i: Int) -> T {
    get { lock.lock(); defer { lock.unlock() }; return storage[i] }
    set { lock.lock(); storage[i] = newValue; lock.unlock() }
  }

  /// Every slot, in index order.
  package var values: [T] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// A mutual-exclusion lock over a heap-allocated pthread mutex.
final class Lock: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

  init() { pthread_mutex_init(mutex, nil) }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  func lock() { pthread_mutex_lock(mutex) }
  func unlock() { pthread_mutex_unlock(mutex) }
}

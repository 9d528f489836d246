#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Foundation

/// The one progress display of `unet`: a bar redrawn in place on standard
/// error when it is a terminal, nothing otherwise; lines printed through it
/// (`line`) appear above the bar. Safe to use from worker threads.
final class ProgressBar: @unchecked Sendable {
  /// True when standard error is a terminal.
  let isTerminal = isatty(2) != 0
  private let lock = NSLock()
  private let label: String
  private let total: Int
  private let width: Int
  private let start = Date()
  private var done = 0

  /// A bar for `total` items, `label` in front of it.
  init(total: Int, label: String, width: Int = 30) {
    self.total = total
    self.label = label
    self.width = width
  }

  /// Counts one more item done and redraws: `LABEL [###...] 3/10  ETA 1.2 s`;
  /// clears the bar after the last one.
  func advance() {
    lock.lock()
    defer { lock.unlock() }
    done += 1
    let elapsed = Date().timeIntervalSince(start)
    let eta = elapsed / Double(done) * Double(total - done)
    draw(done: done, text: "\(done)/\(total)  ETA \(String(format: "%.1f", eta)) s")
    if done == total { clear() }
  }

  /// Redraws the bar at `done` of the total with `text` after it.
  func show(done: Int, text: String) {
    lock.lock()
    defer { lock.unlock() }
    draw(done: done, text: text)
  }

  /// Prints `text` as a line of its own (above the bar on a terminal).
  func line(_ text: String) {
    lock.lock()
    defer { lock.unlock() }
    clear()
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  /// Removes the bar.
  func finish() {
    lock.lock()
    defer { lock.unlock() }
    clear()
  }

  private func draw(done: Int, text: String) {
    guard isTerminal else { return }
    let filled = total > 0 ? width * min(done, total) / total : width
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(text)\u{1B}[K".utf8))
  }

  private func clear() {
    if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}

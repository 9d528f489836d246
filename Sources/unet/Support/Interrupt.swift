#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM ask a long command to stop at its next safe
/// point (`unet train`: after the current step, with a checkpoint); a
/// second signal exits at once with status 130.
final class Interrupt: Sendable {
  private let flag = Atomic<Bool>(false)
  /// True once a signal arrived.
  var requested: Bool { flag.load(ordering: .relaxed) }

  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

  /// Starts listening; the process keeps the handlers until it exits.
  static func install() -> Interrupt {
    let interrupt = Interrupt()
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler {
        if interrupt.flag.exchange(true, ordering: .relaxed) {
          FileHandle.standardError.write(Data("\nunet: stopped without a checkpoint\n".utf8))
          _exit(130)
        }
        FileHandle.standardError.write(Data("\nunet: stopping after this step (Ctrl-C again to quit at once)\n".utf8))
      }
      source.resume()
      sources.append(source)
    }
    return interrupt
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// With `UNETKIT_FUZZ_VERBOSE=1`, a harness prints why each input was
/// rejected, e.g. to check that the seeds decode:
/// `UNETKIT_FUZZ_VERBOSE=1 .build/release/FuzzPNG -runs=0 Corpus/FuzzPNG`.
public enum Verbose {
  /// Whether `UNETKIT_FUZZ_VERBOSE` is set (read once).
  public static let isOn: Bool = getenv("UNETKIT_FUZZ_VERBOSE") != nil

  /// Runs `body`, printing its error (or "ok") when verbose.
  public static func attempt(_ body: () throws -> Void) {
    do {
      try body()
      if isOn { print("ok") }
    } catch {
      if isOn { print("rejected: \(error)") }
    }
  }
}

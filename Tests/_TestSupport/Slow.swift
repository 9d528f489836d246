import Foundation
import Testing

/// Whether this is a quick run: `UNETKIT_QUICK=1` in the environment
/// (`scripts/test.sh --quick` sets it).
public let isQuickRun = ProcessInfo.processInfo.environment["UNETKIT_QUICK"].map { !$0.isEmpty && $0 != "0" } ?? false

extension Trait where Self == ConditionTrait {
  /// Marks a suite or test that takes seconds or more on a 2-core machine
  /// (whole training runs, the built tool run many times, SIGKILL loops,
  /// PyTorch): quick runs leave it out, and the test output names each one
  /// skipped. The whole suite (`scripts/test.sh`, CI) runs it.
  ///
  /// swift-testing's tags cannot be left out from `swift test`'s command
  /// line (`--skip` matches names only), so the mark is a condition.
  public static var slow: Self {
    .disabled(if: isQuickRun, "slow: left out of quick runs (UNETKIT_QUICK=1, scripts/test.sh --quick)")
  }
}

import Testing

extension Tag {
  /// Suites and tests that take seconds each or more: whole training runs,
  /// the built tool run many times, SIGKILL loops, Python and PyTorch runs.
  /// `scripts/test.sh --quick` leaves them out (CONTRIBUTING.md, "Checks").
  @Tag public static var slow: Self
}

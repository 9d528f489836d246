import Foundation

/// How oneDNN's OpenMP threads wait between parallel regions. libgomp's
/// default lets them spin for a while, which is fastest on an idle machine
/// but, when another process holds a core, makes every barrier wait for a
/// descheduled thread: on a busy 2-core machine the main job's training step
/// took 2–4× longer (BENCHMARKS.md). Passive waiting costs little when the
/// machine is idle, so it is the default here; setting OMP_WAIT_POLICY
/// (ACTIVE or PASSIVE) or GOMP_SPINCOUNT chooses otherwise.
enum ThreadWaitPolicy {
  /// libgomp reads its environment when it is loaded, before `main` runs,
  /// so a `setenv` alone has no effect: the process sets the variable and
  /// starts itself again, once, with the same arguments.
  static func applyDefault() {
    let environment = ProcessInfo.processInfo.environment
    guard environment["OMP_WAIT_POLICY"] == nil, environment["GOMP_SPINCOUNT"] == nil else { return }
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
    var arguments = CommandLine.arguments.map { strdup($0) }
    arguments.append(nil)
    execv("/proc/self/exe", arguments)
    // Still here: exec failed (no /proc); carry on with the default policy.
    for argument in arguments { free(argument) }
  }
}

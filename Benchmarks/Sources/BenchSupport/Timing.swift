#if canImport(Glibc)
  import Glibc
#endif

/// Monotonic seconds.
public func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The median of a non-empty list.
public func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Removes `--reps N` from `args` and returns N, or `defaultValue`.
public func takeReps(_ args: inout [String], default defaultValue: Int) -> Int {
  guard let i = args.firstIndex(of: "--reps"), i + 1 < args.count, let n = Int(args[i + 1]) else {
    return defaultValue
  }
  args.removeSubrange(i...(i + 1))
  return n
}

/// A border rule as a type, so that each kernel is compiled once per rule
/// with no per-pixel dispatch: ``indices4(_:count:)`` is
/// ``BorderMode/index(_:count:)`` lane-wise.
protocol BorderRule {
  /// True when taps outside read zero (``BorderMode/constant``).
  static var zeroesOutside: Bool { get }
  /// The indices read (0 where nothing is) and which lanes read a sample
  /// (false only where ``zeroesOutside`` and outside `0..<n`).
  static func indices4(_ i: SIMD4<Int32>, count n: Int32) -> (SIMD4<Int32>, SIMDMask<SIMD4<Int32>>)
}

/// ``BorderMode/mirror``.
enum MirrorRule: BorderRule {
  static var zeroesOutside: Bool { false }
  @inline(__always)
  static func indices4(_ i: SIMD4<Int32>, count n: Int32) -> (SIMD4<Int32>, SIMDMask<SIMD4<Int32>>) {
    // One reflection on either side; farther out (rare), the modulo.
    let zero = SIMD4<Int32>()
    let last = SIMD4<Int32>(repeating: n &- 1)
    let a = i.replacing(with: 0 &- i, where: i .< zero)
    var m = a.replacing(with: last &+ last &- a, where: a .> last)
    if any((m .< zero) .| (m .> last)) {
      for l in 0..<4 { m[l] = Int32(truncatingIfNeeded: BorderMode.mirror.index(Int(i[l]), count: Int(n))!) }
    }
    return (m, SIMDMask(repeating: true))
  }
}

/// ``BorderMode/constant``.
enum ConstantRule: BorderRule {
  static var zeroesOutside: Bool { true }
  @inline(__always)
  static func indices4(_ i: SIMD4<Int32>, count n: Int32) -> (SIMD4<Int32>, SIMDMask<SIMD4<Int32>>) {
    let valid = (i .>= SIMD4<Int32>()) .& (i .< SIMD4<Int32>(repeating: n))
    return (i.replacing(with: 0, where: .!valid), valid)
  }
}

/// ``BorderMode/nearest`` (edge clamp).
enum ClampRule: BorderRule {
  static var zeroesOutside: Bool { false }
  @inline(__always)
  static func indices4(_ i: SIMD4<Int32>, count n: Int32) -> (SIMD4<Int32>, SIMDMask<SIMD4<Int32>>) {
    let last = SIMD4<Int32>(repeating: n &- 1)
    let low = i.replacing(with: 0, where: i .< SIMD4<Int32>())
    return (low.replacing(with: last, where: low .> last), SIMDMask(repeating: true))
  }
}

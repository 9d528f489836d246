/// SplitMix64 (Steele, Lea, Flood, OOPSLA 2014): a small, fast, seedable
/// generator. Explicit state, no global randomness: the same seed gives the
/// same stream on every run and platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// A generator for stream `index` of `seed`, independent of other indices
  /// (the seed and index are mixed, so nearby values give unrelated streams).
  public init(seed: UInt64, stream index: UInt64) {
    var mixer = SplitMix64(seed: seed ^ 0x6A09_E667_F3BC_C909)
    let a = mixer.next()
    state = a ^ (index &* 0x9E37_79B9_7F4A_7C15)
    _ = next()
  }

  @inlinable public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A Double uniform in [0, 1), from the top 53 bits.
  @inlinable public mutating func unit() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A Double uniform in [a, b).
  @inlinable public mutating func uniform(_ a: Double, _ b: Double) -> Double {
    a + (b - a) * unit()
  }

  /// A standard normal variate (Box–Muller, one of the pair).
  public mutating func gaussian() -> Double {
    let u1 = 1.0 - unit()  // (0, 1]
    let u2 = unit()
    return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

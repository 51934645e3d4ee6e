/// A seeded pseudo-random generator (SplitMix64): every draw of a simulation comes from one, so a run is
/// a pure function of its seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A generator for a named sub-stream, so that adding draws in one part does not shift another's.
  public func fork(_ label: UInt64) -> SeededRandom {
    var copy = SeededRandom(seed: state ^ (label &* 0xD1B5_4A32_D192_ED03))
    _ = copy.next()
    return copy
  }

  /// Uniform in `0..<bound` (bound > 0).
  public mutating func below(_ bound: UInt64) -> UInt64 { bound == 0 ? 0 : next() % bound }

  /// Uniform in `range`.
  public mutating func inRange(_ range: ClosedRange<UInt64>) -> UInt64 {
    range.lowerBound + below(range.upperBound - range.lowerBound + 1)
  }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool {
    p > 0 && Double(next() >> 11) / Double(1 << 53) < p
  }

  /// A uniform double in [0, 1).
  public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

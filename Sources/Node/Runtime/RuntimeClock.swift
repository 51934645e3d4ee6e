import Foundation

/// The runtime's clock in milliseconds: the wall-clock time at start plus the monotonic time elapsed
/// since, so that it never goes back (timers stay right when the system clock is stepped) while block
/// timestamps stay close to real time (peers check them against their own clocks, docs/protocol.md §3.2).
struct RuntimeClock: Sendable {
  private let startWallMs: UInt64
  private let start: ContinuousClock.Instant

  init() {
    startWallMs = UInt64(Date().timeIntervalSince1970 * 1000)
    start = ContinuousClock.now
  }

  /// Milliseconds; never decreases.
  func now() -> UInt64 {
    let elapsed = ContinuousClock.now - start
    let (seconds, attoseconds) = elapsed.components
    return startWallMs + UInt64(max(seconds, 0)) * 1000 + UInt64(max(attoseconds, 0) / 1_000_000_000_000_000)
  }
}

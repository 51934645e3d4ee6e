import Testing

@testable import Simulation

/// The network settings of `sehc simulate` reach the simulated network.
@Suite struct SimulateNetworkTests {
  static func run(_ configure: (inout SimulationSettings) -> Void) -> SimulationResult {
    var s = SimulationSettings()
    s.nodes = 8
    s.shards = 2
    s.durationSeconds = 5
    s.settleSeconds = 3
    s.epochLength = 2
    s.rate = 40
    s.accounts = 32
    s.trials = 10
    configure(&s)
    return SimulationRunner.run(s)
  }

  /// At 2 Mbit/s per link a leader's proposals and the RBlocks queue up: commits take longer.
  @Test func aNarrowLinkSlowsCommits() {
    let wide = Self.run { _ in }
    let narrow = Self.run { $0.bandwidthMbps = 2 }
    #expect(
      narrow.commitLatency.p50 > wide.commitLatency.p50 + 20,
      "\(narrow.commitLatency) vs \(wide.commitLatency)")
    #expect(narrow.violations.isEmpty)
  }

  /// Half the validators cut off for two seconds: transfers wait, then commit after the partition heals.
  @Test func aPartitionDelaysThenHeals() {
    let whole = Self.run { _ in }
    let split = Self.run { $0.partitions = [PartitionWindow(startSeconds: 1, endSeconds: 3, fraction: 0.5)] }
    #expect(
      split.commitLatency.p99 > whole.commitLatency.p99, "\(split.commitLatency) vs \(whole.commitLatency)")
    #expect(split.counts.decided > split.counts.submitted * 9 / 10, "\(split.counts)")
    #expect(split.violations.isEmpty, "\(split.violations)")
  }
}

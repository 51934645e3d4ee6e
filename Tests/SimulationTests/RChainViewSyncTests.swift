import Consensus
import Simulation
import Testing

/// RChain views when one validator ran alone for a while (the others down, or started later, as when a
/// network's nodes start one by one): in two shards of two members every RBlock needs every validator,
/// so all four must come to one view again.
@Suite struct RChainViewSyncTests {
  /// Four validators in two shards; every validator but `alone` is down for `aloneMs` from 1 s on.
  static func scenario(alone: Int, aloneMs: UInt64) -> Scenario {
    var scenario = Scenario(name: "rchain-view-sync")
    scenario.validators = 4
    scenario.shards = 2
    scenario.epochLength = 1_000
    scenario.rblockIntervalMs = 300
    scenario.voteWindowMs = 40
    scenario.electionTimeoutMs = 800
    scenario.crashes = (0..<4).filter { $0 != alone }.map {
      Crash(node: $0, startMs: 1_000, endMs: 1_000 + aloneMs)
    }
    scenario.activeMs = 2_000 + aloneMs
    scenario.settleMs = 10_000
    return scenario
  }

  /// Without the rule that a view's timeout runs only once more than two thirds are in it, the validator
  /// that ran alone moved through views on its own and then at the others' pace, so it stayed ahead of
  /// them for good (found by the loopback runtime tests: RChain at height 0, views 45 and 43).
  @Test(arguments: [(0, 4_000), (1, 7_000), (2, 11_000), (3, 15_000)] as [(Int, UInt64)])
  func everyValidatorMeetsInOneViewAfterRunningAlone(_ alone: Int, _ aloneMs: UInt64) {
    for seed: UInt64 in 1...2 {
      let report = Simulator(scenario: Self.scenario(alone: alone, aloneMs: aloneMs), seed: seed).run()
      #expect(report.passed, failureText(report))
    }
  }
}

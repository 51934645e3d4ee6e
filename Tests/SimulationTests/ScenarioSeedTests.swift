import Consensus
import Simulation
import Testing

/// One randomized run: a scenario of the catalogue and a seed.
struct SeededRun: Sendable, CustomTestStringConvertible {
  let scenario: String
  let seed: UInt64

  var testDescription: String { "\(scenario) seed \(seed)" }

  /// The first `count` seeds of every scenario in `names`.
  static func first(_ count: UInt64, of names: [String]) -> [SeededRun] {
    names.flatMap { name in (1...count).map { SeededRun(scenario: name, seed: $0) } }
  }
}

/// Runs `scenario` with `seed` at the short length and expects it to pass, printing the replay command
/// when it does not.
func expectPass(_ scenario: String, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let report = try #require(
    ScenarioRunner.run(scenario, seed: seed, length: .short), sourceLocation: sourceLocation)
  let passed = report.passed
  #expect(passed, failureText(report), sourceLocation: sourceLocation)
}

/// The text of a failed run: what broke, and the one-line command that replays it.
func failureText(_ report: RunReport) -> Comment {
  var lines = [report.summary]
  lines += report.violations.map { "violation: \($0)" }
  lines += report.failures.prefix(8).map { "failure: \($0)" }
  lines += report.notes.map { "note: \($0)" }
  lines.append("replay: \(report.replayCommand)")
  return Comment(rawValue: lines.joined(separator: "\n"))
}

/// The randomized runs of issue 6 over the scenario catalogue: every seed draws a network (latency,
/// loss, duplication, reordering), faults (partitions that heal, crashes and restarts from persisted
/// records) and adversaries (wrong votes, equivocating and censoring leaders, forged certificates and
/// signatures, replayed stale receipts, proposals and commits) from its scenario, and the run's report
/// must show no safety violation (two TBlocks at one shard height, an RBlock fork, diverging state roots,
/// a bad certificate, broken exactly-once accounting, a final TBlock that is not the one honest members
/// committed), no liveness failure (after the last fault heals every transfer is decided, relayed and
/// final, and the RChain moves) and, under wrong voters and equivocating leaders, honest validators
/// above the malicious ones and no malicious leader.
///
/// Every (scenario, seed) pair is one test case, so Swift Testing spreads them over the cores. The runs
/// are of ``ScenarioLength/short`` length (a debug build is about three times slower than a release
/// one); the long soak is `swift run -c release consensus-soak --seeds 1..2000`.
@Suite struct ScenarioSeedTests {
  /// Seeds per scenario in `make test`.
  static let seedsPerScenario: UInt64 = 20

  @Test(arguments: SeededRun.first(seedsPerScenario, of: ScenarioCatalogue.names))
  func runIsSafeLiveAndRanksHonestValidatorsFirst(_ run: SeededRun) throws {
    try expectPass(run.scenario, seed: run.seed)
  }

  /// Epochs of one RBlock move validators between shards every few hundred milliseconds: a validator
  /// still installing its new shard's state used to drop the transactions and receipts handed to it, so
  /// a shard whose leader had just moved in never proposed them.
  @Test func entriesReachingAValidatorThatInstallsItsShardAreKept() throws {
    try expectPass("epochs", seed: 4)
  }

  /// An equivocation in the run's last second used to leave no time for an RBlock to record the
  /// evidence; leaders now equivocate only while the scenario is active.
  @Test func equivocationsAreRecordedBeforeTheRunEnds() throws {
    try expectPass("equivocation", seed: 19)
  }

  /// A leader that adopted a decision after a partition healed committed it before it held the RBlock the
  /// block credits, and so reached another state root; the commit now waits for the RBlock.
  @Test func anAdoptedDecisionCommitsOnlyWithTheRBlocksItCredits() throws {
    try expectPass("partition", seed: 1)
  }
}

/// The checks can fail: with a safety rule of the protocol removed on purpose (``ProtocolMutations``), some
/// seed of a scenario that exercises the rule must report a safety violation.
@Suite struct MutationTests {
  func violations(_ scenario: String, seeds: ClosedRange<UInt64>, _ mutations: ProtocolMutations)
    -> [RunReport]
  {
    seeds.compactMap { ScenarioRunner.run(scenario, seed: $0, length: .short, mutations: mutations) }
      .filter { !$0.violations.isEmpty }
  }

  /// Without the equivocation guard (§3.5) the two blocks of an equivocating leader both commit.
  @Test func withoutTheEquivocationGuardAnEquivocatorForksItsShard() {
    let broken = violations("equivocation", seeds: 31...32, ProtocolMutations(skipEquivocationGuard: true))
    #expect(!broken.isEmpty, "no equivocation seed in 31...32 broke safety without the guard")
  }

  /// Without adoption (§3.7) a new leader after a partition proposes afresh over a decision that committed.
  @Test func withoutAdoptionAViewChangeForksAShard() {
    let broken = violations("partition", seeds: 27...28, ProtocolMutations(skipAdoption: true))
    #expect(!broken.isEmpty, "no partition seed in 27...28 broke safety without adoption")
  }
}

import Testing

@testable import Simulation

/// What each kind of adversary does to reputation and leadership in `sehc simulate` runs.
@Suite struct SimulateAdversaryTests {
  static func run(_ kind: AdversaryKind, nodes: Int = 12, malicious: Double = 0.25, seed: UInt64 = 3)
    -> SimulationResult
  {
    var s = SimulationSettings()
    s.nodes = nodes
    s.shards = 2
    s.malicious = malicious
    s.adversaries = [kind]
    s.seed = seed
    s.durationSeconds = 12
    s.settleSeconds = 4
    s.epochLength = 2
    s.rate = 40
    s.accounts = 32
    s.trials = 100
    // Transfers only: with records and images, a validator new to a shard votes content it does not
    // hold yet invalid and loses a little reputation, noise beside what each adversary does to it.
    s.mix = .transfersOnly
    return SimulationRunner.run(s)
  }

  /// The last reputation sample of `group`.
  static func last(_ result: SimulationResult, _ group: String) -> SimulationResult.ReputationPoint? {
    result.reputation.last { $0.group == group }
  }

  @Test func wrongVotersEndLowest() throws {
    let result = Self.run(.wrongVotes)
    let honest = try #require(Self.last(result, "honest"))
    let wrong = try #require(Self.last(result, "wrong-votes"))
    #expect(wrong.max < honest.min, "wrong voters \(wrong.max) vs honest \(honest.min)")
    #expect(result.security.maliciousLeaders.last == 0, "\(result.security.maliciousLeaders)")
    #expect(result.violations.isEmpty, "\(result.violations)")
  }

  /// Proven equivocation sets the leader's reputation to 0 for the rest of the epoch (DESIGN §6), which
  /// also puts it last in the next epoch's leader order; afterwards it may earn reputation back, so its
  /// final reputation is not asserted.
  @Test func equivocatingLeadersAreZeroed() throws {
    let result = Self.run(.equivocate, nodes: 10, malicious: 0.2)
    let equivocators = result.reputation.filter { $0.group == "equivocate" }
    let honest = result.reputation.filter { $0.group == "honest" }
    _ = try #require(equivocators.first { $0.min == 0 }, "no equivocator was ever set to 0")
    #expect(honest.allSatisfy { $0.min > 0 }, "an honest validator was set to 0")
    #expect(result.violations.isEmpty, "\(result.violations)")
  }

  @Test func censoringLeadersAreReplaced() throws {
    let result = Self.run(.censor, nodes: 10, malicious: 0.2)
    // Transfers still commit: members change view away from a leader that proposes none of them.
    #expect(result.counts.decided > result.counts.submitted * 9 / 10, "\(result.counts)")
    #expect(result.security.maliciousLeaders.last == 0, "\(result.security.maliciousLeaders)")
    let honest = try #require(Self.last(result, "honest"))
    let censors = try #require(Self.last(result, "censor"))
    #expect(censors.mean < honest.mean, "censors \(censors.mean) vs honest \(honest.mean)")
  }

  @Test func crashingValidatorsFallBehind() throws {
    let result = Self.run(.crash)
    let honest = try #require(Self.last(result, "honest"))
    let crashing = try #require(Self.last(result, "crash"))
    #expect(crashing.mean < honest.mean, "crashing \(crashing.mean) vs honest \(honest.mean)")
    #expect(result.violations.isEmpty, "\(result.violations)")
  }

  /// The run's Monte-Carlo estimate and the calculator agree within the estimate's error, and
  /// reputation-based sharding with separated reputations is never less safe than random.
  @Test func securityEstimatesAgree() {
    let result = Self.run(.wrongVotes, nodes: 12, malicious: 0.34)
    for risk in [result.security.reputationBased, result.security.random] {
      let error = (risk.calculatorPerShard * (1 - risk.calculatorPerShard) / Double(risk.trials)).squareRoot()
      #expect(abs(risk.monteCarloPerShard - risk.calculatorPerShard) <= 4 * error + 1e-9, "\(risk)")
    }
    #expect(result.security.reputationBased.calculator <= result.security.random.calculator)
  }
}

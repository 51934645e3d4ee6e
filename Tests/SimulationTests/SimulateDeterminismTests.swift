import Foundation
import Testing

@testable import Simulation

/// `sehc simulate` is a pure function of its settings: the same seed writes the same files.
@Suite struct SimulateDeterminismTests {
  static var settings: SimulationSettings {
    var s = SimulationSettings()
    s.nodes = 8
    s.shards = 2
    s.malicious = 0.25
    s.adversaries = [.wrongVotes, .crash]
    s.durationSeconds = 6
    s.settleSeconds = 3
    s.epochLength = 2
    s.rate = 40
    s.accounts = 32
    s.trials = 200
    return s
  }

  @Test func theSameSeedWritesTheSameFiles() throws {
    let first = try Report.files([SimulationRunner.run(Self.settings)])
    let second = try Report.files([SimulationRunner.run(Self.settings)])
    #expect(first.map(\.name) == second.map(\.name))
    for (a, b) in zip(first, second) { #expect(a.bytes == b.bytes, "\(a.name) differs") }
    let names = Set(first.map(\.name))
    #expect(
      names.isSuperset(of: ["results.json", "runs.csv", "reputation.csv", "security.csv", "reputation.png"]))
  }

  @Test func anotherSeedIsAnotherRun() throws {
    var other = Self.settings
    other.seed = 2
    let a = SimulationRunner.run(Self.settings)
    let b = SimulationRunner.run(other)
    #expect(a.counts.submitted > 0 && b.counts.submitted > 0)
    #expect(try Report.json([a]) != Report.json([b]))
  }

  @Test func aRunMeasuresWhatHappened() {
    let result = SimulationRunner.run(Self.settings)
    #expect(result.signatureScheme == "simulated")
    #expect(result.violations.isEmpty, "\(result.violations)")
    #expect(result.counts.decided > result.counts.submitted * 8 / 10, "\(result.counts)")
    #expect(result.counts.final > 0)
    #expect(result.commitLatency.p50 > 0 && result.commitLatency.p50 <= result.commitLatency.p99)
    #expect(result.finalLatency.p50 >= result.commitLatency.p50)
    #expect(result.throughput > 0)
    #expect(Set(result.reputation.map(\.group)) == ["honest", "wrong-votes", "crash"])
  }
}

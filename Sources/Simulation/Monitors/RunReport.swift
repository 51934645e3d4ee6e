import Consensus

/// The outcome of one simulated run.
public struct RunReport: Sendable {
  public let scenario: String
  public let seed: UInt64
  /// The catalogue length and the protocol mutations the run had (part of its replay command).
  public let length: ScenarioLength
  public let mutations: ProtocolMutations
  /// The signature scheme that ran ("simulated" or "ed25519").
  public let signatureScheme: String
  /// Safety violations (forks, bad certificates, state divergence, broken exactly-once accounting).
  public let violations: [String]
  /// Liveness and reputation failures (only checked when the scenario's assumptions held).
  public let failures: [String]
  /// Notes (e.g. why a check was skipped).
  public let notes: [String]
  public let stats: Stats
  /// Final reputation of every validator (ppm) with its behaviour, highest first.
  public let reputationTable: [String]

  public struct Stats: Sendable {
    public var events = 0
    public var submitted = 0
    public var decided = 0
    public var accepted = 0
    public var crossShard = 0
    public var aborted = 0
    public var tblocks = 0
    public var rblocks: UInt64 = 0
    public var epochs: UInt64 = 0
    /// Median and worst time from submission to the home shard's decision (shard-committed), ms.
    public var medianCommitMs: UInt64 = 0
    public var worstCommitMs: UInt64 = 0
  }

  public var passed: Bool { violations.isEmpty && failures.isEmpty }

  /// The command that replays this run.
  public var replayCommand: String {
    var command = "swift run -c release consensus-soak --scenario \(scenario) --seed \(seed)"
    if length != .standard { command += " --length \(length.rawValue)" }
    if mutations.skipEquivocationGuard { command += " --mutate skip-guard" }
    if mutations.skipAdoption { command += " --mutate skip-adoption" }
    return command
  }

  /// One line for logs.
  public var summary: String {
    let status = passed ? "ok" : "FAILED"
    return
      "\(status) \(scenario) seed \(seed) [\(signatureScheme)]: \(stats.decided)/\(stats.submitted) decided, "
      + "\(stats.tblocks) tblocks, \(stats.rblocks) rblocks, \(stats.epochs) epochs, \(stats.aborted) aborted, "
      + "commit p50 \(stats.medianCommitMs) ms max \(stats.worstCommitMs) ms"
  }
}

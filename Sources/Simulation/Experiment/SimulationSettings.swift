/// One `sehc simulate` run: the network, its validators and adversaries, the load, and the analysis.
/// Every field has a flag of the same meaning (docs/simulation.md); ``scenario()`` turns it into the
/// ``Scenario`` the ``Simulator`` runs.
public struct SimulationSettings: Sendable, Hashable, Codable {
  public var nodes = 64
  public var shards: UInt32 = 4
  /// The fraction of validators that misbehave (rounded down to whole validators).
  public var malicious = 0.0
  /// The kinds of misbehaviour, dealt round-robin to the malicious validators.
  public var adversaries: [AdversaryKind] = [.wrongVotes]
  public var seed: UInt64 = 1
  /// Simulated seconds during which the load is submitted and adversaries act.
  public var durationSeconds = 30.0
  /// Simulated seconds after that, so that late transactions can commit and finalize.
  public var settleSeconds = 5.0

  // Protocol parameters (genesis).
  public var epochLength: UInt32 = 5
  public var rblockIntervalMs: UInt64 = 1_000
  public var electionTimeoutMs: UInt64 = 600
  public var voteWindowMs: UInt64 = 100
  public var batchTimeoutMs: UInt64 = 20
  public var maxBlockEntries: UInt32 = 256

  // Network.
  public var latencyMinMs: UInt64 = 2
  public var latencyMaxMs: UInt64 = 30
  /// With this probability a message takes between `latencyMaxMs` and `tailLatencyMs`.
  public var tailProbability = 0.0
  public var tailLatencyMs: UInt64 = 0
  /// Bandwidth of every directed link, megabits per second (0: unlimited).
  public var bandwidthMbps = 0.0
  public var loss = 0.0
  public var partitions: [PartitionWindow] = []

  // Load.
  /// Transactions made per simulated second.
  public var rate = 200.0
  /// Their kinds.
  public var mix = WorkloadMix.healthcare
  /// Images are 1 MiB to this many MiB.
  public var imageMaxMiB: UInt64 = 16
  public var accounts = 256
  /// Real Ed25519 signatures instead of the cost model.
  public var realSignatures = false

  // Analysis.
  /// Monte-Carlo epochs per sharding rule.
  public var trials = 2_000

  public init() {}

  /// The number of malicious validators.
  public var maliciousCount: Int { Int((malicious * Double(nodes) + 1e-9).rounded(.down)) }

  /// A short label of the run ("n=64 k=4 f=0.20").
  public var label: String {
    "n=\(nodes) k=\(shards) f=\(Report.decimal(malicious, 2))"
  }
}

/// How a malicious validator misbehaves (``Behaviour`` for the Byzantine kinds).
public enum AdversaryKind: String, Sendable, Hashable, Codable, CaseIterable {
  /// Inverts the validity bits of its votes.
  case wrongVotes = "wrong-votes"
  /// As leader, sends two different proposals to two halves of its shard.
  case equivocate
  /// Drops the transactions and receipts it receives (as leader, it proposes nothing of them).
  case censor
  /// Crashes and restarts from what it persisted, again and again.
  case crash

  var behaviour: Behaviour {
    var behaviour = Behaviour()
    switch self {
    case .wrongVotes: behaviour.wrongVotes = true
    case .equivocate: behaviour.equivocate = true
    case .censor: behaviour.censor = .all
    case .crash: break
    }
    return behaviour
  }
}

/// A partition: from `startSeconds` to `endSeconds` the first `fraction` of the validators (by index)
/// cannot talk to the others.
public struct PartitionWindow: Sendable, Hashable, Codable {
  public var startSeconds: Double
  public var endSeconds: Double
  public var fraction: Double

  public init(startSeconds: Double, endSeconds: Double, fraction: Double) {
    self.startSeconds = startSeconds
    self.endSeconds = endSeconds
    self.fraction = fraction
  }
}

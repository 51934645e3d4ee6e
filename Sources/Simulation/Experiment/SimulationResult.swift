/// What one `sehc simulate` run measured. It holds no wall-clock time, so that the same settings
/// always give the same result, byte for byte once encoded.
public struct SimulationResult: Sendable, Hashable, Codable {
  public var settings: SimulationSettings
  /// "simulated" (the cost model of `SimulatedSignatureScheme`) or "ed25519".
  public var signatureScheme: String
  public var counts: Counts
  /// Transactions accepted by their home shard per simulated second of the active period.
  public var throughput: Double
  /// From first submission to the home shard's decision (shard-committed), milliseconds.
  public var commitLatency: Percentiles
  /// From first submission to the RBlock that covers the decision (final), milliseconds.
  public var finalLatency: Percentiles
  /// The same counts and latencies for each kind of transaction in the load, in ``LoadKind`` order.
  public var kinds: [KindResult]
  /// Reputation of every group of validators at every RBlock.
  public var reputation: [ReputationPoint]
  public var security: Security
  /// Safety violations the monitors saw (forks, bad certificates, broken exactly-once accounting).
  public var violations: [String]

  public struct Counts: Sendable, Hashable, Codable {
    public var submitted = 0
    public var decided = 0
    public var accepted = 0
    public var crossShard = 0
    public var final = 0
    public var tblocks = 0
    public var rblocks: UInt64 = 0
    public var epochs = 0
    public var events = 0
  }

  /// What happened to the transactions of one kind.
  public struct KindResult: Sendable, Hashable, Codable {
    public var kind: LoadKind
    public var submitted = 0
    public var accepted = 0
    public var crossShard = 0
    /// Cross-shard ones whose target shard refused them (then compensated at home).
    public var aborted = 0
    /// From making a record or image to its submission, once a majority of its patient's shard holds
    /// the content, milliseconds (empty for other kinds).
    public var uploadLatency: Percentiles
    public var commitLatency: Percentiles
  }

  public struct Percentiles: Sendable, Hashable, Codable {
    public var count: Int
    public var p50: Double
    public var p99: Double

    /// Nearest-rank percentiles of `values`.
    init(_ values: [UInt64]) {
      let sorted = values.sorted()
      count = sorted.count
      func rank(_ p: Double) -> Double {
        sorted.isEmpty ? 0 : Double(sorted[max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)])
      }
      p50 = rank(0.5)
      p99 = rank(0.99)
    }
  }

  /// The reputation (0 to 1) of one group at one RBlock.
  public struct ReputationPoint: Sendable, Hashable, Codable {
    public var timeSeconds: Double
    public var rblock: UInt64
    /// "honest" or an ``AdversaryKind`` name.
    public var group: String
    public var mean: Double
    public var min: Double
    public var max: Double
  }

  /// Per-epoch failure probability (some shard with a malicious majority) for both sharding rules.
  public struct Security: Sendable, Hashable, Codable {
    public var reputationBased: RuleRisk
    public var random: RuleRisk
    /// Epochs the run went through, and those in which some shard had a malicious majority.
    public var observedEpochs: Int
    public var observedFailedEpochs: Int
    /// For each observed epoch, the shards led (view 0) by a malicious validator.
    public var maliciousLeaders: [Int]
  }

  /// The calculator's numbers and the Monte-Carlo estimate for one rule, from the reputations at the
  /// end of the run.
  public struct RuleRisk: Sendable, Hashable, Codable {
    /// `1 − Π(1 − P_s)` (shards treated as independent).
    public var calculator: Double
    /// `Σ P_s`, an upper bound.
    public var unionBound: Double
    public var calculatorPerShard: Double
    public var monteCarlo: Double
    public var monteCarloStandardError: Double
    public var monteCarloPerShard: Double
    public var trials: Int
  }
}

import Consensus

/// The load of a simulated run: accounts in every shard, transactions between them at a steady rate in
/// the proportions of `mix` (the counterparty is random, so most cross shards when there are several),
/// some to closed accounts (whose shard refuses the target side, so the transaction is aborted and
/// compensated).
public struct Workload: Sendable, Hashable {
  /// Client accounts.
  public var accounts = 12
  /// How many of them refuse incoming transfers, records and grants.
  public var closedAccounts = 1
  /// Transactions made per simulated second.
  public var ratePerSecond: Double = 20
  /// The kinds of those transactions.
  public var mix = WorkloadMix.transfersOnly
  /// Images are 1 MiB to this many MiB.
  public var imageMaxMiB: UInt64 = 16
  /// Initial balance of every account.
  public var initialBalance: UInt64 = 1_000
  /// Largest amount of one transfer.
  public var maxAmount: UInt64 = 20
  /// A client re-submits a transaction not yet decided after this long (to another validator), and
  /// uploads content again that a majority does not hold after this long.
  public var resubmitAfterMs: UInt64 = 3_000

  public init() {}
}

/// How long the catalogue's runs are (``ScenarioCatalogue``).
public enum ScenarioLength: String, Sendable, Hashable, CaseIterable {
  /// 12 s of load and faults, then 15 s to settle.
  case standard
  /// Load, fault times and fault durations halved, 10 s to settle: for debug builds (`make test`).
  case short
}

/// One simulated run's configuration: the network, its faults, its adversaries, its load, and what is
/// asserted at the end.
public struct Scenario: Sendable, Hashable {
  public var name: String
  public var validators = 8
  public var shards: UInt32 = 2
  public var epochLength: UInt32 = 3
  public var rblockIntervalMs: UInt64 = 1_000
  public var electionTimeoutMs: UInt64 = 600
  public var voteWindowMs: UInt64 = 100
  public var batchTimeoutMs: UInt64 = 20
  public var maxBlockEntries: UInt32 = 64
  public var network = NetworkModel()
  public var partitions: [Partition] = []
  public var crashes: [Crash] = []
  /// Misbehaving validators by index.
  public var behaviours: [Int: Behaviour] = [:]
  public var workload = Workload()
  /// How long transactions are submitted and faults happen.
  public var activeMs: UInt64 = 15_000
  /// A quiet period after the last fault and the last submission, at whose end everything must be
  /// decided and final.
  public var settleMs: UInt64 = 15_000
  public var checkLiveness = true
  /// Assert that honest validators end above malicious ones and that malicious ones lead nothing.
  public var checkReputation = false
  /// Real Ed25519 signatures instead of the simulated scheme.
  public var realSignatures = false
  /// Deliberate protocol breakage of every validator (mutation tests of the checks).
  public var mutations = ProtocolMutations.none
  /// The catalogue length the scenario was drawn with (for the replay command).
  public var length = ScenarioLength.standard
  /// Every message goes through its protobuf encoding and back.
  public var roundTripEncoding: Bool {
    get { network.roundTripEncoding }
    set { network.roundTripEncoding = newValue }
  }

  public init(name: String) { self.name = name }

  /// When the last fault ends.
  public var lastFaultEndMs: UInt64 {
    max(partitions.map(\.endMs).max() ?? 0, crashes.map(\.endMs).max() ?? 0)
  }

  /// When the run ends.
  public var endMs: UInt64 { max(activeMs, lastFaultEndMs) + settleMs }

  /// Byzantine validators.
  public var byzantine: Set<Int> { Set(behaviours.filter { $0.value.isByzantine }.keys) }
}

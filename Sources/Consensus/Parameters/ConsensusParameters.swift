import Foundation
import Wire

/// Reputation weights of docs/protocol.md §6, in parts per million.
public struct ReputationWeights: Sendable, Hashable {
  /// Weight of a vote matching the decision (α).
  public var alpha: Int64
  /// Weight of a vote against the decision (β).
  public var beta: Int64
  /// Weight of a missing vote (γ).
  public var gamma: Int64
  /// Bonus per committed block proposed (δ).
  public var delta: Int64
  /// Penalty per leader timeout (ε).
  public var epsilon: Int64
  /// Memory of the moving average (λ).
  public var lambda: Int64
  /// Reputation of a new validator.
  public var initial: Int64

  /// The defaults: α = 1, β = 2, γ = 0.5, δ = 0.01, ε = 0.05, λ = 0.9, R₀ = 0.5.
  public static let defaults = ReputationWeights(
    alpha: 1_000_000, beta: 2_000_000, gamma: 500_000, delta: 10_000, epsilon: 50_000, lambda: 900_000,
    initial: 500_000)

  public init(alpha: Int64, beta: Int64, gamma: Int64, delta: Int64, epsilon: Int64, lambda: Int64, initial: Int64) {
    self.alpha = alpha
    self.beta = beta
    self.gamma = gamma
    self.delta = delta
    self.epsilon = epsilon
    self.lambda = lambda
    self.initial = initial
  }

  /// The weights of `params`, a zero field taking its default.
  public init(_ params: ReputationParams?) {
    let d = ReputationWeights.defaults
    func pick(_ value: UInt32?, _ fallback: Int64) -> Int64 { value.map { $0 == 0 ? fallback : Int64($0) } ?? fallback }
    self.init(
      alpha: pick(params?.alphaPPM, d.alpha), beta: pick(params?.betaPPM, d.beta), gamma: pick(params?.gammaPPM, d.gamma),
      delta: pick(params?.deltaPPM, d.delta), epsilon: pick(params?.epsilonPPM, d.epsilon),
      lambda: pick(params?.lambdaPPM, d.lambda), initial: pick(params?.initialPPM, d.initial))
  }
}

/// The consensus parameters of a network (docs/protocol.md §10), resolved from the genesis: a zero
/// field takes its default. Times are milliseconds.
public struct ConsensusParameters: Sendable, Hashable {
  /// The network's chain id.
  public var chainID: String
  /// Number of shards k.
  public var shardCount: UInt32
  /// RBlocks per epoch L.
  public var epochLength: UInt64
  /// Time between RBlocks.
  public var rblockIntervalMs: UInt64
  /// Most entries in one TBlock.
  public var maxBlockEntries: Int
  /// Most entry bytes in one TBlock.
  public var maxBlockBytes: Int
  /// Longest wait to fill a batch.
  public var batchTimeoutMs: UInt64
  /// The synchronous bound Δ: vote window and equivocation guard.
  public var voteWindowMs: UInt64
  /// TChain leader timeout.
  public var electionTimeoutMs: UInt64
  /// Most bytes of one serialized SignedTransaction.
  public var maxTransactionBytes: Int
  /// Tokens shared among validators by each RBlock.
  public var rewardPerRBlock: UInt64
  /// Reputation weights.
  public var reputation: ReputationWeights

  /// The parameters of `genesis`.
  public init(genesis: Genesis) {
    let p = genesis.params ?? ConsensusParams()
    func pick<T: BinaryInteger>(_ value: T, _ fallback: T) -> T { value == 0 ? fallback : value }
    chainID = genesis.chainID
    shardCount = pick(p.shardCount, 2)
    epochLength = UInt64(pick(p.epochLength, 10))
    rblockIntervalMs = pick(p.rblockIntervalMs, 2_000)
    maxBlockEntries = Int(pick(p.maxBlockEntries, 2_000))
    maxBlockBytes = Int(pick(p.maxBlockBytes, 8 << 20))
    batchTimeoutMs = pick(p.batchTimeoutMs, 50)
    voteWindowMs = pick(p.voteWindowMs, 100)
    electionTimeoutMs = pick(p.electionTimeoutMs, 1_500)
    maxTransactionBytes = Int(pick(p.maxTransactionBytes, 64 << 10))
    rewardPerRBlock = pick(p.rewardPerRblock, 1_000_000)
    reputation = ReputationWeights(p.reputation)
  }

  /// A leader sends a heartbeat when it sent nothing else to its shard for this long.
  public var heartbeatMs: UInt64 { max(1, electionTimeoutMs / 3) }

  /// A member that holds an entry this long (counted from when it arrived or the view began, whichever
  /// is later) without seeing it committed suspects its leader of censorship and changes view (§3.6).
  public var censorshipTimeoutMs: UInt64 { 2 * electionTimeoutMs }

  /// Members re-send entries still pending after this long to the leader; relays are retried at this
  /// period (§7).
  public var retryIntervalMs: UInt64 { 2 * electionTimeoutMs }

  /// How long the RChain waits in view `view` of a height before moving to the next view (§4.4):
  /// `rblock_interval + 8Δ` in view 0, `8Δ · (1 + min(view, 4))` after entering a later view.
  public func rchainViewTimeoutMs(view: UInt64) -> UInt64 {
    view == 0 ? rblockIntervalMs + 8 * voteWindowMs : 8 * voteWindowMs * (1 + min(view, 4))
  }

  /// The election timeout after `consecutiveViewChanges` view changes without a commit (§3.6).
  public func electionTimeoutMs(consecutiveViewChanges c: Int) -> UInt64 {
    electionTimeoutMs * UInt64(1 + min(c, 4))
  }

  /// The epoch of RBlock height `height` (≥ 1): `(height − 1) / L`.
  public func epoch(ofRBlock height: UInt64) -> UInt64 { (height - 1) / epochLength }

  /// Whether RBlock `height` ends its epoch.
  public func endsEpoch(rblock height: UInt64) -> Bool { height % epochLength == 0 }
}

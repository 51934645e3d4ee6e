import ChainCrypto
import Foundation

/// Monte-Carlo estimates of what ``SecurityCalculator`` computes: many epochs are drawn, each with
/// its own assignment seed and its own draw of which validators are malicious, and the epochs with a
/// malicious-majority shard are counted.
///
/// Reputation-based epochs run the real ``ShardAssigner`` (ranking, ties broken by the seed, tiers,
/// SHA-256-counter Fisher–Yates); random epochs split a uniform shuffle into the calculator's shard
/// sizes. A run is a pure function of its arguments.
public enum MonteCarloSharding {
  /// How the validators are cut into shards.
  public enum Rule: String, Sendable, Hashable, CaseIterable {
    /// Reputation-based sharding (docs/protocol.md §2.1).
    case reputation
    /// Each shard a uniformly random set of validators.
    case random
  }

  /// What the sampled epochs showed.
  public struct Estimate: Sendable, Hashable {
    /// Epochs drawn.
    public let trials: Int
    /// Epochs in which some shard had a malicious majority.
    public let failedEpochs: Int
    /// Shards (over all epochs) that had a malicious majority.
    public let failedShards: Int
    /// Shards per epoch.
    public let shards: Int

    /// The estimated probability that an epoch has a malicious-majority shard.
    public var epoch: Double { trials == 0 ? 0 : Double(failedEpochs) / Double(trials) }

    /// The standard error of ``epoch`` (binomial, from the estimate itself).
    public var epochStandardError: Double { (epoch * (1 - epoch) / Double(max(trials, 1))).squareRoot() }

    /// The estimated probability that one shard has a malicious majority (mean over shards).
    public var perShard: Double {
      trials == 0 || shards == 0 ? 0 : Double(failedShards) / Double(trials * shards)
    }
  }

  /// Draws `trials` epochs of `rule` over validators with reputations `reputationPPM` and
  /// probabilities `p` of being malicious (same indices), in `shards` shards, from `seed`.
  public static func estimate(
    reputationPPM: [UInt32], p: [Double], shards: Int, rule: Rule, trials: Int, seed: UInt64
  ) -> Estimate {
    precondition(reputationPPM.count == p.count && shards > 0 && trials >= 0)
    let n = p.count
    var random = SplitMix64(seed: seed)
    let addresses = (0..<n).map { syntheticAddress($0) }
    var indexOf: [Address: Int] = [:]
    for (index, address) in addresses.enumerated() { indexOf[address] = index }
    var reputation: [Address: UInt32] = [:]
    for (index, address) in addresses.enumerated() { reputation[address] = reputationPPM[index] }
    let sizes = SecurityCalculator.shardSizes(validators: n, shards: shards)
    var failedEpochs = 0
    var failedShards = 0
    var malicious = [Bool](repeating: false, count: n)
    var order = Array(0..<n)
    for trial in 0..<trials {
      for i in 0..<n { malicious[i] = p[i] >= 1 || (p[i] > 0 && random.unit() < p[i]) }
      let members: [[Int]]
      switch rule {
      case .reputation:
        let epochSeed = Bytes.sha256(
          Data("sehc/v1/monte-carlo".utf8), Bytes.u64be(seed), Bytes.u64be(UInt64(trial)))
        let assignment = ShardAssigner.assign(
          epoch: UInt64(trial), seed: epochSeed, validators: addresses, reputation: reputation,
          shardCount: UInt32(shards))
        members = assignment.shards.map { $0.map { indexOf[$0]! } }
      case .random:
        for j in stride(from: n - 1, through: 1, by: -1) { order.swapAt(j, Int(random.below(UInt64(j + 1)))) }
        var start = 0
        members = sizes.map { size in
          defer { start += size }
          return Array(order[start..<(start + size)])
        }
      }
      var failed = 0
      for shard in members where shard.filter({ malicious[$0] }).count >= Quorum.majority(shard.count) {
        failed += 1
      }
      failedShards += failed
      if failed > 0 { failedEpochs += 1 }
    }
    return Estimate(trials: trials, failedEpochs: failedEpochs, failedShards: failedShards, shards: shards)
  }

  /// Validators given in reputation order (highest first), as the calculator takes them: the
  /// reputations are made distinct and descending.
  public static func estimate(
    inReputationOrder p: [Double], shards: Int, rule: Rule, trials: Int, seed: UInt64
  ) -> Estimate {
    let reputation = (0..<p.count).map { UInt32(1_000_000 - min($0, 999_999)) }
    return estimate(reputationPPM: reputation, p: p, shards: shards, rule: rule, trials: trials, seed: seed)
  }

  static func syntheticAddress(_ index: Int) -> Address {
    try! Address(
      rawRepresentation: Bytes.sha256(Data("sehc/v1/monte-carlo/validator".utf8), Bytes.u64be(UInt64(index)))
        .prefix(20))
  }
}

/// SplitMix64: the draws of the Monte-Carlo runs (fast, seeded; not for anything secret).
struct SplitMix64 {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in `0..<bound` (bound > 0; the modulo bias is below 2⁻⁵⁰ for the bounds used here).
  mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }

  /// Uniform in [0, 1).
  mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

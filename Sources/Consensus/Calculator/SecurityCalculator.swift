/// The security calculator of docs/protocol.md §11: the probability that an epoch has a shard whose
/// majority is malicious, for reputation-based and for random sharding.
///
/// Validators are given in reputation order (highest first), each with its probability of being
/// malicious. Reputation-based sharding cuts that order into tiers of `k` and gives every shard one
/// validator of each full tier, uniformly among the tier's members, and one of the last, partial tier
/// with probability `t/k`. Random sharding gives each shard a uniformly random set of validators of the
/// same sizes.
public enum SecurityCalculator {
  /// The risk of one epoch.
  public struct EpochRisk: Sendable, Hashable {
    /// For each shard, P(its malicious members reach a majority of it).
    public let perShard: [Double]
    /// `1 − Π (1 − P_s)`: exact if the shards were independent (they share tiers, so this is an
    /// approximation).
    public let epoch: Double
    /// `Σ P_s`: an upper bound on the epoch probability.
    public let unionBound: Double

    init(perShard: [Double]) {
      self.perShard = perShard
      epoch = 1 - perShard.reduce(1) { $0 * (1 - $1) }
      unionBound = perShard.reduce(0, +)
    }
  }

  /// The per-validator probabilities of the malicious-fraction model: the `⌊f·n⌋` lowest-reputation
  /// validators of `n` are malicious (probability 1), the others honest.
  public static func maliciousFraction(validators n: Int, fraction f: Double) -> [Double] {
    let malicious = Int((f * Double(n)).rounded(.down))
    return (0..<n).map { $0 >= n - malicious ? 1 : 0 }
  }

  /// The shard sizes random sharding is compared at: `n mod k` shards of `⌊n/k⌋ + 1` validators, the
  /// others of `⌊n/k⌋` (reputation-based sharding yields these sizes, in some order, every epoch).
  public static func shardSizes(validators n: Int, shards k: Int) -> [Int] {
    (0..<k).map { n / k + ($0 < n % k ? 1 : 0) }
  }

  /// Reputation-based sharding (O(k·m²)).
  public static func reputationBased(_ p: [Double], shards k: Int) -> EpochRisk {
    let n = p.count
    let fullTiers = n / k
    let partial = n % k
    var q: [Double] = []
    for tier in 0..<fullTiers { q.append(mean(p[(tier * k)..<((tier + 1) * k)])) }
    // Every shard sees the same distribution.
    var perShard = tailWithMajority(q)
    if partial > 0 {
      let last = mean(p[(fullTiers * k)...])
      let share = Double(partial) / Double(k)
      perShard = share * tailWithMajority(q + [last]) + (1 - share) * perShard
    }
    return EpochRisk(perShard: [Double](repeating: perShard, count: k))
  }

  /// Random sharding with the same shard sizes (exact for independent per-validator probabilities:
  /// O(n·m²) per shard size).
  public static func random(_ p: [Double], shards k: Int) -> EpochRisk {
    let sizes = shardSizes(validators: p.count, shards: k)
    var cache: [Int: Double] = [:]
    return EpochRisk(
      perShard: sizes.map { size in
        if let known = cache[size] { return known }
        let value = randomSubsetTail(p, size: size, atLeast: Quorum.majority(size))
        cache[size] = value
        return value
      })
  }

  /// P(a uniformly random `size`-subset of validators with probabilities `p` has at least `threshold`
  /// malicious members): a DP over validators of (chosen, malicious) counts, weighted by the number of
  /// ways, normalised by C(n, size).
  static func randomSubsetTail(_ p: [Double], size: Int, atLeast threshold: Int) -> Double {
    guard size > 0, size <= p.count else { return 0 }
    // w[j][c]: sum over ways of choosing j of the validators seen so far, of P(c malicious among them).
    var w = [[Double]](repeating: [Double](repeating: 0, count: size + 1), count: size + 1)
    w[0][0] = 1
    for probability in p {
      for j in stride(from: size, through: 1, by: -1) {
        for c in stride(from: j, through: 0, by: -1) {
          var value = w[j - 1][c] * (1 - probability)
          if c > 0 { value += w[j - 1][c - 1] * probability }
          w[j][c] += value
        }
      }
    }
    let ways = w[size].reduce(0, +)
    return ways == 0 ? 0 : w[size][threshold...].reduce(0, +) / ways
  }

  /// P(malicious majority) of a shard with one member per tier of malicious probability `q`.
  static func tailWithMajority(_ q: [Double]) -> Double {
    PoissonBinomial.tail(q, atLeast: Quorum.majority(q.count))
  }

  static func mean(_ values: ArraySlice<Double>) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
  }
}

import ChainCrypto
import Foundation
import Wire

/// The reputation update of docs/protocol.md §6.1, in integers: every node reaches the same bits.
public enum ReputationRules {
  /// One million: reputation 1.
  public static let one: Int64 = 1_000_000

  /// The reputation after an RBlock of a validator with reputation `previous` (ppm) and counts `counts`
  /// over the covered blocks of its shard. Equivocation is applied by the caller (it sets 0).
  public static func updated(previous: UInt32, counts: ReputationCounts, weights w: ReputationWeights) -> UInt32 {
    let entries = counts.entries
    if entries == 0 && counts.proposed == 0 && counts.timeouts == 0 { return previous }
    let s =
      w.alpha * Int64(counts.agree) - w.beta * Int64(counts.against) - w.gamma * Int64(counts.missing)
      + w.delta * Int64(counts.proposed) - w.epsilon * Int64(counts.timeouts)
    let x = s / Int64(max(entries, 1))
    let y = clamp((x + w.beta) * one / (w.alpha + w.beta))
    let r = clamp((w.lambda * Int64(previous) + (one - w.lambda) * y) / one)
    return UInt32(r)
  }

  static func clamp(_ value: Int64) -> Int64 { min(max(value, 0), one) }

  /// The `ReputationUpdate` of `validator`: counts, previous and new reputation, and equivocation.
  public static func update(
    validator: Address, previous: UInt32, counts: ReputationCounts, equivocated: Bool, weights: ReputationWeights
  ) -> ReputationUpdate {
    let next = equivocated ? 0 : updated(previous: previous, counts: counts, weights: weights)
    return counts.update(validator: validator, previous: previous, reputation: next, equivocated: equivocated)
  }
}

/// The rewards of one RBlock (docs/protocol.md §6.2).
public enum RewardRules {
  /// `total` tokens shared in proportion to the new reputations: validator i receives
  /// `total · R_i / ΣR` (128-bit intermediate, truncating); the remainder goes to the validator ranked
  /// first by ``ShardAssigner/rank(_:reputation:seed:)`` with `seed` (the RBlock's epoch seed). Zero
  /// amounts are omitted; the list is sorted by account.
  public static func rewards(total: UInt64, reputation: [Address: UInt32], seed: Data) -> [Reward] {
    let sum = reputation.values.reduce(UInt64(0)) { $0 + UInt64($1) }
    guard sum > 0, total > 0 else { return [] }
    var amounts: [Address: UInt64] = [:]
    var paid: UInt64 = 0
    for (address, r) in reputation where r > 0 {
      let product = total.multipliedFullWidth(by: UInt64(r))
      let amount = sum.dividingFullWidth(product).quotient
      amounts[address] = amount
      paid += amount
    }
    let first = ShardAssigner.rank(Array(reputation.keys), reputation: reputation, seed: seed)[0]
    amounts[first, default: 0] += total - paid
    return amounts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map {
      Reward(account: $0.key.rawRepresentation, amount: $0.value)
    }
  }
}

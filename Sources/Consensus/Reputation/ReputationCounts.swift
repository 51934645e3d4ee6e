import ChainCrypto
import Foundation
import Wire

/// What one validator did over some covered TBlocks of its shard (docs/protocol.md §6.1).
public struct ReputationCounts: Sendable, Hashable, Codable {
  /// Entries where its vote bit equals the decision.
  public var agree: UInt64 = 0
  /// Entries where its vote bit differs from the decision.
  public var against: UInt64 = 0
  /// Entries of blocks whose certificate has no vote of it.
  public var missing: UInt64 = 0
  /// Covered blocks it proposed.
  public var proposed: UInt64 = 0
  /// Leader timeouts recorded against it (§3.8).
  public var timeouts: UInt64 = 0

  public init(agree: UInt64 = 0, against: UInt64 = 0, missing: UInt64 = 0, proposed: UInt64 = 0, timeouts: UInt64 = 0) {
    self.agree = agree
    self.against = against
    self.missing = missing
    self.proposed = proposed
    self.timeouts = timeouts
  }

  /// The entries of the covered blocks: each one the validator either voted on or missed.
  public var entries: UInt64 { agree + against + missing }

  /// Sums two counts.
  public static func + (a: ReputationCounts, b: ReputationCounts) -> ReputationCounts {
    ReputationCounts(
      agree: a.agree + b.agree, against: a.against + b.against, missing: a.missing + b.missing,
      proposed: a.proposed + b.proposed, timeouts: a.timeouts + b.timeouts)
  }

  /// The counts carried by a `ReputationUpdate`.
  public init(_ update: ReputationUpdate) {
    self.init(
      agree: update.votesMatching, against: update.votesAgainst, missing: update.votesMissing,
      proposed: update.blocksProposed, timeouts: update.leaderTimeouts)
  }

  /// A `ReputationUpdate` for `validator` with these counts and the given reputations.
  public func update(
    validator: Address, previous: UInt32 = 0, reputation: UInt32 = 0, equivocated: Bool = false
  ) -> ReputationUpdate {
    ReputationUpdate(
      validator: validator.rawRepresentation, previousPPM: previous, reputationPPM: reputation, votesMatching: agree,
      votesAgainst: against, votesMissing: missing, blocksProposed: proposed, leaderTimeouts: timeouts,
      equivocated: equivocated)
  }
}

/// Counting the votes of one committed block for reputation.
public enum BlockVoteCounting {
  /// For each member of the block's shard (in its epoch), what the block's certificate says about it:
  /// agreeing and disagreeing vote bits for voters, every entry missing for the others, one proposed
  /// block for the proposer. Leader timeouts are counted separately (``LeaderTimeouts``).
  public static func counts(
    members: [Address], proposer: Address?, entryCount: Int, decision: [Bool], voteBits: [Address: [Bool]]
  ) -> [Address: ReputationCounts] {
    var counts: [Address: ReputationCounts] = [:]
    for member in members {
      var c = ReputationCounts()
      if let bits = voteBits[member] {
        for index in 0..<entryCount {
          if bits[index] == decision[index] { c.agree += 1 } else { c.against += 1 }
        }
      } else {
        c.missing = UInt64(entryCount)
      }
      if member == proposer { c.proposed = 1 }
      counts[member] = c
    }
    return counts
  }
}

/// Leader timeouts (docs/protocol.md §3.8): between consecutive committed blocks of a shard in one epoch
/// with header views `v_a < v_b`, the leaders of views `v_a … v_b − 1` each record one; before the
/// first block of an epoch, the leaders of views `0 … v_b − 1`.
public enum LeaderTimeouts {
  /// The leaders that timed out before a block of header view `view` in `epoch`, given the previous
  /// committed block's epoch and header view (nil at the start of the chain) and the epoch's leader order.
  public static func leaders(
    previous: (epoch: UInt64, view: UInt64)?, epoch: UInt64, view: UInt64, order: [Address]
  ) -> [Address] {
    guard !order.isEmpty else { return [] }
    let first: UInt64 = if let previous, previous.epoch == epoch { previous.view } else { 0 }
    guard view > first else { return [] }
    // A shard's views are bounded by its election timeouts; cap the loop defensively.
    let upper = min(view, first + 100_000)
    return (first..<upper).map { order[Int($0 % UInt64(order.count))] }
  }
}

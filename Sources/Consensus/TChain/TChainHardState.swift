import Foundation
import Wire

/// What a TChain replica persists (docs/protocol.md §3.1, §8), replaced as a whole under one key before
/// any message that depends on it is sent: its view, the votes it cast and the decisions it accepted or
/// issued above its committed height, and the proposals it made.
struct TChainHardState: Codable, Sendable, Hashable {
  /// A vote cast: the proposal voted for and the signed vote.
  struct VoteSlot: Codable, Sendable, Hashable {
    var view: UInt64
    var height: UInt64
    var blockHash: Data
    var proposal: Data
    var vote: Data
  }

  /// A decision (a serialized Commit, with its proposal) accepted or issued in `view`.
  struct DecisionSlot: Codable, Sendable, Hashable {
    var view: UInt64
    var height: UInt64
    var blockHash: Data
    var commit: Data
  }

  /// A proposal made as leader.
  struct ProposalSlot: Codable, Sendable, Hashable {
    var view: UInt64
    var height: UInt64
    var proposal: Data
  }

  var epoch: UInt64
  var shard: UInt32
  var view: UInt64 = 0
  var votes: [VoteSlot] = []
  var accepted: DecisionSlot?
  var issued: [DecisionSlot] = []
  var proposed: [ProposalSlot] = []
  /// Commit proofs (serialized CommitCertificates of acks) of the committed head and above it.
  var proofs: [ProofSlot] = []

  /// A commit proof for the block at `height`.
  struct ProofSlot: Codable, Sendable, Hashable {
    var height: UInt64
    var blockHash: Data
    var proof: Data
  }

  /// Drops everything at or below `height` (committed).
  mutating func prune(committed height: UInt64) {
    votes.removeAll { $0.height <= height }
    if let accepted, accepted.height <= height { self.accepted = nil }
    issued.removeAll { $0.height <= height }
    proposed.removeAll { $0.height <= height }
    proofs.removeAll { $0.height < height }
  }

  static let recordKey = "tchain"
}

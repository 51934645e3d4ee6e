import ChainCrypto
import Foundation
import Wire

/// The statements a shard's leaders signed, by (view, height): proposal headers and decision
/// endorsements. Two statements of one leader at one (view, height) about different blocks, or two
/// different decisions, prove that the leader equivocated; a member never votes for or accepts anything
/// in a slot where it has seen that (the equivocation guard, docs/protocol.md §3.5).
struct StatementLog: Sendable {
  struct Slot: Hashable, Sendable {
    let view: UInt64
    let height: UInt64
  }

  enum Kind: Sendable { case header, decision }

  struct Statement: Sendable {
    let kind: Kind
    /// The signed bytes (TBlockHeader or VoteBody).
    let signed: Data
    let signature: Signature
    let blockHash: Data
    /// The decision bitmap (decisions only).
    let decision: Data
  }

  private var slots: [Slot: [Statement]] = [:]
  private var conflicted: Set<Slot> = []

  /// Whether two different statements were seen at `slot`.
  func isConflicted(_ slot: Slot) -> Bool { conflicted.contains(slot) }

  /// Records a statement whose signature by the slot's leader was checked; returns evidence when it
  /// conflicts with a statement already seen (and nil when it repeats one or is the first).
  mutating func add(_ statement: Statement, at slot: Slot) -> EquivocationEvidence? {
    var list = slots[slot, default: []]
    var evidence: EquivocationEvidence?
    for other in list {
      let differs =
        other.blockHash != statement.blockHash
        || (other.kind == .decision && statement.kind == .decision && other.decision != statement.decision)
      guard differs else { continue }
      conflicted.insert(slot)
      if evidence == nil, other.kind == statement.kind {
        evidence = EquivocationEvidence(
          kind: statement.kind == .header ? .tblockProposal : .decision, first: other.signed,
          firstSignature: other.signature, second: statement.signed, secondSignature: statement.signature)
      }
    }
    if !list.contains(where: { $0.signed == statement.signed }) {
      list.append(statement)
      slots[slot] = list
    }
    return evidence
  }

  /// Forgets slots at or below `height`.
  mutating func prune(upTo height: UInt64) {
    slots = slots.filter { $0.key.height > height }
    conflicted = conflicted.filter { $0.height > height }
  }
}

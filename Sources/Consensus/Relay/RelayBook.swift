import ChainCrypto
import Foundation
import Wire

/// Cross-shard relay bookkeeping (docs/protocol.md §7): the receipts this validator's shard emitted and
/// must see decided by their target shard (retried until enough target members acknowledge them), and
/// the receipts its own shard has decided.
struct RelayBook: Sendable {
  struct Outbound: Sendable {
    let key: Data
    let receipt: Receipt
    /// When this validator learned the receipt (its block applied here, or restart).
    let addedAt: UInt64
    var lastSent: UInt64
    var acks: Set<Address> = []
    /// The acknowledging members that report the receipt applied.
    var appliedAcks: Set<Address> = []
  }

  /// What the target shard decided about a receipt, as far as this validator knows.
  struct Decision: Sendable, Hashable {
    let height: UInt64
    let applied: Bool
  }

  private(set) var outbound: [Data: Outbound] = [:]
  /// Receipts decided by committed blocks of this validator's shard, by pool key.
  private(set) var decided: [Data: Decision] = [:]

  /// The relay key of a receipt: its pool key and target shard.
  static func key(_ receipt: Receipt) -> Data {
    EntryPool.key(receipt: receipt) + Bytes.u32be(receipt.targetShard)
  }

  static func key(txID: Data, kind: ReceiptKind, targetShard: UInt32) -> Data {
    Data([2, UInt8(truncatingIfNeeded: kind.rawValue)]) + txID + Bytes.u32be(targetShard)
  }

  static func recordKey(_ key: Data) -> String { "relay/" + Bytes.hex(key) }

  /// Adds a receipt to deliver; returns the record to persist (nil when already known).
  mutating func add(_ receipt: Receipt, now: UInt64) -> PersistRecord? {
    let key = RelayBook.key(receipt)
    guard outbound[key] == nil else { return nil }
    outbound[key] = Outbound(key: key, receipt: receipt, addedAt: now, lastSent: now)
    return PersistRecord(key: RelayBook.recordKey(key), value: try! receipt.serializedData())
  }

  /// Restores a persisted receipt.
  mutating func restore(_ receipt: Receipt) {
    let key = RelayBook.key(receipt)
    outbound[key] = Outbound(key: key, receipt: receipt, addedAt: 0, lastSent: 0)
  }

  /// Counts an acknowledgement by a member of the target shard. The receipt is delivered, and its record
  /// deleted, once `threshold` members agree on the outcome (applied, or rejected); `applied` tells which.
  mutating func acknowledge(_ key: Data, by member: Address, applied: Bool, threshold: Int)
    -> (record: PersistRecord?, applied: Bool)
  {
    guard var entry = outbound[key] else { return (nil, false) }
    entry.acks.insert(member)
    if applied { entry.appliedAcks.insert(member) } else { entry.appliedAcks.remove(member) }
    let appliedCount = entry.appliedAcks.count
    if appliedCount >= threshold || entry.acks.count - appliedCount >= threshold {
      outbound[key] = nil
      return (PersistRecord(key: RelayBook.recordKey(key), value: nil), appliedCount >= threshold)
    }
    outbound[key] = entry
    return (nil, false)
  }

  /// Receipts not sent for `interval`, marked sent at `now`, with how long each has been waiting.
  mutating func due(now: UInt64, interval: UInt64) -> [(receipt: Receipt, waiting: UInt64)] {
    var due: [(receipt: Receipt, waiting: UInt64)] = []
    for (key, var entry) in outbound where now >= entry.lastSent + interval {
      entry.lastSent = now
      outbound[key] = entry
      due.append((entry.receipt, now &- min(entry.addedAt, now)))
    }
    return due.sorted { RelayBook.key($0.receipt).lexicographicallyPrecedes(RelayBook.key($1.receipt)) }
  }

  mutating func markSent(_ key: Data, now: UInt64) { outbound[key]?.lastSent = now }

  mutating func markDecided(_ key: Data, height: UInt64, applied: Bool) {
    decided[key] = Decision(height: height, applied: applied)
  }

  func decision(_ key: Data) -> Decision? { decided[key] }

  /// Forgets what this validator's old shard decided (it moved).
  mutating func forgetDecided() { decided = [:] }
}

/// Building a receipt with its proof from a committed block (docs/protocol.md §7).
public enum ReceiptBuilder {
  /// The receipt for entry `emitted.entryIndex` of `block` (shard `shard`).
  public static func make(block: TBlock, shard: UInt32, emitted: EmittedReceipt) -> Receipt? {
    guard block.entries.indices.contains(emitted.entryIndex),
      let proof = try? MerkleTree(leaves: block.entries).inclusionProof(forLeafAt: emitted.entryIndex)
    else { return nil }
    return Receipt(
      kind: emitted.kind, txID: emitted.txID, sourceShard: shard, targetShard: emitted.targetShard,
      sourceHeader: block.header, sourceEntry: block.entries[emitted.entryIndex],
      inclusion: MerkleProof(
        leafIndex: UInt64(proof.leafIndex), treeSize: UInt64(proof.treeSize),
        path: proof.auditPath.map(\.data)),
      certificate: block.certificate)
  }
}

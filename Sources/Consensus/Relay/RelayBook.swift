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
    var lastSent: UInt64
    var acks: Set<Address> = []
  }

  private(set) var outbound: [Data: Outbound] = [:]
  /// Keys of receipts decided by committed blocks of this validator's shard.
  private(set) var decided: Set<Data> = []

  /// The relay key of a receipt: its pool key and target shard.
  static func key(_ receipt: Receipt) -> Data { EntryPool.key(receipt: receipt) + Bytes.u32be(receipt.targetShard) }

  static func key(txID: Data, kind: ReceiptKind, targetShard: UInt32) -> Data {
    Data([2, UInt8(truncatingIfNeeded: kind.rawValue)]) + txID + Bytes.u32be(targetShard)
  }

  static func recordKey(_ key: Data) -> String { "relay/" + Bytes.hex(key) }

  /// Adds a receipt to deliver; returns the record to persist (nil when already known).
  mutating func add(_ receipt: Receipt, now: UInt64) -> PersistRecord? {
    let key = RelayBook.key(receipt)
    guard outbound[key] == nil else { return nil }
    outbound[key] = Outbound(key: key, receipt: receipt, lastSent: now)
    return PersistRecord(key: RelayBook.recordKey(key), value: try! receipt.serializedData())
  }

  /// Restores a persisted receipt.
  mutating func restore(_ receipt: Receipt) {
    let key = RelayBook.key(receipt)
    outbound[key] = Outbound(key: key, receipt: receipt, lastSent: 0)
  }

  /// Counts an acknowledgement by a member of the target shard; once `threshold` members acknowledged,
  /// the receipt is delivered and its record deleted.
  mutating func acknowledge(_ key: Data, by member: Address, threshold: Int) -> PersistRecord? {
    guard var entry = outbound[key] else { return nil }
    entry.acks.insert(member)
    if entry.acks.count >= threshold {
      outbound[key] = nil
      return PersistRecord(key: RelayBook.recordKey(key), value: nil)
    }
    outbound[key] = entry
    return nil
  }

  /// Receipts not sent for `interval`, marked sent at `now`.
  mutating func due(now: UInt64, interval: UInt64) -> [Receipt] {
    var due: [Receipt] = []
    for (key, var entry) in outbound where now >= entry.lastSent + interval {
      entry.lastSent = now
      outbound[key] = entry
      due.append(entry.receipt)
    }
    return due.sorted { RelayBook.key($0).lexicographicallyPrecedes(RelayBook.key($1)) }
  }

  mutating func markSent(_ key: Data, now: UInt64) { outbound[key]?.lastSent = now }

  mutating func markDecided(_ key: Data) { decided.insert(key) }

  func isDecided(_ key: Data) -> Bool { decided.contains(key) }

  /// Forgets what this validator's old shard decided (it moved).
  mutating func forgetDecided() { decided = [] }
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
        leafIndex: UInt64(proof.leafIndex), treeSize: UInt64(proof.treeSize), path: proof.auditPath.map(\.data)),
      certificate: block.certificate)
  }
}

import ChainCrypto
import Foundation
import Wire

/// One entry of a block, decoded and pre-checked by consensus: the ledger judges only entries whose
/// form (and, for receipts, proof) checked out.
public struct CheckedEntry: Sendable, Hashable {
  /// The serialized `TBlockEntry`.
  public let bytes: Data
  /// The decoded entry, nil when it does not decode.
  public let entry: TBlockEntry?
  /// Why consensus already found the entry invalid (malformed, wrong shard, bad receipt proof); nil when
  /// the ledger must judge it.
  public let invalidReason: String?
  /// For a receipt whose proof checked out: what the proof established.
  public let receiptProof: VerifiedReceiptProof?
}

/// Asks the driver to validate a proposed block's entries, in order, against the state after its parent
/// (speculatively: entry i against the state with the earlier entries it found valid applied).
public struct ValidationRequest: Sendable, Hashable {
  /// Echoed in the result.
  public let id: UInt64
  /// The shard.
  public let shard: UInt32
  /// The proposed header.
  public let header: TBlockHeader
  /// The block hash.
  public let blockHash: Data
  /// The entries, pre-checked.
  public let entries: [CheckedEntry]
}

/// The driver's answer to a ``ValidationRequest``: one bit per entry (entries consensus marked invalid
/// must be false).
public struct ValidationResult: Sendable, Hashable {
  public let id: UInt64
  public let valid: [Bool]

  public init(id: UInt64, valid: [Bool]) {
    self.id = id
    self.valid = valid
  }
}

/// A committed TBlock the driver must apply (in height order): the accepted entries in order, after
/// crediting the rewards of the RBlocks up to `header.rblock_height` not yet credited.
public struct ApplyRequest: Sendable, Hashable {
  /// The shard.
  public let shard: UInt32
  /// The committed block, with its decision and certificate.
  public let block: TBlock
  /// Its header.
  public let header: TBlockHeader
  /// SHA-256 of the header bytes.
  public let blockHash: Data
  /// The decision: entry i is applied iff `accepted[i]`.
  public let accepted: [Bool]
  /// Entries more than half of the members voted invalid (a subset of the rejected ones). A receipt
  /// entry is decided when accepted or rejected by a majority; one rejected only for missing votes stays
  /// pending (docs/protocol.md §7).
  public let rejectedByMajority: [Bool]
  /// The entries, pre-checked (a rejected receipt whose proof checked out makes the ledger record the
  /// abort, docs/protocol.md §7).
  public let entries: [CheckedEntry]
}

/// A receipt the ledger emitted while applying a block: its entry, kind, transaction and target shard.
public struct EmittedReceipt: Sendable, Hashable, Codable {
  /// The index of the entry in the applied block (the transaction for APPLY, the rejected receipt for
  /// ABORT).
  public let entryIndex: Int
  /// APPLY or ABORT (raw value of `ReceiptKind`).
  public let kindRawValue: Int32
  /// The transaction id.
  public let txID: Data
  /// The shard that must act on it.
  public let targetShard: UInt32

  public init(entryIndex: Int, kind: ReceiptKind, txID: Data, targetShard: UInt32) {
    self.entryIndex = entryIndex
    self.kindRawValue = kind.rawValue
    self.txID = txID
    self.targetShard = targetShard
  }

  /// The kind.
  public var kind: ReceiptKind { ReceiptKind(rawValue: kindRawValue) }
}

/// The driver's report that it applied a committed block.
public struct ApplyResult: Sendable, Hashable, Codable {
  /// The shard.
  public let shard: UInt32
  /// The height applied.
  public let height: UInt64
  /// The block's hash.
  public let blockHash: Data
  /// The shard's state root after the block.
  public let stateRoot: Data
  /// The receipts to emit, in emission order.
  public let emitted: [EmittedReceipt]
  /// How many receipts from other shards this block decided for the first time (applied or aborted).
  public let receiptsDecided: UInt64

  public init(
    shard: UInt32, height: UInt64, blockHash: Data, stateRoot: Data, emitted: [EmittedReceipt],
    receiptsDecided: UInt64
  ) {
    self.shard = shard
    self.height = height
    self.blockHash = blockHash
    self.stateRoot = stateRoot
    self.emitted = emitted
    self.receiptsDecided = receiptsDecided
  }
}

/// A committed block with its application result (for restarts).
public struct AppliedBlock: Sendable, Hashable {
  public let block: TBlock
  public let result: ApplyResult

  public init(block: TBlock, result: ApplyResult) {
    self.block = block
    self.result = result
  }
}

/// What the ledger holds for a shard: its committed head.
public struct LedgerHead: Sendable, Hashable {
  /// The shard whose state the ledger holds.
  public let shard: UInt32
  /// The committed block at the head; nil at height 0.
  public let block: TBlock?
  /// The state root after it (the genesis state root at height 0).
  public let stateRoot: Data

  public init(shard: UInt32, block: TBlock?, stateRoot: Data) {
    self.shard = shard
    self.block = block
    self.stateRoot = stateRoot
  }
}

/// Something the driver must fetch from peers and feed back.
public enum SyncRequest: Sendable, Hashable {
  /// Committed TBlocks `from...to` of `shard` (`Peer.GetTBlocks`), fed back as `Input.tblocksSynced`.
  case tblocks(shard: UInt32, from: UInt64, to: UInt64, peers: [Address])
  /// Committed RBlocks `from...to` (`Peer.GetRBlocks`), fed back as `Input.rblocksSynced`.
  case rblocks(from: UInt64, to: UInt64, peers: [Address])
  /// The state of `shard` after `height` (`Peer.GetStateSnapshot`), which must have `stateRoot`, and the
  /// block at `height` (hash `blockHash`); the driver installs it in the ledger and answers
  /// `Input.stateInstalled`.
  case state(shard: UInt32, height: UInt64, blockHash: Data, stateRoot: Data, peers: [Address])
}

/// An event for clients, metrics and tests.
public enum Notification: Sendable, Hashable {
  /// A TBlock is shard-committed here.
  case tblockCommitted(shard: UInt32, height: UInt64, hash: Data)
  /// The TBlocks of `shard` up to `height` are final (covered by a committed RBlock).
  case tblocksFinal(shard: UInt32, upTo: UInt64)
  /// An RBlock is committed here.
  case rblockCommitted(height: UInt64, hash: Data)
  /// The TChain of `shard` moved to `view`.
  case viewChanged(shard: UInt32, epoch: UInt64, view: UInt64)
  /// The RChain moved to `view` at `height`.
  case rchainViewChanged(height: UInt64, view: UInt64)
  /// This validator found or learned proof of equivocation.
  case evidence(offender: Address, kind: EvidenceKind)
  /// This validator now serves `shard` in `epoch`.
  case epochStarted(epoch: UInt64, shard: UInt32)
  /// This validator's shard committed the empty block that closes `epoch` at `height` (§5).
  case epochClosed(epoch: UInt64, shard: UInt32, height: UInt64)
  /// A message or result was ignored, and why (only with diagnostics on).
  case ignored(String)
}

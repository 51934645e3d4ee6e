import ChainCrypto
import Foundation
import Wire

/// A receipt a block emits: the committed block plus these fields make the `Receipt`
/// (`Receipts.make(block:emitted:)`).
public struct EmittedReceipt: Sendable, Hashable {
  /// APPLY (home -> target) or ABORT (target -> home).
  public var kind: ReceiptKind
  /// The cross-shard transaction.
  public var txID: Data
  /// The shard that must act on it.
  public var targetShard: UInt32
  /// The entry of this block that the receipt proves: the transaction (APPLY) or the rejected APPLY
  /// receipt (ABORT).
  public var entryIndex: Int

  /// The receipt id, the leaf of ShardCoverage.receipts_root.
  public var receiptID: SHA256Digest {
    BlockHashes.receiptID(kind: kind, txID: txID, targetShard: targetShard)
  }
}

/// What a block did to records' blobs, for the blob store (reference counts, crypto-shredding).
public enum BlobEvent: Sendable, Hashable {
  /// A record referencing blob `blobID` (its manifest's Merkle root) was created in this shard.
  case recordCreated(recordID: Data, blobID: Data)
  /// A record was erased: its reference to the blob is released.
  case recordErased(recordID: Data, blobID: Data)
}

/// The other side of a cross-shard transaction was decided by this block: the target applied or
/// rejected it (in the target shard), or the home compensated (in the home shard).
public struct CrossShardUpdate: Sendable, Hashable {
  /// Applied by the target, or aborted.
  public enum State: Sendable, Hashable {
    case applied
    case aborted
  }

  public var txID: Data
  public var state: State
  /// The target shard's block that applied or rejected the other side (its hash may be unknown to the
  /// home shard, which learns the outcome from acknowledgements: then empty).
  public var decidedIn: BlockRef

  public init(txID: Data, state: State, decidedIn: BlockRef) {
    self.txID = txID
    self.state = state
    self.decidedIn = decidedIn
  }
}

/// A member's judgement of one entry of a proposal: valid, or why not.
public struct EntryVerdict: Sendable, Hashable {
  /// Whether the entry is valid (its vote bit).
  public var isValid: Bool { rejection == nil }
  /// Why the entry is invalid.
  public var rejection: Rejection?
  /// A receipt that this shard already decided: valid, and without effect.
  public var isDuplicate: Bool

  public init(rejection: Rejection? = nil, isDuplicate: Bool = false) {
    self.rejection = rejection
    self.isDuplicate = isDuplicate
  }
}

/// What an entry is.
public enum EntryType: Sendable, Hashable {
  /// A transaction of this shard.
  case transaction(TransactionKind)
  /// An APPLY receipt of a transaction of another shard (its kind once the proof checked out).
  case applyReceipt(TransactionKind?)
  /// An ABORT receipt of a transaction of this shard (its kind once the proof checked out).
  case abortReceipt(TransactionKind?)
  /// An entry that does not decode.
  case malformed
}

/// The result of one entry of an applied block.
public struct EntryResult: Sendable, Hashable {
  /// How the entry ended.
  public enum Status: Sendable, Hashable {
    /// Its effects are in the state.
    case applied
    /// A receipt this shard had already decided: accepted, no effect.
    case duplicate
    /// No effect (beyond an aborted receipt's mark): why.
    case rejected(Rejection)
  }

  /// Where a cross-shard transaction stands after this entry.
  public enum CrossShard: Sendable, Hashable {
    /// Not cross-shard (or not applied).
    case none
    /// Applied at home; an APPLY receipt goes to the target shard.
    case pending(targetShard: UInt32)
    /// The target side was applied by this entry.
    case applied
    /// The target side was rejected by this entry (an ABORT goes home), or this entry compensated.
    case aborted
  }

  /// The entry's position in the block.
  public var index: Int
  /// The transaction id (of the receipt's transaction for receipts); nil for malformed entries.
  public var txID: Data?
  /// What the entry is.
  public var type: EntryType
  /// The decision bit.
  public var accepted: Bool
  /// How it ended.
  public var status: Status
  /// Cross-shard progress.
  public var crossShard: CrossShard

  /// The rejection, if any.
  public var rejection: Rejection? {
    if case .rejected(let rejection) = status { return rejection }
    return nil
  }
}

/// The outcome of applying a decided block: per-entry results, the state changes, the receipts it
/// emits, and the new state root. Two nodes applying the same block to the same state get equal
/// outcomes.
public struct BlockOutcome: Sendable {
  /// One result per entry.
  public var results: [EntryResult]
  /// The writes to the shard's state.
  public var changes: StateChanges
  /// The state root after the block.
  public var stateRoot: SHA256Digest
  /// Receipts to relay, in entry order.
  public var receipts: [EmittedReceipt]
  /// Records created and erased.
  public var blobEvents: [BlobEvent]
  /// Cross-shard transactions whose other side this block decided.
  public var crossShardUpdates: [CrossShardUpdate]

  /// The number of entries whose effects were applied.
  public var appliedCount: Int { results.filter { $0.status == .applied }.count }
}

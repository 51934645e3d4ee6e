import ChainCrypto
import Foundation
import Synchronization
import Wire

/// One shard's ledger as a node runs it: the durable store and the in-memory state, kept in step.
/// `commit` applies a committed block to the state, writes block and changes in one SQLite
/// transaction, and only then updates the in-memory state, so a failed write (a full disk) leaves both
/// as they were.
public final class ShardLedger: Sendable {
  /// The shard.
  public let shard: UInt32
  /// The store.
  public let store: LedgerStore
  private let current: Mutex<ShardState>

  /// Loads `shard`'s state from `store` (checked against the stored head's state root).
  public init(store: LedgerStore, shard: UInt32) throws {
    self.shard = shard
    self.store = store
    current = Mutex(try store.loadState(shard: shard))
  }

  /// The current state (a copy-on-write value).
  public var state: ShardState { current.withLock { $0 } }

  /// The stored head.
  public func head() throws -> ShardHead { try store.head(shard: shard) }

  /// Applies `block` (already verified, e.g. with `TBlocks.verify`) with its decision bits, stores it,
  /// and advances the in-memory state. `prepared` reuses a `LedgerExecutor.prepare` of the entries
  /// made while voting.
  @discardableResult
  public func commit(_ block: TBlock, context: BlockContext, prepared: PreparedBlock? = nil) throws
    -> BlockOutcome
  {
    guard context.shard == shard else {
      throw LedgerError.invalidBlock(
        "a block of shard \(context.shard) given to the ledger of shard \(shard)")
    }
    guard let decision = BitVector(bytes: block.decision, count: block.entries.count) else {
      throw LedgerError.invalidBlock(
        "the decision has \(block.decision.count) bytes for \(block.entries.count) entries")
    }
    return try current.withLock { state in
      let outcome = try LedgerExecutor.apply(
        prepared ?? LedgerExecutor.prepare(entries: block.entries, context: context), decisions: decision,
        context: context, state: state)
      try store.commit(block, outcome: outcome)
      state.apply(outcome.changes)
      return outcome
    }
  }
}

import ChainCrypto
import Foundation
import Wire

/// What the driver feeds a ``Validator`` (docs/protocol.md §8). Every input comes with the driver's
/// current time.
public enum Input: Sendable {
  /// Time passed (the driver ticks at least at `Ready.nextTickAt`).
  case tick
  /// A consensus message from an authenticated peer.
  case message(ConsensusMessage, from: Address)
  /// Transactions admitted by the mempool (signatures already checked).
  case submit([SignedTransaction])
  /// The result of a ``ValidationRequest``.
  case validated(ValidationResult)
  /// The result of an ``ApplyRequest``.
  case applied(ApplyResult)
  /// Blocks fetched for a `SyncRequest.tblocks`, in height order (possibly fewer than asked).
  case tblocksSynced(shard: UInt32, blocks: [TBlock])
  /// Blocks fetched for a `SyncRequest.rblocks`, in height order.
  case rblocksSynced([RBlock])
  /// The ledger now holds the state of `head.shard` at `head` (after a `SyncRequest.state`).
  case stateInstalled(LedgerHead)
}

/// A message to send.
public struct OutboundMessage: Sendable, Hashable {
  /// The receivers (never the sender itself).
  public var to: [Address]
  /// The message.
  public var message: ConsensusMessage

  public init(to: [Address], message: ConsensusMessage) {
    self.to = to
    self.message = message
  }
}

/// A record to persist before anything else of the same ``Ready`` is carried out: the value replaces
/// what is stored under `key`; a nil value deletes it.
public struct PersistRecord: Sendable, Hashable {
  public let key: String
  public let value: Data?
}

/// What a ``Validator`` asks its driver to do after one input, **in this order**: persist the records
/// durably, send the messages, run the validations, store and hand the committed RBlocks to the ledger,
/// apply the committed TBlocks in height order, start the syncs, publish the notifications; then tick
/// the validator again no later than `nextTickAt`.
public struct Ready: Sendable {
  public var persist: [PersistRecord] = []
  public var messages: [OutboundMessage] = []
  public var validations: [ValidationRequest] = []
  public var rblocks: [RBlock] = []
  public var applies: [ApplyRequest] = []
  public var syncs: [SyncRequest] = []
  public var notifications: [Notification] = []
  public var nextTickAt: UInt64?

  public init() {}

  /// Whether there is nothing to do but wait.
  public var isEmpty: Bool {
    persist.isEmpty && messages.isEmpty && validations.isEmpty && rblocks.isEmpty && applies.isEmpty && syncs.isEmpty
      && notifications.isEmpty
  }
}

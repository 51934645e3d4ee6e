import ChainCrypto
import Foundation
import Synchronization

/// The transactions this node admitted and has not yet seen committed, and the ones it refused: what
/// `GetTransaction` reports as PENDING or REJECTED before any block holds them, and the pending
/// transactions of a sender that the next custodial transaction's nonce and checks must follow.
final class PendingTransactions: Sendable {
  /// A pending transaction.
  struct Entry: Sendable {
    var id: Data
    var sender: Address
    var nonce: UInt64
    /// The serialized `TBlockEntry`, for checking a later transaction of the sender after it.
    var entry: Data
    var submittedAtMs: UInt64
    /// When it was last handed to consensus (``due(nowMs:intervalMs:maxResends:)``), and how often it
    /// was handed again.
    var lastSentAtMs: UInt64
    var resends = 0

    init(id: Data, sender: Address, nonce: UInt64, entry: Data, submittedAtMs: UInt64) {
      (self.id, self.sender, self.nonce, self.entry) = (id, sender, nonce, entry)
      (self.submittedAtMs, self.lastSentAtMs) = (submittedAtMs, submittedAtMs)
    }
  }

  private struct Book {
    var pending: [Data: Entry] = [:]
    var refused: [Data: String] = [:]
    var refusedOrder: [Data] = []
  }

  private let book = Mutex(Book())
  private let lifetimeMs: UInt64
  private let refusedLimit = 4096

  init(lifetimeMs: UInt64) { self.lifetimeMs = lifetimeMs }

  func add(_ entry: Entry) { book.withLock { $0.pending[entry.id] = entry } }

  /// Forgets `id` (decided, or its submission failed).
  func remove(_ id: Data) { _ = book.withLock { $0.pending.removeValue(forKey: id) } }

  /// The sender of `id`, if it is pending here.
  func sender(of id: Data) -> Address? { book.withLock { $0.pending[id]?.sender } }

  /// Remembers that admission refused `id` for `reason`.
  func refuse(_ id: Data, reason: String) {
    book.withLock { book in
      book.pending[id] = nil
      if book.refused.updateValue(reason, forKey: id) == nil { book.refusedOrder.append(id) }
      if book.refusedOrder.count > refusedLimit {
        book.refused[book.refusedOrder.removeFirst()] = nil
      }
    }
  }

  /// Whether `id` is pending at `nowMs`.
  func isPending(_ id: Data, nowMs: UInt64) -> Bool {
    book.withLock { book in book.pending[id].map { nowMs < $0.submittedAtMs + lifetimeMs } ?? false }
  }

  /// The pending entries last handed to consensus `intervalMs` or more before `nowMs`, not expired and
  /// handed again fewer than `maxResends` times, oldest first, marked as handed again now. (A node
  /// that does not hold a transaction's shard never sees it decided: the bound stops its resends.)
  func due(nowMs: UInt64, intervalMs: UInt64, maxResends: Int) -> [Entry] {
    book.withLock { book in
      let due = book.pending.values.filter {
        nowMs < $0.submittedAtMs + lifetimeMs && $0.lastSentAtMs + intervalMs <= nowMs
          && $0.resends < maxResends
      }.sorted { ($0.submittedAtMs, $0.nonce) < ($1.submittedAtMs, $1.nonce) }
      for entry in due {
        book.pending[entry.id]?.lastSentAtMs = nowMs
        book.pending[entry.id]?.resends += 1
      }
      return due
    }
  }

  /// Why admission refused `id`, if it did.
  func refusal(_ id: Data) -> String? { book.withLock { $0.refused[id] } }

  /// `sender`'s pending transactions after its committed nonce, in nonce order. Entries at or below
  /// the committed nonce, too old, or decided in a block (`isDecided`) are dropped, and so is every
  /// later one after a decided or expired gap: those can no longer be committed with their nonce.
  ///
  /// Which entries are decided is asked before `committedNonce` is read: a block applied in between
  /// then raises the committed nonce past the entries it decided, instead of leaving a decided entry
  /// above a stale nonce that would look like a gap and drop every later transaction of the sender.
  func pending(
    of sender: Address, nowMs: UInt64, isDecided: (Data) -> Bool,
    committedNonce: () async throws -> UInt64
  ) async rethrows -> (entries: [Entry], committedNonce: UInt64) {
    let candidates = book.withLock { book in
      book.pending.values.filter { $0.sender == sender }.sorted { $0.nonce < $1.nonce }
    }.map { (entry: $0, decided: isDecided($0.id)) }
    let committed = try await committedNonce()
    var kept: [Entry] = []
    var dropped: [Data] = []
    var expected = committed + 1
    for (entry, decided) in candidates {
      if entry.nonce < expected {
        dropped.append(entry.id)
      } else if entry.nonce == expected, nowMs < entry.submittedAtMs + lifetimeMs, !decided {
        kept.append(entry)
        expected += 1
      } else {
        dropped.append(entry.id)
        expected = .max
      }
    }
    book.withLock { book in for id in dropped { book.pending[id] = nil } }
    return (kept, committed)
  }
}

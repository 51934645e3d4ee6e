import ChainCrypto
import Foundation
import Wire

/// The entries waiting for a block of this validator's shard: transactions of the shard's accounts and
/// receipts addressed to it, in arrival order. Every member keeps one (the mempool forwards each
/// transaction to every member of its home shard, relays go to every member of the target shard), so
/// that each member can tell when its leader leaves an entry out for too long (censorship, §3.6).
struct EntryPool: Sendable {
  struct Pending: Sendable {
    let key: Data
    let bytes: Data
    let arrival: UInt64
    var lastForwarded: UInt64
  }

  private(set) var order: [Data] = []
  private(set) var pending: [Data: Pending] = [:]
  /// Keys of entries seen in committed blocks of this shard (not re-admitted).
  private var done: Set<Data> = []

  /// The pool key of a transaction entry: 0x01 || tx id.
  static func key(transaction: SignedTransaction) -> Data { Data([1]) + SHA256.hash(transaction.body).data }

  /// The pool key of a receipt entry: 0x02 || kind || tx id.
  static func key(receipt: Receipt) -> Data {
    Data([2, UInt8(truncatingIfNeeded: receipt.kind.rawValue)]) + receipt.txID
  }

  /// The pool key of a serialized `TBlockEntry`, nil when it does not decode.
  static func key(entryBytes: Data) -> Data? {
    guard let entry = try? TBlockEntry(serializedBytes: entryBytes) else { return nil }
    switch entry.entry {
    case .transaction(let tx): return key(transaction: tx)
    case .receipt(let receipt): return key(receipt: receipt)
    case nil: return nil
    }
  }

  var count: Int { order.count }

  func contains(_ key: Data) -> Bool { pending[key] != nil }

  func isDone(_ key: Data) -> Bool { done.contains(key) }

  /// Adds an entry; false when it is already pending or was committed.
  @discardableResult
  mutating func add(key: Data, bytes: Data, now: UInt64) -> Bool {
    guard pending[key] == nil, !done.contains(key) else { return false }
    pending[key] = Pending(key: key, bytes: bytes, arrival: now, lastForwarded: now)
    order.append(key)
    return true
  }

  /// Forgets the entries of a committed block.
  mutating func markCommitted(_ keys: [Data]) {
    guard !keys.isEmpty else { return }
    for key in keys {
      done.insert(key)
      pending[key] = nil
    }
    order.removeAll { pending[$0] == nil }
  }

  /// The oldest entries that fit a block of at most `maxEntries` entries and `maxBytes` bytes.
  func select(maxEntries: Int, maxBytes: Int) -> [Data] {
    var selected: [Data] = []
    var bytes = 0
    for key in order {
      guard let entry = pending[key] else { continue }
      if selected.count == maxEntries { break }
      if bytes + entry.bytes.count > maxBytes { continue }
      selected.append(entry.bytes)
      bytes += entry.bytes.count
    }
    return selected
  }

  /// The arrival time of the oldest pending entry.
  var oldestArrival: UInt64? { order.first.flatMap { pending[$0]?.arrival } }

  /// Entries not forwarded for `interval`, marked forwarded at `now`.
  mutating func dueForForwarding(now: UInt64, interval: UInt64) -> [Data] {
    var due: [Data] = []
    for key in order {
      guard var entry = pending[key], now >= entry.lastForwarded + interval else { continue }
      entry.lastForwarded = now
      pending[key] = entry
      due.append(entry.bytes)
    }
    return due
  }

  /// Drops every pending entry (when the validator moves to another shard).
  mutating func clear() {
    order = []
    pending = [:]
    done = []
  }
}

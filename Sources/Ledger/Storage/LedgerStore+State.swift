import ChainCrypto
import Foundation
import GRDB
import Wire

/// Where a shard's stored chain starts when its state came from a snapshot rather than from genesis:
/// the block the snapshot belongs to. Kept in `meta` at `base/<shard>` as
/// `height (8) || timestamp_ms (8) || rblock_height (8) || hash (32) || state root (32)`.
struct SnapshotBase {
  var height: UInt64
  var timestampMs: UInt64
  var rblockHeight: UInt64
  var hash: Data
  var stateRoot: Data

  var encoded: Data {
    height.bigEndianBytes + timestampMs.bigEndianBytes + rblockHeight.bigEndianBytes + hash + stateRoot
  }

  init(height: UInt64, timestampMs: UInt64, rblockHeight: UInt64, hash: Data, stateRoot: Data) {
    self.height = height
    self.timestampMs = timestampMs
    self.rblockHeight = rblockHeight
    self.hash = hash
    self.stateRoot = stateRoot
  }

  init?(encoded data: Data) {
    guard data.count == 88 else { return nil }
    height = data.bigEndianInteger(at: 0, as: UInt64.self)
    timestampMs = data.bigEndianInteger(at: 8, as: UInt64.self)
    rblockHeight = data.bigEndianInteger(at: 16, as: UInt64.self)
    hash = data.subdata(in: (data.startIndex + 24)..<(data.startIndex + 56))
    stateRoot = data.subdata(in: (data.startIndex + 56)..<(data.startIndex + 88))
  }

  func head(shard: UInt32) -> ShardHead {
    ShardHead(
      shard: shard, height: height, hash: hash, stateRoot: stateRoot, timestampMs: timestampMs,
      rblockHeight: rblockHeight)
  }
}

extension LedgerStore {
  /// `shard`'s whole state, checked against the head's state root (a mismatch means the database
  /// was damaged or changed behind the ledger's back: `damaged`).
  public func loadState(shard: UInt32) throws -> ShardState {
    let (entries, head) = try read { db in
      (
        try Row.fetchAll(db, sql: "SELECT key, value FROM state WHERE shard = ?", arguments: [Int64(shard)])
          .map {
            (key: $0["key"] as Data, value: $0["value"] as Data)
          },
        try self.head(shard: shard, db: db)
      )
    }
    let state = ShardState(entries: entries)
    guard state.stateRoot.data == head.stateRoot else {
      throw LedgerStoreError.damaged(
        path: path,
        detail:
          "the stored state of shard \(shard) has root \(state.stateRoot), but block \(shard)/\(head.height) says \(head.stateRoot.hexString)"
      )
    }
    return state
  }

  /// The value at `key` in `shard`'s stored state.
  public func stateValue(shard: UInt32, key: Data) throws -> Data? {
    try read { db in
      try Data.fetchOne(
        db, sql: "SELECT value FROM state WHERE shard = ? AND key = ?", arguments: [Int64(shard), key])
    }
  }

  /// A page of `shard`'s state in key order, after `after` (exclusive), at most `limit` entries: the
  /// StateEntry stream of a snapshot (peer.proto). Read in one transaction with the head it belongs to.
  public func statePage(shard: UInt32, after: Data?, limit: Int) throws -> (
    head: ShardHead, entries: [StateEntry]
  ) {
    try read { db in
      let rows = try Row.fetchAll(
        db,
        sql: after == nil
          ? "SELECT key, value FROM state WHERE shard = ? ORDER BY key LIMIT ?"
          : "SELECT key, value FROM state WHERE shard = ? AND key > ? ORDER BY key LIMIT ?",
        arguments: after == nil ? [Int64(shard), limit] : [Int64(shard), after!, limit])
      return (
        try self.head(shard: shard, db: db), rows.map { StateEntry(key: $0["key"], value: $0["value"]) }
      )
    }
  }

  /// The whole snapshot of `shard` as StateSnapshotChunks of at most `pageSize` entries each, all read
  /// in one transaction (so they belong to one height).
  public func snapshot(shard: UInt32, pageSize: Int = 1000) throws -> [StateSnapshotChunk] {
    try read { db in
      let head = try self.head(shard: shard, db: db)
      let rows = try Row.fetchAll(
        db, sql: "SELECT key, value FROM state WHERE shard = ? ORDER BY key", arguments: [Int64(shard)])
      let entries = rows.map { StateEntry(key: $0["key"], value: $0["value"]) }
      var chunks: [StateSnapshotChunk] = []
      var start = 0
      repeat {
        let end = min(start + pageSize, entries.count)
        chunks.append(
          StateSnapshotChunk(
            shard: shard, height: head.height, stateRoot: head.stateRoot,
            entries: Array(entries[start..<end]),
            last: end == entries.count))
        start = end
      } while start < entries.count
      return chunks
    }
  }

  /// Replaces `shard`'s state with a snapshot taken at `block` (a committed, verified block of that
  /// shard): the entries must be sorted, unique, and reproduce `block`'s state root `stateRoot`, which
  /// the caller trusts from the next block's parent_state_root or an RBlock's coverage. The block
  /// becomes the shard's base; later blocks are committed on top of it. Blocks of the shard stored
  /// before (from an earlier stay in it) go, with their index rows: the transactions they decided are
  /// then answered by the members that hold those blocks.
  public func installSnapshot(shard: UInt32, chunks: [StateSnapshotChunk], block: TBlock, stateRoot: Data)
    throws
  {
    let header: TBlockHeader
    do { header = try TBlockHeader(serializedBytes: block.header) } catch {
      throw LedgerStoreError.invalidRequest("the snapshot's block header does not decode: \(error)")
    }
    var entries: [(key: Data, value: Data)] = []
    for chunk in chunks {
      guard chunk.shard == shard, chunk.height == header.height, chunk.stateRoot == stateRoot else {
        throw LedgerStoreError.invalidRequest("a snapshot chunk is for another shard, height or root")
      }
      for entry in chunk.entries {
        if let last = entries.last, !last.key.lexicographicallyPrecedes(entry.key) {
          throw LedgerStoreError.invalidRequest(
            "snapshot entries are not sorted by key at \(entry.key.hexString)")
        }
        entries.append((entry.key, entry.value))
      }
    }
    guard chunks.last?.last == true else {
      throw LedgerStoreError.invalidRequest("the snapshot is incomplete")
    }
    let root = StateRoot.root(entries: entries)
    guard root.data == stateRoot else {
      throw LedgerStoreError.invalidRequest(
        "the snapshot's entries give root \(root), not \(stateRoot.hexString)")
    }
    let base = SnapshotBase(
      height: header.height, timestampMs: header.timestampMs, rblockHeight: header.rblockHeight,
      hash: BlockHashes.hash(header: block.header).data, stateRoot: stateRoot)
    let rows = entries
    try write("installing a snapshot of shard \(shard)") { db in
      try db.execute(sql: "DELETE FROM state WHERE shard = ?", arguments: [Int64(shard)])
      try db.execute(sql: "DELETE FROM tblock WHERE shard = ?", arguments: [Int64(shard)])
      // The index rows and emitted receipts of the blocks just deleted (a validator back in a shard it
      // left held its older blocks): left behind, they would name blocks that are no longer here.
      try db.execute(sql: "DELETE FROM tx_index WHERE shard = ?", arguments: [Int64(shard)])
      try db.execute(sql: "DELETE FROM emitted_receipt WHERE shard = ?", arguments: [Int64(shard)])
      let insert = try db.makeStatement(sql: "INSERT INTO state (shard, key, value) VALUES (?, ?, ?)")
      for entry in rows { try insert.execute(arguments: [Int64(shard), entry.key, entry.value]) }
      try db.execute(
        sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        arguments: ["base/\(shard)", base.encoded])
      // The block the state is after: the shard's head until the next block is stored.
      try db.execute(
        sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        arguments: ["baseblock/\(shard)", try block.serializedData()])
    }
  }

  // MARK: - Accounts

  /// The account at `address`, from whichever held shard it lives in.
  public func account(_ address: Data) throws -> Account? {
    try fetchMessage(StateKey.account(address))
  }

  /// The message at `key` in any held shard (each key lives in one shard, copies of grants and
  /// requests aside, for which the patient's copy is preferred).
  func fetchMessage<M: WireMessage>(_ key: Data, preferShard: UInt32? = nil) throws -> M? {
    let values = try read { db in
      try Row.fetchAll(db, sql: "SELECT shard, value FROM state WHERE key = ?", arguments: [key]).map {
        (shard: UInt32($0["shard"] as Int64), value: $0["value"] as Data)
      }
    }
    guard let chosen = values.first(where: { $0.shard == preferShard }) ?? values.first else { return nil }
    do { return try M(serializedBytes: chosen.value) } catch {
      throw LedgerStoreError.damaged(
        path: path, detail: "the value at \(key.hexString) is not a \(M.protoMessageName)")
    }
  }
}

extension LedgerStore {
  /// Runs `body` on one consistent snapshot of `shard`: its head and its state as of that head, read
  /// in one SQLite read transaction, so a block committed meanwhile is in neither or in both (reading
  /// the head and then the state key by key can see a state newer than the head). The state view is
  /// valid only while `body` runs.
  public func withSnapshot<T: Sendable>(
    shard: UInt32, _ body: @Sendable (ShardHead, any StateView) throws -> T
  ) throws -> T {
    try read { db in
      let head = try self.head(shard: shard, db: db)
      return try body(head, SnapshotState(database: db, shard: shard))
    }
  }
}

/// `shard`'s state inside one read transaction of `withSnapshot` (GRDB's `Database` is confined to
/// the closure that received it, which is why this view must not escape it).
private final class SnapshotState: StateView, @unchecked Sendable {
  private let database: Database
  private let shard: UInt32

  init(database: Database, shard: UInt32) {
    self.database = database
    self.shard = shard
  }

  func value(forKey key: Data) -> Data? {
    try? Data.fetchOne(
      database, sql: "SELECT value FROM state WHERE shard = ? AND key = ?", arguments: [Int64(shard), key])
  }
}

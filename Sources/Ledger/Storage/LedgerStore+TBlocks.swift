import ChainCrypto
import Foundation
import GRDB
import Wire

/// The committed head of a shard's chain in the store (height 0 before the first block).
public struct ShardHead: Sendable, Hashable {
  public var shard: UInt32
  public var height: UInt64
  /// The head block's hash (32 zero bytes at height 0).
  public var hash: Data
  /// The state root after the head block (the genesis state root at height 0).
  public var stateRoot: Data
  public var timestampMs: UInt64
  public var rblockHeight: UInt64

  /// What the next block must extend.
  public var parent: TBlocks.Parent {
    TBlocks.Parent(
      height: height, hash: hash, timestampMs: timestampMs, rblockHeight: rblockHeight, stateRoot: stateRoot)
  }
}

extension LedgerStore {
  // MARK: - Writing TBlocks

  /// Stores a committed block with the outcome of applying it, in one SQLite transaction: the block,
  /// its state changes, one transaction-index row per entry, its emitted receipts, and the
  /// cross-shard progress it reports. The block must extend the stored head (height, previous hash,
  /// parent state root) and the outcome's root becomes the new head's state root.
  public func commit(_ block: TBlock, outcome: BlockOutcome) throws {
    let header: TBlockHeader
    do { header = try TBlockHeader(serializedBytes: block.header) } catch {
      throw LedgerStoreError.invalidRequest("the block's header does not decode: \(error)")
    }
    let hash = BlockHashes.hash(header: block.header).data
    let blockBytes = try block.serializedData()
    let changes = outcome.changes.sorted
    let what = "writing block \(header.shard)/\(header.height)"
    try write(what) { db in
      let head = try self.head(shard: header.shard, db: db)
      guard header.height == head.height + 1, header.previousHash == head.hash else {
        throw LedgerStoreError.notNextBlock(
          path: self.path,
          detail:
            "block \(header.shard)/\(header.height) does not extend the stored head \(header.shard)/\(head.height)"
        )
      }
      guard header.parentStateRoot == head.stateRoot else {
        throw LedgerStoreError.notNextBlock(
          path: self.path,
          detail: "block \(header.shard)/\(header.height)'s parent_state_root is not the stored state root")
      }
      let shard = Int64(header.shard)
      let height = Int64(header.height)
      try db.execute(
        sql: """
          INSERT INTO tblock (shard, height, hash, header, block, state_root, timestamp_ms, rblock_height,
                              entry_count, accepted_count)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          shard, height, hash, block.header, blockBytes, outcome.stateRoot.data, Int64(header.timestampMs),
          Int64(header.rblockHeight), Int64(block.entries.count),
          Int64(outcome.results.filter(\.accepted).count),
        ])
      let put = try db.makeStatement(sql: "INSERT OR REPLACE INTO state (shard, key, value) VALUES (?, ?, ?)")
      let delete = try db.makeStatement(sql: "DELETE FROM state WHERE shard = ? AND key = ?")
      for change in changes {
        if let value = change.value {
          try put.execute(arguments: [shard, change.key, value])
        } else {
          try delete.execute(arguments: [shard, change.key])
        }
      }
      let index = try db.makeStatement(
        sql: """
          INSERT OR REPLACE INTO tx_index (tx_id, shard, height, entry_index, entry_type, kind, accepted, status,
                                           code, reason, cross_shard, target_shard)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """)
      for result in outcome.results {
        guard let txID = result.txID else { continue }
        let (type, kind) = result.type.storage
        let (status, code, reason) = result.status.storage
        let (crossShard, target) = result.crossShard.storage
        try index.execute(arguments: [
          txID, shard, height, Int64(result.index), type, kind, result.accepted, status, code, reason,
          crossShard,
          target.map { Int64($0) },
        ])
      }
      let receipt = try db.makeStatement(
        sql: """
          INSERT INTO emitted_receipt (shard, height, seq, entry_index, kind, tx_id, target_shard, receipt_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """)
      for (seq, emitted) in outcome.receipts.enumerated() {
        try receipt.execute(arguments: [
          shard, height, Int64(seq), Int64(emitted.entryIndex), Int64(emitted.kind.rawValue), emitted.txID,
          Int64(emitted.targetShard), emitted.receiptID.data,
        ])
      }
      for update in outcome.crossShardUpdates {
        try Self.recordCrossShard(update, db: db)
      }
    }
  }

  /// Records that the other side of cross-shard transaction `update.txID` was decided (the node
  /// learns it from a ReceiptAck or by syncing the other shard). Updates the home transaction's
  /// index row if this database holds it; harmless otherwise.
  public func recordCrossShardOutcome(_ update: CrossShardUpdate) throws {
    try write("recording a cross-shard outcome") { db in try Self.recordCrossShard(update, db: db) }
  }

  static func recordCrossShard(_ update: CrossShardUpdate, db: Database) throws {
    try db.execute(
      sql: """
        UPDATE tx_index SET cross_shard = ?, target_shard = ?, target_height = ?, target_hash = ?
        WHERE tx_id = ? AND entry_type = 1 AND status = 1 AND cross_shard != 3
        """,
      arguments: [
        update.state == .applied ? 2 : 3, Int64(update.decidedIn.shard), Int64(update.decidedIn.height),
        update.decidedIn.hash, update.txID,
      ])
  }

  // MARK: - Reading TBlocks

  /// The head of `shard`'s chain.
  public func head(shard: UInt32) throws -> ShardHead {
    try read { db in try self.head(shard: shard, db: db) }
  }

  func head(shard: UInt32, db: Database) throws -> ShardHead {
    if let row = try Row.fetchOne(
      db,
      sql: """
        SELECT height, hash, state_root, timestamp_ms, rblock_height FROM tblock
        WHERE shard = ? ORDER BY height DESC LIMIT 1
        """, arguments: [Int64(shard)])
    {
      return ShardHead(
        shard: shard, height: UInt64(row["height"] as Int64), hash: row["hash"], stateRoot: row["state_root"],
        timestampMs: UInt64(row["timestamp_ms"] as Int64), rblockHeight: UInt64(row["rblock_height"] as Int64)
      )
    }
    if let base = try Row.fetchOne(
      db, sql: "SELECT value FROM meta WHERE key = ?", arguments: ["base/\(shard)"]),
      let decoded = SnapshotBase(encoded: base[0])
    {
      return decoded.head(shard: shard)
    }
    guard
      let root = try Data.fetchOne(
        db, sql: "SELECT value FROM meta WHERE key = ?", arguments: ["genesis_root/\(shard)"])
    else {
      throw LedgerStoreError.invalidRequest("this database holds no state of shard \(shard)")
    }
    return ShardHead(
      shard: shard, height: 0, hash: BlockHashes.zero, stateRoot: root, timestampMs: 0, rblockHeight: 0)
  }

  /// The block of `shard` at `height` (0 for the latest), or nil.
  /// The block of `shard` at `height` (0: the latest). After a snapshot install the block the state is
  /// after (the snapshot's base) is found too, until newer blocks are stored.
  public func tblock(shard: UInt32, height: UInt64) throws -> TBlock? {
    let (stored, base) = try read { db in
      let stored: Data?
      if height == 0 {
        stored = try Data.fetchOne(
          db, sql: "SELECT block FROM tblock WHERE shard = ? ORDER BY height DESC LIMIT 1",
          arguments: [Int64(shard)])
      } else {
        stored = try Data.fetchOne(
          db, sql: "SELECT block FROM tblock WHERE shard = ? AND height = ?",
          arguments: [Int64(shard), Int64(height)])
      }
      let base =
        stored == nil
        ? try Data.fetchOne(
          db, sql: "SELECT value FROM meta WHERE key = ?", arguments: ["baseblock/\(shard)"])
        : nil
      return (stored, base)
    }
    if let stored { return try TBlock(serializedBytes: stored) }
    guard let base else { return nil }
    let block = try TBlock(serializedBytes: base)
    guard height == 0 || (try? TBlockHeader(serializedBytes: block.header))?.height == height else {
      return nil
    }
    return block
  }

  /// The blocks of `shard` from `from` to `to` inclusive (`to` 0 for the latest), at most `limit`.
  public func tblocks(shard: UInt32, from: UInt64, to: UInt64 = 0, limit: Int = 1000) throws -> [TBlock] {
    let rows = try read { db in
      try Data.fetchAll(
        db,
        sql:
          "SELECT block FROM tblock WHERE shard = ? AND height >= ? AND height <= ? ORDER BY height LIMIT ?",
        arguments: [Int64(shard), Int64(max(from, 1)), to == 0 ? Int64.max : Int64(to), limit])
    }
    return try rows.map { try TBlock(serializedBytes: $0) }
  }

  /// The state root stored after block `height` of `shard` (the genesis root at 0).
  public func stateRoot(shard: UInt32, height: UInt64) throws -> Data? {
    try read { db in
      if height == 0 {
        return try Data.fetchOne(
          db, sql: "SELECT value FROM meta WHERE key = ?", arguments: ["genesis_root/\(shard)"])
      }
      return try Data.fetchOne(
        db, sql: "SELECT state_root FROM tblock WHERE shard = ? AND height = ?",
        arguments: [Int64(shard), Int64(height)])
    }
  }

  /// The receipts `shard` emitted in blocks `from...to`, in emission order (for relays and for the
  /// RChain's receipts roots).
  public func emittedReceipts(shard: UInt32, from: UInt64, to: UInt64) throws -> [(
    height: UInt64, receipt: EmittedReceipt
  )] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT height, entry_index, kind, tx_id, target_shard FROM emitted_receipt
          WHERE shard = ? AND height >= ? AND height <= ? ORDER BY height, seq
          """, arguments: [Int64(shard), Int64(from), Int64(to)]
      ).map { row in
        (
          UInt64(row["height"] as Int64),
          EmittedReceipt(
            kind: ReceiptKind(rawValue: Int32(row["kind"] as Int64)), txID: row["tx_id"],
            targetShard: UInt32(row["target_shard"] as Int64), entryIndex: Int(row["entry_index"] as Int64))
        )
      }
    }
  }

  /// `shard`'s coverage of blocks `from...to` for an RBlock: the head hash and state root at `to`,
  /// the RFC 6962 root over the ids of the receipts emitted in that range, and the cumulative receipt
  /// counts (emitted since genesis; receipts from other shards decided since genesis).
  public func shardCoverage(shard: UInt32, from: UInt64, to: UInt64) throws -> ShardCoverage {
    let receipts = try emittedReceipts(shard: shard, from: from, to: to)
    let counts = try read { db in
      (
        try Int64.fetchOne(
          db, sql: "SELECT COUNT(*) FROM emitted_receipt WHERE shard = ? AND height <= ?",
          arguments: [Int64(shard), Int64(to)]) ?? 0,
        try Int64.fetchOne(
          db,
          sql: """
            SELECT COUNT(*) FROM tx_index WHERE shard = ? AND height <= ? AND entry_type IN (2, 3)
            AND (status = 1 OR cross_shard = 3)
            """, arguments: [Int64(shard), Int64(to)]) ?? 0
      )
    }
    let block = to == 0 ? nil : try tblock(shard: shard, height: to)
    return ShardCoverage(
      shard: shard, fromHeight: from, toHeight: to,
      tblockHash: block.map { BlockHashes.hash(header: $0.header).data } ?? BlockHashes.zero,
      stateRoot: try stateRoot(shard: shard, height: to) ?? Data(),
      receiptsRoot: MerkleTree(leaves: receipts.map(\.receipt.receiptID.data)).root.data,
      receiptsEmitted: UInt64(counts.0), receiptsDecided: UInt64(counts.1))
  }
}

// MARK: - Storage codes of results

extension EntryType {
  /// (entry_type, kind) columns: 1 transaction, 2 APPLY receipt, 3 ABORT receipt, 0 malformed; the
  /// payload's field number or 0.
  var storage: (Int64, Int64) {
    switch self {
    case .transaction(let kind): (1, Int64(kind.rawValue))
    case .applyReceipt(let kind): (2, Int64(kind?.rawValue ?? 0))
    case .abortReceipt(let kind): (3, Int64(kind?.rawValue ?? 0))
    case .malformed: (0, 0)
    }
  }
}

extension EntryResult.Status {
  /// (status, code, reason) columns: 1 applied, 2 duplicate, 3 rejected.
  var storage: (Int64, String, String) {
    switch self {
    case .applied: (1, "", "")
    case .duplicate: (2, "", "")
    case .rejected(let rejection): (3, rejection.code.rawValue, rejection.message)
    }
  }
}

extension EntryResult.CrossShard {
  /// (cross_shard, target_shard) columns: 0 none, 1 pending, 2 applied, 3 aborted.
  var storage: (Int64, UInt32?) {
    switch self {
    case .none: (0, nil)
    case .pending(let target): (1, target)
    case .applied: (2, nil)
    case .aborted: (3, nil)
    }
  }
}

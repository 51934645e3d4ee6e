import ChainCrypto
import Foundation
import GRDB
import Wire

extension LedgerStore {
  /// Stores a committed (verified) RBlock: the block, the coverage of each shard (which makes those
  /// TBlocks final), the reputation it carries, and its rewards. It must extend the stored RChain.
  public func commit(rblock block: RBlock) throws {
    let header: RBlockHeader
    do { header = try RBlockHeader(serializedBytes: block.header) } catch {
      throw LedgerStoreError.invalidRequest("the RBlock header does not decode: \(error)")
    }
    let hash = BlockHashes.hash(header: block.header).data
    let bytes = try block.serializedData()
    let updates = try header.reputation.map { ($0, try $0.serializedData()) }
    try write("writing RBlock \(header.height)") { db in
      let latest = try Row.fetchOne(db, sql: "SELECT height, hash FROM rblock ORDER BY height DESC LIMIT 1")
      let previousHeight: Int64 = latest?["height"] ?? 0
      let previousHash: Data = latest?["hash"] ?? BlockHashes.zero
      guard Int64(header.height) == previousHeight + 1, header.previousHash == previousHash else {
        throw LedgerStoreError.notNextBlock(
          path: self.path,
          detail: "RBlock \(header.height) does not extend the stored RBlock \(previousHeight)")
      }
      let height = Int64(header.height)
      try db.execute(
        sql:
          "INSERT INTO rblock (height, hash, header, block, epoch, timestamp_ms) VALUES (?, ?, ?, ?, ?, ?)",
        arguments: [height, hash, block.header, bytes, Int64(header.epoch), Int64(header.timestampMs)])
      for coverage in header.shards {
        try db.execute(
          sql:
            "INSERT INTO rblock_coverage (rblock_height, shard, from_height, to_height) VALUES (?, ?, ?, ?)",
          arguments: [height, Int64(coverage.shard), Int64(coverage.fromHeight), Int64(coverage.toHeight)])
      }
      for (update, encoded) in updates {
        try db.execute(
          sql:
            "INSERT OR REPLACE INTO reputation (validator, rblock_height, reputation_ppm, update_bytes) VALUES (?, ?, ?, ?)",
          arguments: [update.validator, height, Int64(update.reputationPPM), encoded])
      }
      for reward in header.rewards {
        try db.execute(
          sql: "INSERT INTO reward (rblock_height, account, amount) VALUES (?, ?, ?)",
          arguments: [height, reward.account, Int64(bitPattern: reward.amount)])
      }
    }
  }

  /// The RBlock at `height` (0 for the latest), or nil.
  public func rblock(height: UInt64) throws -> RBlock? {
    let bytes = try read { db in
      height == 0
        ? try Data.fetchOne(db, sql: "SELECT block FROM rblock ORDER BY height DESC LIMIT 1")
        : try Data.fetchOne(db, sql: "SELECT block FROM rblock WHERE height = ?", arguments: [Int64(height)])
    }
    return try bytes.map { try RBlock(serializedBytes: $0) }
  }

  /// The RBlocks `from...to` (`to` 0 for the latest), at most `limit`.
  public func rblocks(from: UInt64, to: UInt64 = 0, limit: Int = 1000) throws -> [RBlock] {
    try read { db in
      try Data.fetchAll(
        db, sql: "SELECT block FROM rblock WHERE height >= ? AND height <= ? ORDER BY height LIMIT ?",
        arguments: [Int64(max(from, 1)), to == 0 ? Int64.max : Int64(to), limit])
    }.map { try RBlock(serializedBytes: $0) }
  }

  /// The RBlock headers `from...to`, for crediting their rewards (`BlockContext.rewardBlocks`).
  public func rblockHeaders(from: UInt64, to: UInt64) throws -> [RBlockHeader] {
    guard to >= from else { return [] }
    return try rblocks(from: from, to: to).map { try RBlockHeader(serializedBytes: $0.header) }
  }

  /// The height of the first RBlock that covers block `height` of `shard` (making it final), or nil.
  public func finalizingRBlock(shard: UInt32, height: UInt64) throws -> UInt64? {
    try read { db in
      try Int64.fetchOne(
        db,
        sql: """
          SELECT rblock_height FROM rblock_coverage WHERE shard = ? AND from_height <= ? AND to_height >= ?
          ORDER BY rblock_height LIMIT 1
          """, arguments: [Int64(shard), Int64(height), Int64(height)])
    }.map(UInt64.init)
  }

  /// Every validator's reputation as of the latest RBlock that reported it, sorted by address.
  public func reputation() throws -> [ReputationUpdate] {
    try read { db in try Data.fetchAll(db, sql: "SELECT update_bytes FROM reputation ORDER BY validator") }
      .map { try ReputationUpdate(serializedBytes: $0) }
  }

  /// The total rewards the stored RBlocks credited to `account`.
  public func rewardTotal(account: Data) throws -> UInt64 {
    try read { db in
      try Int64.fetchAll(db, sql: "SELECT amount FROM reward WHERE account = ?", arguments: [account])
    }.reduce(UInt64(0)) { total, amount in
      let (sum, overflow) = total.addingReportingOverflow(UInt64(bitPattern: amount))
      return overflow ? .max : sum
    }
  }
}

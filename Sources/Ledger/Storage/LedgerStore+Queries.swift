import ChainCrypto
import Foundation
import GRDB
import Wire

extension LedgerStore {
  // MARK: - Transactions

  /// A transaction's status as the client API reports it (TransactionStatus of healthchain.proto):
  /// where it was decided, its result, the entry bytes with their inclusion proof and the block
  /// header (so the client can check the proof offline), finality, and cross-shard progress. nil when
  /// no stored block holds it as a transaction of its home shard. When a transaction was included
  /// several times (a rejected copy, then an accepted one), the accepted inclusion is reported.
  public func transactionStatus(id: Data) throws -> TransactionStatus? {
    guard
      let row = try read({ db in
        try Row.fetchOne(
          db,
          sql: """
            SELECT shard, height, entry_index, accepted, status, code, reason, cross_shard, target_shard,
                   target_height, target_hash
            FROM tx_index WHERE tx_id = ? AND entry_type = 1
            ORDER BY (status = 1) DESC, height DESC LIMIT 1
            """, arguments: [id]
        ).map(IndexRow.init)
      })
    else { return nil }
    let shard = row.shard
    let height = row.height
    let index = row.index
    guard let block = try tblock(shard: shard, height: height), block.entries.indices.contains(index) else {
      throw LedgerStoreError.damaged(
        path: path, detail: "the index names block \(shard)/\(height) entry \(index), which is missing")
    }
    var status = TransactionStatus(txID: id)
    status.block = BlockRef(shard: shard, height: height, hash: BlockHashes.hash(header: block.header).data)
    status.index = UInt32(index)
    status.entry = block.entries[index]
    status.proof = try InclusionProofs.proof(entries: block.entries, index: index)
    status.blockHeader = block.header
    let applied = row.status == 1
    if applied {
      if let final = try finalizingRBlock(shard: shard, height: height) {
        status.state = .final
        status.rblockHeight = final
      } else {
        status.state = .shardCommitted
      }
    } else {
      status.state = .rejected
      status.reason = "\(row.code): \(row.reason)"
    }
    switch row.crossShard {
    case 1: status.crossShard = .pending
    case 2: status.crossShard = .applied
    case 3: status.crossShard = .aborted
    default: status.crossShard = .none
    }
    if let targetHeight = row.targetHeight, let targetShard = row.targetShard, let targetHash = row.targetHash
    {
      status.targetBlock = BlockRef(
        shard: UInt32(targetShard), height: UInt64(targetHeight), hash: targetHash)
    }
    return status
  }

  // MARK: - Wire.Records

  /// A record by id, from the shard that holds it.
  public func record(id: Data) throws -> Wire.Record? { try fetchMessage(StateKey.record(id)) }

  /// A page of `patient`'s records, oldest first: at most `pageSize` (1 to 100), after `pageToken`
  /// (empty for the first page). The returned token is empty on the last page.
  public func records(patient: Data, pageSize: Int = 100, pageToken: Data = Data()) throws -> (
    records: [Wire.Record], nextPageToken: Data
  ) {
    guard patient.count == Address.byteCount else {
      throw LedgerStoreError.invalidRequest("patient must be a 20-byte address, got \(patient.count) bytes")
    }
    let size = min(max(pageSize, 1), 100)
    let prefix = StateKey.indexPrefix(.recordsByPatient, party: patient)
    guard pageToken.isEmpty || (pageToken.count == prefix.count + 12 && pageToken.starts(with: prefix)) else {
      throw LedgerStoreError.invalidRequest("the page token is not one this query returned")
    }
    let shard = try shardHolding(patient)
    let rows = try indexRange(
      shard: shard, prefix: prefix, after: pageToken.isEmpty ? nil : pageToken, limit: size + 1)
    var records: [Wire.Record] = []
    for row in rows.prefix(size) {
      if let record: Wire.Record = try fetchMessage(StateKey.record(row.value), preferShard: shard) {
        records.append(record)
      }
    }
    let next = rows.count > size ? rows[size - 1].key : Data()
    return (records, next)
  }

  // MARK: - Grants and requests

  /// Grants a participant gave (`asGrantee` false: from its patient shard) or received (true: from its
  /// own shard's copies), oldest first. Without `includeInactive`, revoked grants and grants expired
  /// at `nowMs` are left out.
  public func grants(party: Data, asGrantee: Bool, includeInactive: Bool = false, nowMs: UInt64) throws
    -> [Grant]
  {
    guard party.count == Address.byteCount else {
      throw LedgerStoreError.invalidRequest("party must be a 20-byte address, got \(party.count) bytes")
    }
    let shard = try shardHolding(party)
    let rows = try indexRange(
      shard: shard, prefix: StateKey.indexPrefix(asGrantee ? .grantsReceived : .grantsGiven, party: party),
      after: nil,
      limit: Int.max)
    var grants: [Grant] = []
    for row in rows {
      guard let grant: Grant = try fetchMessage(StateKey.grant(row.value), preferShard: shard) else {
        continue
      }
      let active = !grant.revoked && (grant.expiresAtMs == 0 || grant.expiresAtMs > nowMs)
      if includeInactive || active { grants.append(grant) }
    }
    return grants
  }

  /// Access requests a participant made (`asRequester` true: its copies) or received (false: the
  /// patient's), oldest first, optionally only those in `state`.
  public func accessRequests(party: Data, asRequester: Bool, state: RequestState? = nil) throws
    -> [AccessRequest]
  {
    guard party.count == Address.byteCount else {
      throw LedgerStoreError.invalidRequest("party must be a 20-byte address, got \(party.count) bytes")
    }
    let shard = try shardHolding(party)
    let rows = try indexRange(
      shard: shard,
      prefix: StateKey.indexPrefix(asRequester ? .requestsMade : .requestsReceived, party: party),
      after: nil, limit: Int.max)
    var requests: [AccessRequest] = []
    for row in rows {
      guard let request: AccessRequest = try fetchMessage(StateKey.request(row.value), preferShard: shard)
      else {
        continue
      }
      if state == nil || request.state == state { requests.append(request) }
    }
    return requests
  }

  // MARK: - Helpers

  /// The shard of `address` under the stored network's shard count.
  func shardHolding(_ address: Data) throws -> UInt32 {
    guard
      let count = try read({ db in
        try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'shard_count'")
      }), count.count == 4
    else { throw LedgerStoreError.invalidRequest("the database has no genesis yet") }
    return shard(ofAddressBytes: address, shardCount: count.bigEndianInteger(at: 0, as: UInt32.self))
  }

  /// Index entries of `shard` under `prefix`, in key order, after `after`.
  func indexRange(shard: UInt32, prefix: Data, after: Data?, limit: Int) throws -> [(key: Data, value: Data)]
  {
    var bound = prefix
    bound.append(contentsOf: [UInt8](repeating: 0xff, count: 13))
    let upper = bound
    let lower = after ?? prefix
    let sqlLimit = Int64(clamping: limit)
    return try read { db in
      try Row.fetchAll(
        db,
        sql: "SELECT key, value FROM state WHERE shard = ? AND key > ? AND key <= ? ORDER BY key LIMIT ?",
        arguments: [Int64(shard), lower, upper, sqlLimit]
      ).map { (key: $0["key"] as Data, value: $0["value"] as Data) }
    }
  }
}

/// One row of `tx_index`, read out of GRDB's non-Sendable `Row`.
struct IndexRow: Sendable {
  var shard: UInt32
  var height: UInt64
  var index: Int
  var status: Int64
  var code: String
  var reason: String
  var crossShard: Int64
  var targetShard: Int64?
  var targetHeight: Int64?
  var targetHash: Data?

  init(_ row: Row) {
    shard = UInt32(row["shard"] as Int64)
    height = UInt64(row["height"] as Int64)
    index = Int(row["entry_index"] as Int64)
    status = row["status"]
    code = row["code"]
    reason = row["reason"]
    crossShard = row["cross_shard"]
    targetShard = row["target_shard"]
    targetHeight = row["target_height"]
    targetHash = row["target_hash"]
  }
}

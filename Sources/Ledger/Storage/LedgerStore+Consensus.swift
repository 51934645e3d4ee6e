import Foundation
import GRDB

extension LedgerStore {
  /// Saves a small durable record of the consensus engine (a proposal it voted for, its vote, its
  /// current view...) under `key`, replacing any previous value. Returns once the record is on disk
  /// (`synchronous = FULL`): a record saved before a vote is sent survives any crash after it.
  public func saveConsensusRecord(key: String, value: Data) throws {
    try write("saving consensus record \(key)") { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO consensus_record (key, value) VALUES (?, ?)", arguments: [key, value])
    }
  }

  /// Saves several records in one transaction (all or none).
  public func saveConsensusRecords(_ records: [(key: String, value: Data)]) throws {
    try write("saving \(records.count) consensus records") { db in
      for record in records {
        try db.execute(
          sql: "INSERT OR REPLACE INTO consensus_record (key, value) VALUES (?, ?)",
          arguments: [record.key, record.value])
      }
    }
  }

  /// The record saved under `key`, or nil.
  public func consensusRecord(key: String) throws -> Data? {
    try read { db in
      try Data.fetchOne(db, sql: "SELECT value FROM consensus_record WHERE key = ?", arguments: [key])
    }
  }

  /// Every record whose key starts with `prefix`, sorted by key.
  public func consensusRecords(prefix: String) throws -> [(key: String, value: Data)] {
    try read { db in
      try Row.fetchAll(
        db, sql: "SELECT key, value FROM consensus_record WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        arguments: [prefix]
      ).map { (key: $0["key"] as String, value: $0["value"] as Data) }
    }
  }

  /// Deletes the records whose keys start with `prefix` (e.g. the votes of heights now committed).
  public func deleteConsensusRecords(prefix: String) throws {
    try write("deleting consensus records \(prefix)*") { db in
      try db.execute(
        sql: "DELETE FROM consensus_record WHERE substr(key, 1, length(?1)) = ?1", arguments: [prefix])
    }
  }
}

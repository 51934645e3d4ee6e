import Foundation
import GRDB

/// The consensus engine's durable records (`Ready.persist`) in their own SQLite database, in WAL mode with
/// `synchronous = FULL`: ``write(_:)`` returns once the records of one step are on disk, all or none, so
/// nothing a message depends on is lost by a crash after the message was sent (docs/protocol.md §8).
///
/// A database of its own rather than the ledger's `consensus_record` table because one step both
/// replaces and deletes keys and must do so in one transaction.
final class ConsensusJournal: Sendable {
  /// The database file.
  let path: String
  private let queue: DatabaseQueue

  /// Opens (creating if needed) the journal at `path`.
  init(path: String) throws {
    self.path = path
    var configuration = Configuration()
    configuration.label = "consensus-journal"
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    queue = try DatabaseQueue(path: path, configuration: configuration)
    try queue.writeWithoutTransaction { db in
      _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
      try db.execute(
        sql:
          "CREATE TABLE IF NOT EXISTS record (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID"
      )
    }
  }

  /// Every record, by key.
  func records() throws -> [String: Data] {
    try queue.read { db in
      var records: [String: Data] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT key, value FROM record") {
        records[row["key"]] = row["value"] as Data
      }
      return records
    }
  }

  /// Writes one step's records in one transaction: each replaces what is stored under its key, a nil
  /// value deletes it. Later records of the list win over earlier ones with the same key.
  func write(_ records: [(key: String, value: Data?)]) throws {
    guard !records.isEmpty else { return }
    try queue.write { db in
      for record in records {
        if let value = record.value {
          try db.execute(
            sql: "INSERT OR REPLACE INTO record (key, value) VALUES (?, ?)", arguments: [record.key, value])
        } else {
          try db.execute(sql: "DELETE FROM record WHERE key = ?", arguments: [record.key])
        }
      }
    }
  }
}

import GRDB

/// The tables of the ledger database (docs/ledger.md, "Storage format"). Integers are SQLite
/// integers (heights fit in 63 bits); hashes, addresses, keys and values are blobs; blocks and
/// headers are stored as their exact wire bytes.
enum LedgerSchema {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value BLOB NOT NULL
          ) WITHOUT ROWID;

          CREATE TABLE tblock (
            shard INTEGER NOT NULL,
            height INTEGER NOT NULL,
            hash BLOB NOT NULL,
            header BLOB NOT NULL,
            block BLOB NOT NULL,
            state_root BLOB NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            rblock_height INTEGER NOT NULL,
            entry_count INTEGER NOT NULL,
            accepted_count INTEGER NOT NULL,
            PRIMARY KEY (shard, height)
          ) WITHOUT ROWID;
          CREATE UNIQUE INDEX tblock_by_hash ON tblock(hash);

          CREATE TABLE tx_index (
            tx_id BLOB NOT NULL,
            shard INTEGER NOT NULL,
            height INTEGER NOT NULL,
            entry_index INTEGER NOT NULL,
            entry_type INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            status INTEGER NOT NULL,
            code TEXT NOT NULL,
            reason TEXT NOT NULL,
            cross_shard INTEGER NOT NULL,
            target_shard INTEGER,
            target_height INTEGER,
            target_hash BLOB,
            PRIMARY KEY (tx_id, shard, height, entry_index)
          ) WITHOUT ROWID;

          CREATE TABLE emitted_receipt (
            shard INTEGER NOT NULL,
            height INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            entry_index INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            tx_id BLOB NOT NULL,
            target_shard INTEGER NOT NULL,
            receipt_id BLOB NOT NULL,
            PRIMARY KEY (shard, height, seq)
          ) WITHOUT ROWID;

          CREATE TABLE state (
            shard INTEGER NOT NULL,
            key BLOB NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (shard, key)
          ) WITHOUT ROWID;

          CREATE TABLE rblock (
            height INTEGER PRIMARY KEY,
            hash BLOB NOT NULL UNIQUE,
            header BLOB NOT NULL,
            block BLOB NOT NULL,
            epoch INTEGER NOT NULL,
            timestamp_ms INTEGER NOT NULL
          );

          CREATE TABLE rblock_coverage (
            rblock_height INTEGER NOT NULL,
            shard INTEGER NOT NULL,
            from_height INTEGER NOT NULL,
            to_height INTEGER NOT NULL,
            PRIMARY KEY (shard, rblock_height)
          ) WITHOUT ROWID;

          CREATE TABLE reputation (
            validator BLOB PRIMARY KEY,
            rblock_height INTEGER NOT NULL,
            reputation_ppm INTEGER NOT NULL,
            update_bytes BLOB NOT NULL
          ) WITHOUT ROWID;

          CREATE TABLE reward (
            rblock_height INTEGER NOT NULL,
            account BLOB NOT NULL,
            amount INTEGER NOT NULL,
            PRIMARY KEY (account, rblock_height)
          ) WITHOUT ROWID;

          CREATE TABLE consensus_record (
            key TEXT PRIMARY KEY,
            value BLOB NOT NULL
          ) WITHOUT ROWID;
          """)
    }
    return migrator
  }
}

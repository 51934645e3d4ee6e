import ChainCrypto
import Foundation
import GRDB
import Wire

/// The node's durable ledger: one SQLite database (through GRDB) in WAL mode with
/// `synchronous = FULL`, holding the TBlocks of the shards the node keeps, their state, the
/// transaction index, the RChain, and the consensus engine's own records (docs/ledger.md,
/// "Storage format").
///
/// A block, its state changes, its index entries and its receipts are written in one SQLite
/// transaction: after a crash the database holds every block whose `commit` returned, and nothing of
/// a block whose `commit` did not. Opening checks the file (`PRAGMA quick_check`) and the ledger's
/// own invariants (each shard's hash chain near its head, and, with `verifyState`, the stored state
/// against the head's state root) and names the file and the remedy when they fail.
public final class LedgerStore: Sendable {
  /// The database file.
  public let path: String
  let pool: DatabasePool

  /// How thoroughly `open` checks an existing database.
  public struct OpenOptions: Sendable {
    /// Recompute every held shard's state root from the stored state and compare it with the head's
    /// (reads the whole state; what `loadState` does anyway).
    public var verifyState: Bool
    /// How many blocks below each shard's head to check for hash links.
    public var chainCheckDepth: Int
    /// SQLite's `max_page_count`: a hard size limit in pages, for tests of a full disk where no
    /// size-limited file system is available. nil leaves SQLite's default.
    public var maxPageCount: Int?

    public init(verifyState: Bool = true, chainCheckDepth: Int = 64, maxPageCount: Int? = nil) {
      self.verifyState = verifyState
      self.chainCheckDepth = chainCheckDepth
      self.maxPageCount = maxPageCount
    }
  }

  /// Opens (creating if needed) the database at `path` and checks it.
  public init(path: String, options: OpenOptions = OpenOptions()) throws {
    self.path = path
    var configuration = Configuration()
    configuration.label = "ledger"
    configuration.busyMode = .timeout(10)
    let maxPageCount = options.maxPageCount
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
      if let maxPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
    }
    do {
      pool = try DatabasePool(path: path, configuration: configuration)
    } catch {
      throw Self.mapOpen(error, path: path)
    }
    try checkFile()
    do {
      try LedgerSchema.migrator.migrate(pool)
    } catch {
      throw Self.mapOpen(error, path: path)
    }
    try checkChains(depth: options.chainCheckDepth)
    if options.verifyState {
      for shard in try heldShards() { _ = try loadState(shard: shard) }
    }
  }

  // MARK: - Network

  /// Makes the genesis state of `shards` (those not yet present) and records the network. Fails with
  /// `wrongNetwork` if the database belongs to another genesis.
  public func initialize(genesis: Genesis, shards: [UInt32]) throws {
    let parameters = try ChainParameters(genesis: genesis)
    let genesisHash = SHA256.hash(try genesis.serializedData()).data
    let states = try shards.map { ($0, try GenesisState.state(for: genesis, shard: $0)) }
    try write("initializing the genesis") { db in
      if let stored = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'genesis_hash'") {
        guard stored == genesisHash else {
          throw LedgerStoreError.wrongNetwork(
            path: self.path,
            detail:
              "its genesis hash is \(stored.hexString), the configured genesis hashes to \(genesisHash.hexString)"
          )
        }
      } else {
        try db.execute(
          sql:
            "INSERT INTO meta (key, value) VALUES ('genesis_hash', ?), ('chain_id', ?), ('shard_count', ?)",
          arguments: [genesisHash, Data(parameters.chainID.utf8), parameters.shardCount.bigEndianBytes])
      }
      for (shard, state) in states {
        let key = "genesis_root/\(shard)"
        guard try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) == nil
        else {
          continue
        }
        try db.execute(
          sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [key, state.stateRoot.data])
        for entry in state.sortedEntries {
          try db.execute(
            sql: "INSERT INTO state (shard, key, value) VALUES (?, ?, ?)",
            arguments: [Int64(shard), entry.key, entry.value])
        }
      }
    }
  }

  /// The shards whose state this database holds.
  public func heldShards() throws -> [UInt32] {
    try read { db in
      try String.fetchAll(
        db, sql: "SELECT key FROM meta WHERE key LIKE 'genesis_root/%' OR key LIKE 'base/%'"
      )
      .compactMap { UInt32($0.split(separator: "/").last ?? "") }
    }.reduce(into: [UInt32]()) { if !$0.contains($1) { $0.append($1) } }.sorted()
  }

  // MARK: - Checks at open

  private func checkFile() throws {
    let result: [String]
    do {
      result = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
    } catch {
      throw Self.mapOpen(error, path: path)
    }
    guard result == ["ok"] else {
      throw LedgerStoreError.damaged(
        path: path, detail: "PRAGMA quick_check reports: " + result.prefix(5).joined(separator: "; "))
    }
  }

  /// Checks each shard's chain near its head: contiguous heights, header hashes, previous hashes.
  private func checkChains(depth: Int) throws {
    let heads = try read { db in
      try Row.fetchAll(db, sql: "SELECT shard, MAX(height) AS height FROM tblock GROUP BY shard").map {
        (shard: $0["shard"] as Int64, height: $0["height"] as Int64)
      }
    }
    for (shard, head) in heads {
      let blocks = try read { db in
        try Row.fetchAll(
          db,
          sql: "SELECT height, hash, header FROM tblock WHERE shard = ? AND height > ? ORDER BY height",
          arguments: [shard, head - Int64(depth) - 1]
        ).map { (height: $0["height"] as Int64, hash: $0["hash"] as Data, header: $0["header"] as Data) }
      }
      var previous: (height: Int64, hash: Data)?
      for block in blocks {
        let height = block.height
        let hash = block.hash
        let headerBytes = block.header
        guard let header = try? TBlockHeader(serializedBytes: headerBytes) else {
          throw LedgerStoreError.damaged(
            path: path, detail: "the header of block \(shard)/\(height) does not decode")
        }
        guard BlockHashes.hash(header: headerBytes).data == hash, Int64(header.height) == height,
          Int64(header.shard) == shard
        else {
          throw LedgerStoreError.damaged(
            path: path, detail: "block \(shard)/\(height) does not hash to its stored hash \(hash.hexString)")
        }
        if let previous {
          guard previous.height + 1 == height, header.previousHash == previous.hash else {
            throw LedgerStoreError.damaged(
              path: path,
              detail: "block \(shard)/\(height) does not link to block \(shard)/\(previous.height)")
          }
        }
        previous = (height, hash)
      }
    }
  }

  // MARK: - Access

  func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
    do { return try pool.read(body) } catch let error as LedgerStoreError { throw error } catch {
      throw Self.map(error, path: path, doing: "reading")
    }
  }

  func write<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws -> T {
    do { return try pool.write(body) } catch let error as LedgerStoreError { throw error } catch {
      throw Self.map(error, path: path, doing: what)
    }
  }

  static func map(_ error: any Error, path: String, doing what: String) -> any Error {
    guard let error = error as? DatabaseError else { return error }
    switch error.resultCode {
    case .SQLITE_FULL:
      return LedgerStoreError.diskFull(
        path: path, detail: "\(what) failed (\(error.message ?? "database or disk is full"))")
    case .SQLITE_IOERR
    where error.extendedResultCode == .SQLITE_IOERR_WRITE
      || error.extendedResultCode == .SQLITE_IOERR_FSYNC:
      if errno == ENOSPC {
        return LedgerStoreError.diskFull(
          path: path, detail: "\(what) failed: \(error.message ?? "write error")")
      }
      return LedgerStoreError.sqlite(path: path, detail: "\(what) failed: \(error)")
    case .SQLITE_CORRUPT, .SQLITE_NOTADB:
      return LedgerStoreError.damaged(path: path, detail: "\(what): \(error.message ?? "\(error)")")
    default:
      return LedgerStoreError.sqlite(path: path, detail: "\(what) failed: \(error)")
    }
  }

  static func mapOpen(_ error: any Error, path: String) -> any Error {
    if let error = error as? DatabaseError,
      [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode)
    {
      return LedgerStoreError.damaged(
        path: path, detail: "SQLite cannot read it: \(error.message ?? "\(error)")")
    }
    return map(error, path: path, doing: "opening")
  }
}

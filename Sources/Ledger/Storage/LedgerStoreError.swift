import Foundation

/// Why the ledger database cannot be used or a write failed. Every message names the file and says
/// what to do.
public enum LedgerStoreError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The database is damaged (SQLite's `quick_check` or the ledger's own checks failed at open).
  case damaged(path: String, detail: String)
  /// The device holding the database is full: the write failed and nothing was changed.
  case diskFull(path: String, detail: String)
  /// The database was made for another network.
  case wrongNetwork(path: String, detail: String)
  /// A block that does not extend the stored chain (height, previous hash, parent state root).
  case notNextBlock(path: String, detail: String)
  /// A request the store cannot serve (unknown shard, bad page token, ...).
  case invalidRequest(String)
  /// Any other SQLite failure.
  case sqlite(path: String, detail: String)

  public var description: String {
    switch self {
    case .damaged(let path, let detail):
      "ledger database \(path) is damaged: \(detail). Stop the node, move \(path) and its -wal and -shm files "
        + "aside (keep them for diagnosis), and restart: the node recreates the database from the genesis and "
        + "catches up by block sync (docs/ledger.md, \"Recovery\")"
    case .diskFull(let path, let detail):
      "no space left on the device holding ledger database \(path): \(detail). Nothing was written; free space "
        + "on that device (or move the data directory) and retry"
    case .wrongNetwork(let path, let detail):
      "ledger database \(path) belongs to another network: \(detail). Point the node at its own data directory"
    case .notNextBlock(let path, let detail):
      "block refused by ledger database \(path): \(detail)"
    case .invalidRequest(let detail):
      "invalid ledger query: \(detail)"
    case .sqlite(let path, let detail):
      "ledger database \(path): \(detail)"
    }
  }
}

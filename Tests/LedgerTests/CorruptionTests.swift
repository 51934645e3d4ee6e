import ChainCrypto
import Foundation
import GRDB
import Testing
import Wire

@testable import Ledger

/// A damaged database is detected at open, with an error that names the file and says what to do.
@Suite struct CorruptionTests {
  /// A store with a few blocks, closed.
  static func makeStore(at path: String) throws -> StorageTests.Workload {
    let work = try StorageTests.Workload()
    let store = try LedgerStore(path: path)
    try work.persist(into: store)
    return work
  }

  func expectDamaged(_ path: String, _ contains: String? = nil) {
    do {
      _ = try LedgerStore(path: path)
      Issue.record("a damaged database was opened")
    } catch let error as LedgerStoreError {
      guard case .damaged = error else {
        Issue.record("expected .damaged, got \(error)")
        return
      }
      let text = "\(error)"
      #expect(text.contains(path), "the message names the file")
      #expect(text.contains("move \(path)"), "the message says what to do")
      if let contains { #expect(text.contains(contains), "\(text)") }
    } catch {
      Issue.record("expected LedgerStoreError, got \(error)")
    }
  }

  @Test func aFileThatIsNotADatabase() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: path))
    expectDamaged(path)
  }

  @Test func overwrittenPages() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    _ = try Self.makeStore(at: path)
    // Closing the last connection checkpointed the WAL into the file; damage its second half.
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    let size = try handle.seekToEnd()
    #expect(size > 16 * 4096)
    for page in stride(from: size / 2 / 4096, to: size / 4096, by: 2) {
      try handle.seek(toOffset: page * 4096 + 100)
      handle.write(Data(repeating: 0xa5, count: 3000))
    }
    try handle.close()
    expectDamaged(path)
  }

  @Test func stateChangedBehindTheLedgersBack() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    let work = try Self.makeStore(at: path)
    // A valid SQLite edit that breaks the ledger's invariant: the state no longer has the head's root.
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(
        sql: "UPDATE state SET value = x'00' WHERE shard = 0 AND key = ?",
        arguments: [StateKey.account(work.pop.net.admin.address.rawRepresentation)])
    }
    try queue.close()
    expectDamaged(path, "the stored state of shard 0 has root")
  }

  @Test func brokenHashChain() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    _ = try Self.makeStore(at: path)
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(sql: "UPDATE tblock SET hash = zeroblob(32) WHERE shard = 1 AND height = 2")
    }
    try queue.close()
    expectDamaged(path, "block 1/2 does not hash to its stored hash")
  }
}

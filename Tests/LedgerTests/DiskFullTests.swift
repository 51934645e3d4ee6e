import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// A full disk fails the write with a clear error and leaves no partial state.
///
/// Two real limits: a size-limited tmpfs mounted for the test when the machine allows it (root with
/// CAP_SYS_ADMIN; the test says so and skips that part otherwise), and SQLite's own
/// `max_page_count`, which fails writes with SQLITE_FULL exactly like a full device.
@Suite(.serialized) struct DiskFullTests {
  /// Commits transfer blocks of `entriesPerBlock` until a write fails; returns the failure and the
  /// number of blocks stored. Each block also carries large access-request reasons to fill pages fast.
  static func fill(store: LedgerStore, net: inout TestNetwork, maxBlocks: Int = 400) throws -> (
    any Error, Int
  )? {
    try store.initialize(genesis: net.genesis, shards: [0])
    let ledger = try ShardLedger(store: store, shard: 0)
    let clinician = net.newKey("clinician-full", shard: 0)
    let patient = net.newKey("patient-full", shard: 0)
    for (index, tx) in [net.register(clinician, .clinician), net.register(patient, .patient)].enumerated() {
      let (block, _) = try net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
      _ = index
      try ledger.commit(block, context: try context(net, block))
    }
    for count in 0..<maxBlocks {
      let entries = (0..<20).map { offset in
        TestNetwork.entry(
          net.sign(
            clinician,
            .requestAccess(
              RequestAccess(
                patient: patient.address.rawRepresentation, reason: String(repeating: "r", count: 500))),
            nonce: net.nextNonce(clinician) + UInt64(offset)))
      }
      var attempt = net
      let (block, _) = try attempt.commit(shard: 0, entries: entries)
      do {
        try ledger.commit(block, context: try context(attempt, block))
      } catch {
        #expect(ledger.state.stateRoot == net.states[0].stateRoot, "the in-memory state did not move")
        return (error, count)
      }
      net = attempt
    }
    return nil
  }

  static func context(_ net: TestNetwork, _ block: TBlock) throws -> BlockContext {
    try BlockContext(parameters: net.parameters, headerBytes: block.header, membership: net.membership)
  }

  /// After a failed write: the error is `diskFull` naming the file; the database reopens at the last
  /// stored block with a state matching its root.
  static func checkAfterFailure(_ error: any Error, path: String, net: TestNetwork) throws {
    guard case .diskFull(let errorPath, _)? = error as? LedgerStoreError else {
      Issue.record("expected diskFull, got \(error)")
      return
    }
    #expect(errorPath == path)
    #expect("\(error)".contains("no space left"))
    #expect("\(error)".contains("Nothing was written"))
  }

  @Test func sqliteMaxPageCount() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("ledger.sqlite")
    var net = try TestNetwork()
    let store = try LedgerStore(path: path, options: .init(maxPageCount: 120))
    let (error, stored) = try #require(try Self.fill(store: store, net: &net))
    #expect(stored > 0)
    try Self.checkAfterFailure(error, path: path, net: net)
    let reopened = try LedgerStore(path: path)
    #expect(try reopened.head(shard: 0).height == net.parents[0].height)
    #expect(try reopened.loadState(shard: 0).stateRoot == net.states[0].stateRoot)
  }

  @Test func sizeLimitedFileSystem() throws {
    let dir = TemporaryDirectory("tmpfs")
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=3m", "tmpfs", dir.path]
    mount.standardError = FileHandle.nullDevice
    guard (try? mount.run()) != nil,
      ({
        mount.waitUntilExit(); return mount.terminationStatus == 0
      })()
    else {
      print("DiskFullTests: cannot mount a tmpfs here (needs root); covered by sqliteMaxPageCount only")
      return
    }
    defer {
      let umount = Process()
      umount.executableURL = URL(fileURLWithPath: "/bin/umount")
      umount.arguments = [dir.path]
      try? umount.run()
      umount.waitUntilExit()
    }
    let path = dir.path + "/ledger.sqlite"
    let filler = URL(fileURLWithPath: dir.path + "/filler")
    try Data(count: 512 << 10).write(to: filler)
    var net = try TestNetwork()
    var store: LedgerStore? = try LedgerStore(path: path)
    let (error, stored) = try #require(try Self.fill(store: store!, net: &net, maxBlocks: 2000))
    #expect(stored > 0)
    try Self.checkAfterFailure(error, path: path, net: net)
    store = nil
    // Free space, reopen: the last stored block is the head, the state is whole, and writing goes on.
    try FileManager.default.removeItem(at: filler)
    let reopened = try LedgerStore(path: path)
    #expect(try reopened.head(shard: 0).height == net.parents[0].height)
    #expect(try reopened.loadState(shard: 0).stateRoot == net.states[0].stateRoot)
    let (block, outcome) = try net.commit(shard: 0, entries: [])
    #expect(
      try ShardLedger(store: reopened, shard: 0).commit(block, context: try Self.context(net, block))
        .stateRoot == outcome.stateRoot)
  }
}

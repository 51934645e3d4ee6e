import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

#if canImport(Glibc)
  import Glibc
#endif

/// Crash safety, tested: a writer process (Tools/LedgerCrashWriter) commits blocks in a loop and is
/// killed with SIGKILL at random points, many times over. After each kill the database must open
/// cleanly, hold every block the writer reported as committed (same hashes), and its stored state
/// must equal a replay of the stored blocks from genesis (same state root after every block).
@Suite(.serialized) struct CrashTests {
  static let participantCount = 8

  static func key(_ name: String) -> Ed25519.PrivateKey {
    try! Ed25519.PrivateKey(rawRepresentation: SHA256.hash(Data(name.utf8)).data)
  }

  /// The writer's genesis: one shard of 3 validators, 8 participants with tokens to move around.
  static func genesis() -> Genesis {
    Genesis(
      chainID: "crash-test", genesisTimeMs: 1_700_000_000_000, params: ConsensusParams(shardCount: 1),
      validators: (0..<3).map {
        GenesisValidator(name: "v\($0)", publicKey: key("crash-validator-\($0)").publicKey.rawRepresentation)
      },
      participants: (0..<participantCount).map {
        GenesisParticipant(
          publicKey: key("crash-participant-\($0)").publicKey.rawRepresentation, role: .hospital,
          organisation: "o",
          balance: 1_000_000_000)
      })
  }

  /// The writer executable, next to the test binary (or in $SEHC_BIN_DIR).
  static func writerPath() throws -> String {
    var directories: [String] = []
    if let dir = ProcessInfo.processInfo.environment["SEHC_BIN_DIR"] { directories.append(dir) }
    directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
    directories.append(URL(fileURLWithPath: Bundle.main.bundlePath).deletingLastPathComponent().path)
    directories.append(Bundle.main.bundlePath)
    for dir in directories where FileManager.default.isExecutableFile(atPath: dir + "/ledger-crash-writer") {
      return dir + "/ledger-crash-writer"
    }
    throw LedgerError.invalidBlock(
      "ledger-crash-writer not found in \(directories); build it with `swift build` (or set SEHC_BIN_DIR)")
  }

  /// Replays stored blocks on top of a state, checking each block's stored root.
  struct Replay {
    let parameters: ChainParameters
    let membership: MembershipDirectory
    var state: ShardState
    var hashes: [Data] = []

    mutating func apply(_ block: TBlock, storedRoot: Data) throws {
      let header = try TBlockHeader(serializedBytes: block.header)
      let members = membership.members(shard: 0, epoch: 0)!
      let parent = TBlocks.Parent(
        height: UInt64(hashes.count), hash: hashes.last ?? BlockHashes.zero, timestampMs: 0, rblockHeight: 0,
        stateRoot: state.stateRoot.data)
      let verified = try TBlocks.verify(block, parameters: parameters, members: members, parent: parent)
      let context = BlockContext(
        parameters: parameters, header: header, blockHash: verified.header.hash, membership: membership)
      let outcome = try LedgerExecutor.apply(
        entries: block.entries, decision: block.decision, context: context, state: state)
      state.apply(outcome.changes)
      #expect(
        state.stateRoot.data == storedRoot, "block \(header.height): stored root differs from the replay")
      hashes.append(verified.header.hash.data)
    }
  }

  @Test func killedWriterLosesNoCommittedBlock() throws {
    let dir = TemporaryDirectory("crash")
    let database = dir.file("ledger.sqlite")
    let genesisFile = dir.file("genesis.binpb")
    let genesis = Self.genesis()
    try genesis.serializedData().write(to: URL(fileURLWithPath: genesisFile))
    let writer = try Self.writerPath()
    let parameters = try ChainParameters(genesis: genesis)
    let membership = try MembershipDirectory(
      validators: genesis.validators,
      assignments: [
        ShardAssignment(
          epoch: 0,
          shards: [
            ShardMembers(
              shard: 0, members: (0..<3).map { Self.key("crash-validator-\($0)").address.rawRepresentation })
          ])
      ])
    var replay = Replay(
      parameters: parameters, membership: membership, state: try GenesisState.state(for: genesis, shard: 0))
    var reported: [UInt64: (hash: String, root: String)] = [:]
    var generator = SystemRandomNumberGenerator()
    let started = ContinuousClock.now
    var iterations = 0
    var killedMidWrite = 0
    var committed: UInt64 = 0
    // 40 kills, and at least 21 blocks so that the kills land in a real history: on a loaded machine the
    // writer starts slowly and commits little before each kill, so the loop runs on (up to 90 s).
    while iterations < 40 || committed <= 20, ContinuousClock.now - started < .seconds(90) {
      iterations += 1
      let process = Process()
      process.executableURL = URL(fileURLWithPath: writer)
      process.arguments = [database, genesisFile, String(iterations)]
      let output = Pipe()
      process.standardOutput = output
      let errors = Pipe()
      process.standardError = errors
      try process.run()
      usleep(UInt32.random(in: 30_000...450_000, using: &generator))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      #expect(stderr.isEmpty, "the writer failed: \(stderr)")
      #expect(process.terminationReason == .uncaughtSignal)
      for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard fields.count == 4, fields[0] == "committed", let height = UInt64(fields[1]) else {
          Issue.record("unexpected writer output: \(line)")
          continue
        }
        reported[height] = (String(fields[2]), String(fields[3]))
      }

      // Reopen: the open-time checks pass (quick_check, hash chain, state against the head's root).
      let store = try LedgerStore(path: database)
      // A kill before the writer's first `initialize` committed leaves a database with no shard yet:
      // legitimate only while nothing was reported committed.
      if try store.heldShards().isEmpty {
        #expect(reported.isEmpty, "blocks were reported committed but the database holds no shard")
        continue
      }
      let head = try store.head(shard: 0)
      let highest = reported.keys.max() ?? 0
      #expect(head.height >= highest, "reported block \(highest) is missing: head is \(head.height)")
      if head.height > highest { killedMidWrite += 1 }
      // Every reported block is there, unchanged.
      for (height, expected) in reported where height > UInt64(replay.hashes.count) || height == highest {
        let block = try #require(try store.tblock(shard: 0, height: height))
        #expect(BlockHashes.hash(header: block.header).hex == expected.hash, "block \(height) changed")
        #expect(try store.stateRoot(shard: 0, height: height)?.hexString == expected.root)
      }
      // Blocks replayed in earlier rounds are unchanged; the new ones replay to the stored roots.
      for (index, hash) in replay.hashes.enumerated()
      where index % 16 == 0 || index == replay.hashes.count - 1 {
        #expect(
          try store.tblock(shard: 0, height: UInt64(index + 1)).map {
            BlockHashes.hash(header: $0.header).data
          } == hash)
      }
      let fresh = try store.tblocks(shard: 0, from: UInt64(replay.hashes.count + 1), to: head.height)
      for block in fresh {
        let height = try TBlockHeader(serializedBytes: block.header).height
        try replay.apply(block, storedRoot: try #require(try store.stateRoot(shard: 0, height: height)))
      }
      #expect(try store.loadState(shard: 0).stateRoot == replay.state.stateRoot)
      #expect(try store.consensusRecord(key: "tchain/0/vote") != nil || head.height == 0)
      committed = head.height
    }
    // A final full replay from genesis of everything stored.
    let store = try LedgerStore(path: database)
    var full = Replay(
      parameters: parameters, membership: membership, state: try GenesisState.state(for: genesis, shard: 0))
    let head = try store.head(shard: 0)
    var height: UInt64 = 1
    while height <= head.height {
      for block in try store.tblocks(shard: 0, from: height, to: head.height, limit: 200) {
        try full.apply(block, storedRoot: try #require(try store.stateRoot(shard: 0, height: height)))
        height += 1
      }
    }
    #expect(full.state.stateRoot.data == head.stateRoot)
    #expect(iterations >= 10)
    #expect(head.height > 20, "the writer committed too few blocks to mean anything")
    print(
      "CrashTests: \(iterations) kills, \(head.height) blocks, \(killedMidWrite) kills after a commit before its report"
    )
  }
}

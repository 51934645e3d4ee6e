import ChainCrypto
import Foundation
import GRDB
import Synchronization
import Testing
import Wire

@testable import Ledger

/// The SQLite store: blocks with their state and indexes, queries, consensus records, snapshots,
/// RBlocks and finality.
@Suite struct StorageTests {
  /// A population with a workload of every kind, committed in both shards.
  struct Workload {
    var pop: Population
    var recordIDs: [Data] = []
    var crossTransfer = Data()
    var grantID = Data()
    var requestID = Data()
    var rejectedTransfer = Data()

    init() throws {
      pop = try Population()
      for index in 0..<5 {
        recordIDs.append(try pop.putRecord(pop.clinician0, for: pop.patient0, content: "r\(index)"))
      }
      recordIDs.append(try pop.putRecord(pop.clinician1, for: pop.patient0, content: "cross"))
      let transfer = pop.net.sign(
        pop.net.admin, .transfer(Transfer(recipient: pop.patient1.address.rawRepresentation, amount: 7)))
      crossTransfer = SHA256.hash(transfer.body).data
      try pop.runAndRelay(transfer)
      let grant = pop.net.sign(
        pop.patient0, .grantAccess(GrantAccess(grantee: pop.clinician1.address.rawRepresentation)))
      grantID = SHA256.hash(grant.body).data
      try pop.runAndRelay(grant)
      let request = pop.net.sign(
        pop.clinician1,
        .requestAccess(RequestAccess(patient: pop.patient0.address.rawRepresentation, reason: "r")))
      requestID = SHA256.hash(request.body).data
      try pop.runAndRelay(request)
      let broke = pop.net.sign(
        pop.patient0, .transfer(Transfer(recipient: pop.net.admin.address.rawRepresentation, amount: 5)))
      rejectedTransfer = SHA256.hash(broke.body).data
      try pop.net.run(broke)
    }

    /// Writes every committed block, in commit order, into a store holding both shards.
    func persist(into store: LedgerStore) throws {
      try store.initialize(genesis: pop.net.genesis, shards: [0, 1])
      let ledgers = try [ShardLedger(store: store, shard: 0), ShardLedger(store: store, shard: 1)]
      for (shard, block, outcome) in pop.net.log {
        let context = try BlockContext(
          parameters: pop.net.parameters, headerBytes: block.header, membership: pop.net.membership)
        let stored = try ledgers[Int(shard)].commit(block, context: context)
        #expect(stored.stateRoot == outcome.stateRoot)
      }
    }
  }

  @Test func blocksStateAndQueriesRoundTrip() throws {
    let dir = TemporaryDirectory()
    let work = try Workload()
    let net = work.pop.net
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    try work.persist(into: store)

    for shard in [UInt32(0), 1] {
      #expect(try store.loadState(shard: shard).stateRoot == net.states[Int(shard)].stateRoot)
      let head = try store.head(shard: shard)
      #expect(head.height == UInt64(net.blocks[Int(shard)].count))
      #expect(head.parent == net.parents[Int(shard)])
      #expect(try store.tblock(shard: shard, height: 0) == net.blocks[Int(shard)].last)
      #expect(try store.tblock(shard: shard, height: 2) == net.blocks[Int(shard)][1])
      #expect(try store.tblocks(shard: shard, from: 2, to: 4) == Array(net.blocks[Int(shard)][1...3]))
    }
    #expect(try store.tblock(shard: 0, height: 999) == nil)

    // A transaction with its block, index, entry and proof, checkable offline.
    let status = try #require(try store.transactionStatus(id: work.recordIDs[0]))
    #expect(status.state == .shardCommitted)
    #expect(status.block?.shard == 0)
    let proof = try #require(status.proof)
    let header = try InclusionProofs.verify(entry: status.entry, proof: proof, header: status.blockHeader)
    #expect(BlockHashes.hash(header: status.blockHeader).data == status.block?.hash)
    #expect(header.height == status.block?.height)

    // Cross-shard progress: the lab... the admin's transfer to patient1 was applied by shard 1.
    let cross = try #require(try store.transactionStatus(id: work.crossTransfer))
    #expect(cross.crossShard == .applied)
    #expect(cross.targetBlock?.shard == 1)

    // A rejected transaction with its reason.
    let rejected = try #require(try store.transactionStatus(id: work.rejectedTransfer))
    #expect(rejected.state == .rejected)
    #expect(rejected.reason.hasPrefix("insufficient_balance: "))
    #expect(try store.transactionStatus(id: Data(count: 32)) == nil)

    // Records by patient, paged, oldest first.
    let patient = work.pop.patient0.address.rawRepresentation
    let first = try store.records(patient: patient, pageSize: 4)
    #expect(first.records.map(\.recordID) == Array(work.recordIDs.prefix(4)))
    #expect(!first.nextPageToken.isEmpty)
    let second = try store.records(patient: patient, pageSize: 4, pageToken: first.nextPageToken)
    #expect(second.records.map(\.recordID) == Array(work.recordIDs.suffix(2)))
    #expect(second.nextPageToken.isEmpty)
    #expect(throws: LedgerStoreError.self) { try store.records(patient: patient, pageToken: Data([1, 2])) }
    #expect(try store.record(id: work.recordIDs[5])?.author == work.pop.clinician1.address.rawRepresentation)

    // Grants and requests by party, from the patient's side and the other party's.
    let now = net.timestampMs
    #expect(try store.grants(party: patient, asGrantee: false, nowMs: now).map(\.grantID) == [work.grantID])
    #expect(
      try store.grants(party: work.pop.clinician1.address.rawRepresentation, asGrantee: true, nowMs: now).map(
        \.grantID)
        == [work.grantID])
    #expect(try store.accessRequests(party: patient, asRequester: false).map(\.requestID) == [work.requestID])
    #expect(
      try store.accessRequests(
        party: work.pop.clinician1.address.rawRepresentation, asRequester: true, state: .pending
      )
      .map(\.requestID) == [work.requestID])
    #expect(try store.accessRequests(party: patient, asRequester: false, state: .approved).isEmpty)

    // Accounts.
    #expect(try store.account(work.pop.patient1.address.rawRepresentation)?.balance == 7)
    #expect(try store.account(net.admin.address.rawRepresentation)?.nonce == net.account(net.admin)?.nonce)
  }

  @Test func reopenKeepsEverythingAndRefusesABlockTwice() throws {
    let dir = TemporaryDirectory()
    let work = try Workload()
    do {
      let store = try LedgerStore(path: dir.file("ledger.sqlite"))
      try work.persist(into: store)
    }
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    #expect(try store.heldShards() == [0, 1])
    #expect(try store.loadState(shard: 1).stateRoot == work.pop.net.states[1].stateRoot)
    let (shard, block, outcome) = work.pop.net.log.last!
    do {
      try store.commit(block, outcome: outcome)
      Issue.record("the same block was stored twice")
    } catch let error as LedgerStoreError {
      #expect("\(error)".contains("does not extend the stored head \(shard)/"))
    }
    // The same genesis again is fine; another network's is refused.
    try store.initialize(genesis: work.pop.net.genesis, shards: [0])
    var other = work.pop.net.genesis
    other.chainID = "another-chain"
    #expect(throws: LedgerStoreError.self) { try store.initialize(genesis: other, shards: [0]) }
  }

  @Test func walAndFullSynchronousMode() throws {
    let dir = TemporaryDirectory()
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    let (journal, synchronous) = try store.read { db in
      (
        try String.fetchOne(db, sql: "PRAGMA journal_mode"),
        try Int.fetchOne(db, sql: "PRAGMA synchronous")
      )
    }
    #expect(journal == "wal")
    #expect(synchronous == 2, "FULL")
  }

  @Test func consensusRecordsAreDurable() throws {
    let dir = TemporaryDirectory()
    do {
      let store = try LedgerStore(path: dir.file("ledger.sqlite"))
      try store.saveConsensusRecord(key: "tchain/0/vote/12", value: Data([1, 2, 3]))
      try store.saveConsensusRecords([
        (key: "tchain/0/view", value: Data([4])), (key: "tchain/1/view", value: Data([5])),
      ])
      try store.saveConsensusRecord(key: "tchain/0/vote/12", value: Data([9]))
    }
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    #expect(try store.consensusRecord(key: "tchain/0/vote/12") == Data([9]))
    #expect(
      try store.consensusRecords(prefix: "tchain/0/").map(\.key) == ["tchain/0/view", "tchain/0/vote/12"])
    try store.deleteConsensusRecords(prefix: "tchain/0/vote/")
    #expect(try store.consensusRecord(key: "tchain/0/vote/12") == nil)
    #expect(try store.consensusRecord(key: "tchain/1/view") == Data([5]))
  }

  @Test func snapshotInstallsOnAnotherNode() throws {
    let dir = TemporaryDirectory()
    var work = try Workload()
    let source = try LedgerStore(path: dir.file("a.sqlite"))
    try work.persist(into: source)
    let chunks = try source.snapshot(shard: 0, pageSize: 7)
    #expect(chunks.count > 1)
    #expect(chunks.last?.last == true)
    let head = try source.head(shard: 0)
    #expect(chunks.allSatisfy { $0.stateRoot == head.stateRoot && $0.height == head.height })

    let joiner = try LedgerStore(path: dir.file("b.sqlite"))
    try joiner.initialize(genesis: work.pop.net.genesis, shards: [])
    let headBlock = try #require(try source.tblock(shard: 0, height: head.height))
    var tampered = chunks
    tampered[0].entries[0].value.append(0)
    #expect(throws: LedgerStoreError.self) {
      try joiner.installSnapshot(shard: 0, chunks: tampered, block: headBlock, stateRoot: head.stateRoot)
    }
    try joiner.installSnapshot(shard: 0, chunks: chunks, block: headBlock, stateRoot: head.stateRoot)
    #expect(try joiner.head(shard: 0) == head)
    #expect(try joiner.loadState(shard: 0).stateRoot.data == head.stateRoot)

    // Both nodes commit the next block and agree.
    let tx = work.pop.net.sign(
      work.pop.clinician0, TestNetwork.record(patient: work.pop.patient0, content: "after snapshot"))
    let (block, _) = try work.pop.net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    let context = try BlockContext(
      parameters: work.pop.net.parameters, headerBytes: block.header, membership: work.pop.net.membership)
    let a = try ShardLedger(store: source, shard: 0).commit(block, context: context)
    let b = try ShardLedger(store: joiner, shard: 0).commit(block, context: context)
    #expect(a.stateRoot == b.stateRoot)
    #expect(try LedgerStore(path: dir.file("b.sqlite")).head(shard: 0).height == head.height + 1)
  }

  /// A validator back in a shard it left installs a snapshot over its older blocks of that shard: the
  /// transactions those blocks decided are no longer reported from here (the blocks and their proofs
  /// are gone), instead of failing as a damaged index naming missing blocks.
  @Test func aSnapshotOverOlderBlocksForgetsTheirIndex() throws {
    let dir = TemporaryDirectory()
    let work = try Workload()
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    try work.persist(into: store)
    let head = try store.head(shard: 0)
    #expect(try store.transactionStatus(id: work.recordIDs[0]) != nil)
    #expect(try !store.emittedReceipts(shard: 0, from: 1, to: head.height).isEmpty)
    let chunks = try store.snapshot(shard: 0, pageSize: 50)
    let headBlock = try #require(try store.tblock(shard: 0, height: head.height))
    try store.installSnapshot(shard: 0, chunks: chunks, block: headBlock, stateRoot: head.stateRoot)
    #expect(try store.head(shard: 0) == head)
    #expect(try store.transactionStatus(id: work.recordIDs[0]) == nil)
    #expect(try store.emittedReceipts(shard: 0, from: 1, to: head.height).isEmpty)
    #expect(try store.tblock(shard: 0, height: head.height) == headBlock)
  }

  /// The transaction pipeline checks a new transaction against a head and the state as of that head:
  /// a block committed while it reads must show in neither.
  @Test func aSnapshotSeesNoBlockCommittedWhileItReads() throws {
    let dir = TemporaryDirectory()
    var work = try Workload()
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    try work.persist(into: store)
    let sender = work.pop.clinician0.address.rawRepresentation
    let tx = work.pop.net.sign(
      work.pop.clinician0, TestNetwork.record(patient: work.pop.patient0, content: "during a snapshot"))
    let (block, _) = try work.pop.net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    let context = try BlockContext(
      parameters: work.pop.net.parameters, headerBytes: block.header, membership: work.pop.net.membership)
    let ledger = try ShardLedger(store: store, shard: 0)
    let before = try store.head(shard: 0)
    let nonceBefore = try #require(try store.withSnapshot(shard: 0) { try $1.account(sender)?.nonce })

    let (seenHead, seenNonce, committed) = try store.withSnapshot(shard: 0) { head, state in
      let done = DispatchSemaphore(value: 0)
      let result = Mutex<Bool>(false)
      Thread {
        result.withLock { $0 = (try? ledger.commit(block, context: context)) != nil }
        done.signal()
      }.start()
      done.wait()
      return (head, try state.account(sender)?.nonce, result.withLock { $0 })
    }
    #expect(committed, "the block did not commit beside the reader")
    #expect(seenHead == before)
    #expect(seenNonce == nonceBefore)
    #expect(try store.head(shard: 0).height == before.height + 1)
    #expect(try store.withSnapshot(shard: 0) { try $1.account(sender)?.nonce } == nonceBefore + 1)
  }

  @Test func rblocksReputationRewardsAndFinality() throws {
    let dir = TemporaryDirectory()
    let work = try Workload()
    let net = work.pop.net
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    try work.persist(into: store)
    let status = try #require(try store.transactionStatus(id: work.recordIDs[0]))
    let height = try #require(status.block?.height)
    let validator = net.validators[0].address.rawRepresentation
    var header = RBlockHeader(
      chainID: net.chainID, height: 1, epoch: 0, previousHash: BlockHashes.zero, proposer: validator,
      timestampMs: 1,
      shards: [
        try store.shardCoverage(shard: 0, from: 1, to: height),
        try store.shardCoverage(shard: 1, from: 1, to: 0),
      ],
      reputation: [ReputationUpdate(validator: validator, previousPPM: 500_000, reputationPPM: 550_000)],
      rewards: [Reward(account: validator, amount: 1234)])
    #expect(
      header.shards[0].receiptsEmitted
        == UInt64(try store.emittedReceipts(shard: 0, from: 1, to: height).count))
    let rblock = RBlock(header: try header.serializedData(), certificate: RBlockCertificate())
    try store.commit(rblock: rblock)
    #expect(try store.rblock(height: 0) == rblock)
    #expect(try store.rblock(height: 1) == rblock)
    #expect(try store.rblocks(from: 1).count == 1)
    #expect(try store.reputation().map(\.reputationPPM) == [550_000])
    #expect(try store.rewardTotal(account: validator) == 1234)
    #expect(try store.rblockHeaders(from: 1, to: 1) == [header])
    let final = try #require(try store.transactionStatus(id: work.recordIDs[0]))
    #expect(final.state == .final)
    #expect(final.rblockHeight == 1)
    // An RBlock that does not extend the chain is refused.
    header.height = 3
    #expect(throws: LedgerStoreError.self) {
      try store.commit(rblock: RBlock(header: try header.serializedData(), certificate: RBlockCertificate()))
    }
  }

  @Test func receiptsRootCoversEmittedReceiptsInOrder() throws {
    let dir = TemporaryDirectory()
    let work = try Workload()
    let store = try LedgerStore(path: dir.file("ledger.sqlite"))
    try work.persist(into: store)
    let head = try store.head(shard: 0)
    let emitted = try store.emittedReceipts(shard: 0, from: 1, to: head.height)
    let expected = work.pop.net.log.filter { $0.shard == 0 }.flatMap(\.outcome.receipts)
    #expect(emitted.map(\.receipt) == expected)
    let coverage = try store.shardCoverage(shard: 0, from: 1, to: head.height)
    #expect(coverage.receiptsRoot == MerkleTree(leaves: expected.map(\.receiptID.data)).root.data)
    #expect(coverage.tblockHash == head.hash)
    #expect(coverage.stateRoot == head.stateRoot)
  }
}

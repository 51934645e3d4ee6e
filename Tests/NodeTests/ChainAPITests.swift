import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Testing
import Wire

@testable import Node

@Suite("HealthChain API: transactions, blocks, the RChain, validation and node queries")
struct ChainAPITests {
  /// A transaction `key` signed itself.
  static func signed(
    _ key: Ed25519.PrivateKey, _ payload: TransactionBody.Payload, nonce: UInt64,
    chainID: String = "sehc-test"
  ) throws -> SignedTransaction {
    let body = try TransactionBody(
      chainID: chainID, sender: key.address.rawRepresentation, nonce: nonce, payload: payload
    ).serializedData()
    return SignedTransaction(
      body: body,
      signatures: [
        Signature(
          publicKey: key.publicKey.rawRepresentation,
          signature: try key.sign(domain: .transaction, message: body))
      ])
  }

  @Test("status pending, then shard-committed with a proof that verifies offline, then final")
  func statusAndProof() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      api.chain.setAutoCommit(false)
      let sent = try await admin.client.transfer(
        TransferRequest(transfer: Transfer(recipient: alice.address, amount: 25)), metadata: admin.metadata)
      #expect(sent.status?.state == .pending)
      let second = try await admin.client.transfer(
        TransferRequest(transfer: Transfer(recipient: alice.address, amount: 5)), metadata: admin.metadata)
      #expect(api.chain.queuedCount == 2, "the second custodial transaction follows the pending one's nonce")
      let pending = try await admin.client.getTransaction(
        GetTransactionRequest(txID: sent.txID), metadata: admin.metadata)
      #expect(pending.state == .pending)
      let timedOut = try await admin.client.getTransaction(
        GetTransactionRequest(txID: sent.txID, waitFor: .shardCommitted, timeoutMs: 50),
        metadata: admin.metadata)
      #expect(timedOut.state == .pending, "the wait ran out with the status so far")
      let badLevel = await status {
        _ = try await admin.client.getTransaction(
          GetTransactionRequest(txID: sent.txID, waitFor: Commitment(rawValue: 7)), metadata: admin.metadata)
      }
      #expect(
        badLevel?.code == .invalidArgument
          && badLevel?.message.hasPrefix("wait_for 7 is not a Commitment") == true)

      let waiting = Task {
        try await admin.client.getTransaction(
          GetTransactionRequest(txID: second.txID, waitFor: .shardCommitted, timeoutMs: 10_000),
          metadata: admin.metadata)
      }
      try await api.chain.awaitSubscribers(1)
      let (block, outcome) = try #require(try api.chain.commitPending())
      #expect(outcome.results.allSatisfy { $0.status == .applied })
      let committed = try await waiting.value
      #expect(committed.state == .shardCommitted && committed.index == 1)

      let status = try await alice.client.getTransaction(
        GetTransactionRequest(txID: sent.txID), metadata: alice.metadata)
      #expect(
        status.state == .shardCommitted && status.block?.hash == BlockHashes.hash(header: block.header).data)
      let trusted = try SHA256Digest(data: try #require(status.block).hash)
      let header = try InclusionProofs.verify(
        entry: status.entry, proof: try #require(status.proof), header: status.blockHeader,
        expectedHash: trusted)
      #expect(header.height == status.block?.height)
      var forged = status.entry
      forged[forged.startIndex + 5] ^= 1
      #expect(throws: InclusionProofs.Failure.self) {
        try InclusionProofs.verify(
          entry: forged, proof: status.proof!, header: status.blockHeader, expectedHash: trusted)
      }
      let account = try await alice.client.getAccount(
        GetAccountRequest(address: alice.address), metadata: alice.metadata)
      #expect(account.balance == 30)

      let finalWait = Task {
        try await alice.client.getTransaction(
          GetTransactionRequest(txID: sent.txID, waitFor: .final, timeoutMs: 10_000), metadata: alice.metadata
        )
      }
      try await api.chain.awaitSubscribers(1)
      try api.chain.commitRBlock()
      let final = try await finalWait.value
      #expect(final.state == .final && final.rblockHeight == 1)
      let unknown = try await alice.client.getTransaction(
        GetTransactionRequest(txID: Data(count: 32)), metadata: alice.metadata)
      #expect(unknown.state == .unknown)
    }
  }

  @Test("a transaction this node does not store, or forwarded to a shard it left, is looked up elsewhere")
  func statusFromPeers() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let elsewhere = Data(repeating: 0xAB, count: 32)
      api.chain.setPeerStatus(TransactionStatus(txID: elsewhere, state: .final, rblockHeight: 4))
      let found = try await alice.client.getTransaction(
        GetTransactionRequest(txID: elsewhere), metadata: alice.metadata)
      #expect(found.state == .final && found.rblockHeight == 4)

      api.chain.setAutoCommit(false)
      let sent = try await admin.client.transfer(
        TransferRequest(transfer: Transfer(recipient: alice.address, amount: 3)), metadata: admin.metadata)
      api.chain.setPeerStatus(TransactionStatus(txID: sent.txID, state: .shardCommitted))
      let pending = try await admin.client.getTransaction(
        GetTransactionRequest(txID: sent.txID, waitFor: .shardCommitted, timeoutMs: 100),
        metadata: admin.metadata)
      #expect(pending.state == .pending, "pending in a shard this node holds: its own blocks will say")
      api.chain.setHeldShards([])
      let committed = try await admin.client.getTransaction(
        GetTransactionRequest(txID: sent.txID), metadata: admin.metadata)
      #expect(committed.state == .shardCommitted, "pending in a shard it left: the shard's members say")

      // A wait is answered when the other validators have it, not at the timeout.
      let later = Data(repeating: 0xCD, count: 32)
      let start = ContinuousClock.now
      let waiting = Task {
        try await alice.client.getTransaction(
          GetTransactionRequest(txID: later, waitFor: .shardCommitted, timeoutMs: 20_000),
          metadata: alice.metadata)
      }
      try await Task.sleep(for: .milliseconds(200))
      api.chain.setPeerStatus(TransactionStatus(txID: later, state: .shardCommitted))
      #expect(try await waiting.value.state == .shardCommitted)
      #expect(ContinuousClock.now - start < .seconds(10), "answered by a poll, long before the 20 s timeout")
    }
  }

  @Test("SubmitTransaction: a client-signed transaction commits; bad ones get the ledger's reason")
  func submitSigned() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let key = APIHarness.hospitalKey
      let transfer = TransactionBody.Payload.transfer(Transfer(recipient: alice.address, amount: 10))
      func submit(_ transaction: SignedTransaction) async throws -> TransactionResponse {
        try await alice.client.submitTransaction(
          SubmitTransactionRequest(transaction: transaction, waitFor: .shardCommitted),
          metadata: alice.metadata)
      }
      let chain = api.chain
      await expectRefusal(.invalidArgument, "bad_nonce: expected nonce 1, got 3", chain: chain) {
        _ = try await submit(try Self.signed(key, transfer, nonce: 3))
      }
      await expectRefusal(.invalidArgument, "wrong_chain", chain: chain) {
        _ = try await submit(try Self.signed(key, transfer, nonce: 1, chainID: "other"))
      }
      var bad = try Self.signed(key, transfer, nonce: 1)
      bad.signatures[0].signature[bad.signatures[0].signature.startIndex] ^= 1
      await expectRefusal(.invalidArgument, "bad_signature", chain: chain) { _ = try await submit(bad) }
      let overdraft = try Self.signed(
        key, .transfer(Transfer(recipient: alice.address, amount: 51)), nonce: 1)
      await expectRefusal(.invalidArgument, "insufficient_balance", chain: chain) {
        _ = try await submit(overdraft)
      }
      let remembered = try await alice.client.getTransaction(
        GetTransactionRequest(txID: SHA256.hash(overdraft.body).data), metadata: alice.metadata)
      #expect(remembered.state == .rejected && remembered.reason.hasPrefix("insufficient_balance: "))
      await expectRefusal(.invalidArgument, "transaction is required", chain: chain) {
        _ = try await alice.client.submitTransaction(SubmitTransactionRequest(), metadata: alice.metadata)
      }
      let refused = try await alice.client.getTransaction(
        GetTransactionRequest(txID: SHA256.hash(bad.body).data), metadata: alice.metadata)
      #expect(refused.state == .rejected && refused.reason.hasPrefix("bad_signature"))
      let good = try await submit(try Self.signed(key, transfer, nonce: 1))
      #expect(good.status?.state == .shardCommitted)
      await expectRefusal(.invalidArgument, "bad_nonce", chain: chain) {
        _ = try await submit(try Self.signed(key, transfer, nonce: 1))
      }
    }
  }

  @Test("TBlocks and RBlocks: last block, whole chain, ranges, and their refusals")
  func blocks() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let none = await status {
        _ = try await admin.client.getTblock(GetTBlockRequest(), metadata: admin.metadata)
      }
      #expect(none?.code == .notFound && none?.message == "shard 0 has no committed block yet")
      _ = try await api.newUser("alice", .patient, admin: admin)
      _ = try await api.newUser("bob", .patient, admin: admin)
      let last = try await admin.client.getTblock(
        GetTBlockRequest(shard: 0, height: 0), metadata: admin.metadata)
      #expect(try TBlockHeader(serializedBytes: last.header).height == 2)
      let chain = try await admin.client.listTblocks(ListTBlocksRequest(shard: 0), metadata: admin.metadata) {
        response in try await response.messages.reduce(into: [TBlock]()) { $0.append($1) }
      }
      #expect(try chain.map { try TBlockHeader(serializedBytes: $0.header).height } == [1, 2])
      let wrongShard = await status {
        _ = try await admin.client.getTblock(GetTBlockRequest(shard: 3), metadata: admin.metadata)
      }
      #expect(
        wrongShard?.code == .invalidArgument && wrongShard?.message.contains("shard 3 does not exist") == true
      )
      let beyond = await status {
        _ = try await admin.client.listTblocks(
          ListTBlocksRequest(shard: 0, fromHeight: 1, toHeight: 9), metadata: admin.metadata
        ) {
          response in for try await _ in response.messages {}
        }
      }
      #expect(beyond?.code == .notFound)
      let backwards = await status {
        _ = try await admin.client.listTblocks(
          ListTBlocksRequest(shard: 0, fromHeight: 2, toHeight: 1), metadata: admin.metadata
        ) {
          response in for try await _ in response.messages {}
        }
      }
      #expect(backwards?.code == .invalidArgument)

      let noR = await status {
        _ = try await admin.client.getRblock(GetRBlockRequest(), metadata: admin.metadata)
      }
      #expect(noR?.code == .notFound)
      try api.chain.commitRBlock()
      let rblock = try await admin.client.getRblock(GetRBlockRequest(height: 1), metadata: admin.metadata)
      #expect(try RBlockHeader(serializedBytes: rblock.header).shards.first?.toHeight == 2)
      let rchain = try await admin.client.listRblocks(ListRBlocksRequest(), metadata: admin.metadata) {
        response in
        try await response.messages.reduce(0) { count, _ in count + 1 }
      }
      #expect(rchain == 1)
    }
  }

  @Test("WatchBlocks streams committed TBlocks and RBlocks")
  func watch() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let events = Task {
        try await admin.client.watchBlocks(
          WatchBlocksRequest(tblocks: true, rblocks: true, fullBlocks: true), metadata: admin.metadata
        ) { response in
          var seen: [BlockEvent] = []
          for try await event in response.messages {
            seen.append(event)
            if seen.count == 3 { break }
          }
          return seen
        }
      }
      try await api.chain.awaitSubscribers(1)
      _ = try await api.newUser("alice", .patient, admin: admin)
      _ = try await api.newUser("bob", .patient, admin: admin)
      try api.chain.commitRBlock()
      let seen = try await events.value
      guard seen.count == 3, case .tblock(let first) = seen[0].event, case .rblock(let rblock) = seen[2].event
      else {
        Issue.record("unexpected events \(seen)")
        return
      }
      #expect(
        first.ref?.height == 1 && first.entryCount == 1 && first.acceptedCount == 1 && first.block != nil)
      #expect(rblock.height == 1 && rblock.block != nil)
      let empty = await status {
        _ = try await admin.client.watchBlocks(WatchBlocksRequest(), metadata: admin.metadata) { response in
          for try await _ in response.messages {}
        }
      }
      #expect(empty?.code == .invalidArgument)
    }
  }

  @Test("ValidateChain re-verifies blocks and replays state; reputation, assignment and node info")
  func validateAndInfo() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      _ = try await alice.client.putRecord(
        PutRecordRequest(
          patient: alice.address, kind: "note", mediaType: "text/plain", content: Data("n".utf8)),
        metadata: alice.metadata)
      try api.chain.commitRBlock()
      let auditor = try await api.newUser("audrey", .auditor, admin: admin)
      let validation = try await auditor.client.validateChain(
        ValidateChainRequest(), metadata: auditor.metadata)
      #expect(validation.valid, "\(validation)")
      #expect(validation.chains.map(\.blocksChecked) == [3, 1])
      let forbidden = await status {
        _ = try await alice.client.validateChain(ValidateChainRequest(), metadata: alice.metadata)
      }
      let note = try ChainAPITests.signed(
        APIHarness.hospitalKey, .transfer(Transfer(recipient: alice.address, amount: 1)), nonce: 1)
      try api.chain.commit([try TBlockEntry(entry: .transaction(note)).serializedData()], certified: false)
      let broken = try await auditor.client.validateChain(ValidateChainRequest(), metadata: auditor.metadata)
      #expect(
        !broken.valid && broken.chains.first?.firstBadHeight == 4 && broken.chains.first?.blocksChecked == 3)
      #expect(
        broken.chains.first?.error.hasPrefix("block 0/4: invalid block: certificate: 0 votes of 1 members")
          == true, "\(broken)")
      #expect(broken.chains.last?.valid == true)
      #expect(forbidden?.code == .permissionDenied)

      let reputation = try await alice.client.getReputation(GetReputationRequest(), metadata: alice.metadata)
      #expect(reputation.rblockHeight == 1 && reputation.validators.map(\.reputationPPM) == [600_000])
      #expect(reputation.validators.first?.name == "node-1")
      let current = try await alice.client.getShardAssignment(
        GetShardAssignmentRequest(current: true), metadata: alice.metadata)
      #expect(current.shards.first?.members == [APIHarness.validator.key.address.rawRepresentation])
      let future = await status {
        _ = try await alice.client.getShardAssignment(
          GetShardAssignmentRequest(epoch: 5), metadata: alice.metadata)
      }
      #expect(future?.code == .notFound)
      let info = try await alice.client.getNodeInfo(GetNodeInfoRequest(), metadata: alice.metadata)
      #expect(info.name == "node-1" && info.shardCount == 1 && info.rblockHeight == 1)
      #expect(info.heights == [ShardHeight(shard: 0, height: 4)])
      let missing = await status {
        _ = try await alice.client.getAccount(
          GetAccountRequest(address: Data(count: 20)), metadata: alice.metadata)
      }
      #expect(missing?.code == .notFound)
      let malformed = await status {
        _ = try await alice.client.getTransaction(
          GetTransactionRequest(txID: Data(count: 5)), metadata: alice.metadata)
      }
      #expect(malformed?.code == .invalidArgument && malformed?.message == "tx_id must be 32 bytes, got 5")
    }
  }

  @Test("concurrent calls of one user get consecutive nonces")
  func concurrentNonces() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      api.chain.setAutoCommit(false)
      try await withThrowingTaskGroup(of: Void.self) { group in
        for amount in 1...6 {
          group.addTask {
            _ = try await admin.client.transfer(
              TransferRequest(transfer: Transfer(recipient: alice.address, amount: UInt64(amount))),
              metadata: admin.metadata)
          }
        }
        try await group.waitForAll()
      }
      let (block, outcome) = try #require(try api.chain.commitPending())
      #expect(
        block.entries.count == 6 && outcome.results.allSatisfy { $0.status == .applied }, "\(outcome.results)"
      )
      let account = try await alice.client.getAccount(
        GetAccountRequest(address: alice.address), metadata: alice.metadata)
      #expect(account.balance == 21)
    }
  }

  @Test(
    "an unreachable shard is UNAVAILABLE, a full mempool RESOURCE_EXHAUSTED; the nonce is given out again")
  func unavailable() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      api.chain.setFailure(.unavailable("no member of shard 0 answers"))
      let down = await status {
        _ = try await admin.client.transfer(
          TransferRequest(transfer: Transfer(recipient: alice.address, amount: 1)), metadata: admin.metadata)
      }
      #expect(down?.code == .unavailable && down?.message == "no member of shard 0 answers")
      let upload = await status {
        _ = try await alice.client.putRecord(
          PutRecordRequest(
            patient: alice.address, kind: "note", mediaType: "text/plain", content: Data("n".utf8)),
          metadata: alice.metadata)
      }
      #expect(upload?.code == .unavailable)
      let user = await status {
        _ = try await admin.client.createUser(
          CreateUserRequest(
            username: "carol", password: APIHarness.password, role: .patient, organisation: "x"),
          metadata: admin.metadata)
      }
      #expect(user?.code == .unavailable)
      let carol = await status { _ = try await api.login("carol") }
      #expect(carol?.code == .unauthenticated, "the user whose registration failed was not kept")
      api.chain.setFailure(.overloaded("the mempool is full"))
      let full = await status {
        _ = try await admin.client.transfer(
          TransferRequest(transfer: Transfer(recipient: alice.address, amount: 1)), metadata: admin.metadata)
      }
      #expect(full?.code == .resourceExhausted && full?.message == "the mempool is full")
      api.chain.setFailure(nil)
      let sent = try await admin.client.transfer(
        TransferRequest(transfer: Transfer(recipient: alice.address, amount: 1), waitFor: .shardCommitted),
        metadata: admin.metadata)
      #expect(sent.status?.state == .shardCommitted)
    }
  }
}

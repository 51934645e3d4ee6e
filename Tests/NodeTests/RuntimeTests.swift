import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import RPC
import TLS
import Testing
import Wire

@testable import Node

/// Runs `body` with a started cluster and stops every runtime afterwards, whatever happened.
private func withCluster(shards: UInt32 = 2, _ body: (RuntimeCluster) async throws -> Void) async throws {
  let cluster = try RuntimeCluster(shards: shards)
  do {
    try await cluster.startAll()
    try await body(cluster)
  } catch {
    await cluster.stopAll()
    throw error
  }
  await cluster.stopAll()
}

private func status(_ cluster: RuntimeCluster, _ index: Int, _ id: Data) -> TransactionStatus? {
  guard let runtime = cluster.runtimes[index] else { return nil }
  return try? runtime.ledger.transactionStatus(id: id)
}

/// Whether every member in `members` stores every transaction of `ids`.
private func allStored(_ ids: [Data], on members: [Int], _ cluster: RuntimeCluster) -> Bool {
  for id in ids {
    for member in members where status(cluster, member, id) == nil { return false }
  }
  return true
}

/// Waits until every member in `members` stores every transaction of `ids`.
private func waitUntilStored(
  _ ids: [Data], on members: [Int], _ cluster: RuntimeCluster, timeout: Duration = .seconds(20)
) async -> Bool {
  await eventually(timeout: timeout) { allStored(ids, on: members, cluster) }
}

private func balance(_ cluster: RuntimeCluster, _ index: Int, _ address: Address) -> UInt64? {
  try? cluster.runtimes[index]?.ledger.account(address.rawRepresentation)?.balance
}

@Suite("NodeRuntime: validators over mutual TLS on loopback", .serialized)
struct RuntimeTests {
  @Test("a transfer submitted to the other shard is forwarded, shard-committed, then final on every member")
  func commitThenFinal() async throws {
    try await withCluster { cluster in
      let shard0 = await cluster.members(of: 0)
      let shard1 = await cluster.members(of: 1)
      #expect(shard0.count == 2 && shard1.count == 2)
      let senders = cluster.accounts.filter { cluster.shard(of: $0) == 0 }
      try #require(senders.count >= 2)
      let recipient = senders[1].publicKey.address
      let transaction = try cluster.transfer(from: senders[0], to: recipient, amount: 25, nonce: 1)
      let id = SHA256.hash(transaction.body).data
      try await cluster.runtime(shard1[0]).submit(transaction)

      let committed = await eventually {
        shard0.allSatisfy { [.shardCommitted, .final].contains(status(cluster, $0, id)?.state) }
      }
      let stateAfterCommit = committed ? "" : await cluster.describe()
      #expect(committed, "every member of shard 0 stores the block with the transfer:\n\(stateAfterCommit)")
      let final = await eventually { shard0.allSatisfy { status(cluster, $0, id)?.state == .final } }
      let stateAfterFinal = final ? "" : await cluster.describe()
      #expect(final, "an RBlock covers the block on every member of shard 0:\n\(stateAfterFinal)")
      for member in shard0 {
        #expect(balance(cluster, member, senders[0].publicKey.address) == RuntimeCluster.balance - 25)
        #expect(balance(cluster, member, recipient) == RuntimeCluster.balance + 25)
      }
      #expect(shard1.allSatisfy { status(cluster, $0, id) == nil }, "shard 1 does not hold shard 0's blocks")

      // A node of shard 1 reads shard 0's accounts from shard 0's members (custodial nonces, GetAccount).
      let remote = try await cluster.runtime(shard1[0]).account(senders[0].publicKey.address)
      #expect(remote?.nonce == 1 && remote?.balance == RuntimeCluster.balance - 25)
      var unknown = try Ed25519.PrivateKey()
      while cluster.shard(of: unknown) != 0 { unknown = try Ed25519.PrivateKey() }
      #expect(try await cluster.runtime(shard1[0]).account(unknown.publicKey.address) == nil)
      // ... and transaction statuses from the validators that store them.
      let fromPeers = await cluster.runtime(shard1[0]).transactionStatusFromPeers(id)
      #expect(fromPeers?.state == .final && fromPeers?.txID == id)
      #expect(await cluster.runtime(shard1[0]).transactionStatusFromPeers(Data(count: 32)) == nil)
    }
  }

  @Test(
    "a member that missed an image's replication fetches its chunks before it votes; the author's shard does not"
  )
  func votersFetchMissingContent() async throws {
    let cluster = try RuntimeCluster(patientsPerShard: 1)
    try await cluster.startAll()
    do {
      let members = await cluster.members(of: 0)
      let authorShard = await cluster.members(of: 1)
      try #require(members.count == 2 && authorShard.count == 2)
      let patient = try #require(cluster.patients.first { cluster.shard(of: $0) == 0 })
      /// Submits a PutImageManifest of `image` for the patient, by `author`, once the image is stored on
      /// one member of the patient's shard only (as if the other had been down during the upload).
      func putImage(_ image: Data, by author: Ed25519.PrivateKey) async throws -> (Data, BlobManifest) {
        let manifest = try cluster.runtime(members[0]).blobs.put(image)
        #expect(try !cluster.runtime(members[1]).blobs.hasAllChunks(manifest))
        let body = TransactionBody(
          chainID: cluster.genesis.chainID, sender: author.publicKey.address.rawRepresentation, nonce: 1,
          createdAtMs: UInt64(Date().timeIntervalSince1970 * 1000),
          payload: .putImageManifest(
            PutImageManifest(
              patient: patient.publicKey.address.rawRepresentation, kind: "chest-ct",
              mediaType: "application/dicom", content: manifest)))
        let bytes = try body.serializedData()
        let signature = try author.sign(domain: .transaction, message: bytes)
        try await cluster.runtime(members[0]).submit(
          SignedTransaction(
            body: bytes,
            signatures: [Signature(publicKey: author.publicKey.rawRepresentation, signature: signature)]))
        return (SHA256.hash(bytes).data, manifest)
      }

      // An author of the patient's shard.
      let image = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
      let local = try #require(cluster.accounts.first { cluster.shard(of: $0) == 0 })
      let (id, manifest) = try await putImage(image, by: local)
      let decided = await eventually {
        members.allSatisfy { status(cluster, $0, id).map { $0.state != .pending } ?? false }
      }
      #expect(decided, "both members store the block with the record")
      for member in members {
        let stored = status(cluster, member, id)
        #expect(
          [.shardCommitted, .final].contains(stored?.state),
          "applied, not rejected as chunks_missing: \(stored.map { "\($0.state) \($0.reason)" } ?? "none")")
      }
      #expect(try cluster.runtime(members[1]).blobs.read(manifest) == image, "the chunks were fetched")

      // An author of the other shard: its shard decides without the content, the patient's checks it.
      let second = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
      let remote = try #require(cluster.accounts.first { cluster.shard(of: $0) == 1 })
      let (crossID, crossManifest) = try await putImage(second, by: remote)
      let applied = await eventually {
        authorShard.allSatisfy { status(cluster, $0, crossID)?.crossShard == .applied }
      }
      let states = authorShard.map { status(cluster, $0, crossID).map { "\($0.state) \($0.crossShard)" } }
      #expect(applied, "the patient's shard applied the record: \(states)")
      #expect(try cluster.runtime(members[1]).blobs.read(crossManifest) == second)
      for member in authorShard {
        #expect(
          try !cluster.runtime(member).blobs.hasAllChunks(crossManifest), "the author's shard fetched nothing"
        )
      }
    } catch {
      await cluster.stopAll()
      throw error
    }
    await cluster.stopAll()
  }

  @Test("a cross-shard transfer is debited in its home shard and credited in the recipient's shard")
  func crossShard() async throws {
    try await withCluster { cluster in
      let shard0 = await cluster.members(of: 0)
      let shard1 = await cluster.members(of: 1)
      let sender = try #require(cluster.accounts.first { cluster.shard(of: $0) == 0 })
      let recipient = try #require(cluster.accounts.first { cluster.shard(of: $0) == 1 }).publicKey.address
      let transaction = try cluster.transfer(from: sender, to: recipient, amount: 40, nonce: 1)
      try await cluster.runtime(shard0[0]).submit(transaction)

      let debited = await eventually {
        shard0.allSatisfy { balance(cluster, $0, sender.publicKey.address) == RuntimeCluster.balance - 40 }
      }
      #expect(debited)
      let credited = await eventually {
        shard1.allSatisfy { balance(cluster, $0, recipient) == RuntimeCluster.balance + 40 }
      }
      #expect(credited, "the receipt reached shard 1 and applied there exactly once")
      let id = SHA256.hash(transaction.body).data
      let recorded = await eventually {
        shard0.allSatisfy { status(cluster, $0, id)?.crossShard == .applied }
      }
      #expect(recorded, "the home shard records, from the checked target block, that the target side applied")
      #expect(shard1.allSatisfy { balance(cluster, $0, recipient) == RuntimeCluster.balance + 40 })
    }
  }

  @Test("a validator stopped while its shard commits catches up from its disk by block sync")
  func restartCatchesUp() async throws {
    // One shard of four: three members keep committing TBlocks and RBlocks while the fourth is down.
    try await withCluster(shards: 1) { cluster in
      let shard0 = await cluster.members(of: 0)
      let senders = cluster.accounts.filter { cluster.shard(of: $0) == 0 }
      try #require(senders.count >= 2)
      let recipient = senders[1].publicKey.address
      let first = try cluster.transfer(from: senders[0], to: recipient, amount: 1, nonce: 1)
      try await cluster.runtime(shard0[0]).submit(first)
      let firstID = SHA256.hash(first.body).data
      let firstStored = await waitUntilStored([firstID], on: shard0, cluster)
      #expect(firstStored)

      // The member that stops is the one the later transactions are not submitted to.
      let stopped = shard0[1]
      await cluster.stop(stopped)
      var submitted: [Data] = []
      for nonce in UInt64(2)...4 {
        let transaction = try cluster.transfer(from: senders[0], to: recipient, amount: 1, nonce: nonce)
        submitted.append(SHA256.hash(transaction.body).data)
        try await cluster.runtime(shard0[0]).submit(transaction)
        try await Task.sleep(for: .milliseconds(100))
      }
      let ids = submitted
      let others = shard0.filter { $0 != stopped }
      let committedWithout = await waitUntilStored(ids, on: others, cluster)
      #expect(committedWithout, "three of four members commit without the stopped one")
      let rblocksBefore = try cluster.runtime(others[0]).ledger.rblock(height: 0)
      try await cluster.start(stopped)
      let caughtUp = await waitUntilStored(ids, on: shard0, cluster, timeout: .seconds(30))
      #expect(caughtUp, "the restarted validator holds every block of its shard")
      #expect(balance(cluster, stopped, recipient) == RuntimeCluster.balance + 4)
      let rblockCaughtUp = await eventually {
        guard let before = rblocksBefore,
          let header = try? RBlockHeader(serializedBytes: before.header),
          let copy = try? cluster.runtime(stopped).ledger.rblock(height: header.height)
        else { return rblocksBefore == nil }
        return copy == before
      }
      #expect(rblockCaughtUp, "the restarted validator holds the RBlocks committed while it was down")
    }
  }

  @Test(
    "the peer port refuses a certificate from another CA and one of no genesis validator; account and status calls"
  )
  func refusesForeignCertificates() async throws {
    let cluster = try RuntimeCluster()
    try await cluster.start(0)
    let endpoint = cluster.genesis.validators[0].peerEndpoint
    let validator = cluster.validators[1]

    let otherCA = try CertificateAuthority.create(name: "Other CA", organization: "Elsewhere")
    let foreign = try otherCA.issueNodeCertificate(
      name: validator.name, publicKey: SubjectPublicKey(validator.key.publicKey), hosts: ["127.0.0.1"])
    let stranger = try Fixtures.validator("node-99")

    for (certificate, key) in [(foreign, validator.key), (stranger.certificate, stranger.key)] {
      let tls = TLSConfiguration(
        certificateChainPEM: certificate.pemRepresentation, privateKeyPEM: try key.pemRepresentation,
        trustRootsPEM: Fixtures.ca.certificate.pemRepresentation)
      var config = RPCClientTransport.Config()
      config.connectTimeout = .seconds(3)
      let transport = try RPCClientTransport(
        host: endpoint.host, port: endpoint.port, tls: tls, config: config)
      let error = await #expect(throws: RPCError.self) {
        try await withGRPCClient(transport: transport) { client in
          try await Peer.Client(wrapping: client).getRblocks(GetRBlocksRequest(fromHeight: 1)) { response in
            for try await _ in response.messages {}
          }
        }
      }
      #expect(error?.code == .unavailable, "refused during the handshake: \(error.map { "\($0)" } ?? "")")
    }
    // A genesis validator with its own certificate is served.
    let own = TLSConfiguration(
      certificateChainPEM: validator.certificate.pemRepresentation,
      privateKeyPEM: try validator.key.pemRepresentation,
      trustRootsPEM: Fixtures.ca.certificate.pemRepresentation)
    let transport = try RPCClientTransport(host: endpoint.host, port: endpoint.port, tls: own)
    try await withGRPCClient(transport: transport) { client in
      try await Peer.Client(wrapping: client).getRblocks(GetRBlocksRequest(fromHeight: 1)) { response in
        for try await _ in response.messages {}
      }
    }
    let invalid = await #expect(throws: RPCError.self) {
      try await withGRPCClient(
        transport: try RPCClientTransport(host: endpoint.host, port: endpoint.port, tls: own)
      ) {
        client in
        try await Peer.Client(wrapping: client).getTblocks(GetTBlocksRequest(shard: 9, fromHeight: 1)) {
          response in
          for try await _ in response.messages {}
        }
      }
    }
    #expect(invalid?.code == .invalidArgument)

    // GetTransaction and GetAccount answer from this validator's ledger only, with a status for each
    // other case.
    func account(_ address: Data) async throws -> Account {
      try await withGRPCClient(
        transport: try RPCClientTransport(host: endpoint.host, port: endpoint.port, tls: own)
      ) { client in
        try await Peer.Client(wrapping: client).getAccount(PeerAccountRequest(address: address))
      }
    }
    let held = try #require(await cluster.runtimes[0]?.heldShards().first)
    let funded = try #require(cluster.accounts.first { cluster.shard(of: $0) == held })
    let elsewhere = try #require(cluster.accounts.first { cluster.shard(of: $0) != held })
    var unknown = try Ed25519.PrivateKey()
    while cluster.shard(of: unknown) != held { unknown = try Ed25519.PrivateKey() }
    #expect(try await account(funded.publicKey.address.rawRepresentation).balance == RuntimeCluster.balance)
    for (id, code) in [(Data([1]), RPCError.Code.invalidArgument), (Data(count: 32), .notFound)] {
      let error = await #expect(throws: RPCError.self) {
        try await withGRPCClient(
          transport: try RPCClientTransport(host: endpoint.host, port: endpoint.port, tls: own)
        ) { client in
          try await Peer.Client(wrapping: client).getTransaction(PeerTransactionRequest(txID: id))
        }
      }
      #expect(error?.code == code, "\(error.map { "\($0)" } ?? "no error")")
    }
    for (address, code) in [
      (Data([1, 2, 3]), RPCError.Code.invalidArgument),
      (elsewhere.publicKey.address.rawRepresentation, .failedPrecondition),
      (unknown.publicKey.address.rawRepresentation, .notFound),
    ] {
      let error = await #expect(throws: RPCError.self) { try await account(address) }
      #expect(error?.code == code, "\(error.map { "\($0)" } ?? "no error")")
    }
    await cluster.stopAll()
  }
}

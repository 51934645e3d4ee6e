// bench-node: committed transactions per second of an 8-node, 2-shard network on loopback, next to
// this machine's Ed25519 verification ceiling measured in the same run, divided by the signature checks
// one transaction costs here (counted while the load runs); latency to shard-committed and to final;
// image upload and download throughput.
//
// The eight nodes run in this process, each a full `ValidatorNode` (consensus, ledger, blob store, the
// peer port over mutual TLS and the client port over TLS), as `sehc node start` runs it; the load comes
// over TLS gRPC from clients in this process too, so the network, the clients and the signing share
// the machine's cores, as they would on one loopback machine.
import BenchSupport
import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Node
import RPC
import Wire

let cores = ProcessInfo.processInfo.activeProcessorCount
let environment = ProcessInfo.processInfo.environment
let loadSeconds = Double(environment["BENCH_NODE_SECONDS"] ?? "") ?? 20
print(
  "bench-node: 8 nodes, 2 shards on loopback in this process (\(cores) cores, \(Int(loadSeconds)) s of load)")

// MARK: The ceiling, before the network starts

let ceilingKeys = try (0..<64).map { _ in try Ed25519.PrivateKey() }
let ceilingItems = try (0..<2048).map { index -> Ed25519.BatchItem in
  let key = ceilingKeys[index % ceilingKeys.count]
  let body = Data("transaction \(index)".utf8)
  return Ed25519.BatchItem(
    publicKey: key.publicKey, message: body, signature: try key.sign(domain: .transaction, message: body),
    domain: .transaction)
}
let ceilingRun = measure("ed25519 verify, every core", rounds: 3) {
  guard Ed25519.batchVerifyAll(ceilingItems, concurrency: cores) else {
    fatalError("batch verification failed")
  }
}
let ceiling = ceilingRun.operationsPerSecond * Double(ceilingItems.count)
print("  Ed25519 verification ceiling: \(format(ceiling)) sig/s on \(cores) cores")

// MARK: The network, with funded senders

let senderCount = Int(environment["BENCH_NODE_SENDERS"] ?? "") ?? 64
let senders = try (0..<senderCount).map { _ in try Ed25519.PrivateKey() }
let network = try await BenchNetwork.start(
  nodes: 8, shards: 2, basePort: Int(environment["BENCH_NODE_PORT"] ?? "") ?? 27100,
  participants: senders.enumerated().map { index, key in
    GenesisParticipant(
      publicKey: key.publicKey.rawRepresentation, role: .hospital, organisation: "Bench \(index)",
      displayName: "Bench \(index)", balance: 1_000_000_000)
  })
let chainID = network.layout.chainID
let adminToken = try await network.api("node-1").login(
  LoginRequest(username: network.layout.adminUsername, password: try network.layout.adminPassword())
).accessToken
let admin: Metadata = ["authorization": "Bearer \(adminToken)"]
let members = try await network.members(token: adminToken)
let shardOf = { (key: Ed25519.PrivateKey) in Ledger.shard(of: key.publicKey.address, shardCount: 2) }
print(
  "  network up: shards \(members.keys.sorted().map { "\($0): \(members[$0]!.joined(separator: ", "))" }.joined(separator: "; "))"
)

/// One sender's transfers, signed here, to a recipient of the same shard.
final class Sender: @unchecked Sendable {
  let key: Ed25519.PrivateKey
  let recipient: Address
  let nodes: [String]
  private(set) var nonce: UInt64 = 0

  init(key: Ed25519.PrivateKey, recipient: Address, nodes: [String]) {
    self.key = key
    self.recipient = recipient
    self.nodes = nodes
  }

  func nextTransfer(chainID: String) throws -> SignedTransaction {
    nonce += 1
    let body = TransactionBody(
      chainID: chainID, sender: key.publicKey.address.rawRepresentation, nonce: nonce,
      createdAtMs: UInt64(Date().timeIntervalSince1970 * 1000),
      payload: .transfer(Transfer(recipient: recipient.rawRepresentation, amount: 1)))
    let bytes = try body.serializedData()
    return SignedTransaction(
      body: bytes,
      signatures: [
        Signature(
          publicKey: key.publicKey.rawRepresentation,
          signature: try key.sign(domain: .transaction, message: bytes))
      ])
  }
}

let load = senders.enumerated().map { index, key in
  let shard = shardOf(key)
  let peers = senders.filter { shardOf($0) == shard && $0.publicKey != key.publicKey }
  let recipient = (peers.isEmpty ? key : peers[index % peers.count]).publicKey.address
  return Sender(key: key, recipient: recipient, nodes: members[shard] ?? [])
}

func isCommitted(_ status: TransactionStatus?) -> Bool {
  guard let status, status.reason.isEmpty else { return false }
  return status.state == .shardCommitted || status.state == .final
}

func percentile(_ values: [Double], _ p: Double) -> Double {
  guard !values.isEmpty else { return .nan }
  let sorted = values.sorted()
  return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

// MARK: Throughput: every sender streams its transfers in nonce order, waiting only for admission

let verificationsBefore = Ed25519.verificationCount
let start = ContinuousClock.now
let startMs = UInt64(Date().timeIntervalSince1970 * 1000)
let deadline = start + .seconds(loadSeconds)
let submitted: [[Data]] = try await withThrowingTaskGroup(of: [Data].self) { group in
  for (index, sender) in load.enumerated() {
    group.addTask {
      var node = sender.nodes[index % max(sender.nodes.count, 1)]
      var ids: [Data] = []
      // A transfer is signed only when it is sent (a nonce signed and never sent would be a gap).
      var refused: SignedTransaction?
      var refusals = 0
      while ContinuousClock.now < deadline {
        let transaction = try refused ?? sender.nextTransfer(chainID: chainID)
        refused = nil
        do {
          let response = try await network.api(node).submitTransaction(
            SubmitTransactionRequest(transaction: transaction, waitFor: .admitted), metadata: admin)
          ids.append(response.txID)
        } catch let error as RPCError where error.code == .unavailable && refusals < 8 {
          // An epoch moved the node out of the sender's shard: the same transfer to a member of now.
          refused = transaction
          refusals += 1
          let members = try await network.members(token: adminToken)[shardOf(sender.key)] ?? []
          node = members.isEmpty ? node : members[(index + refusals) % members.count]
        }
      }
      return ids
    }
  }
  var all: [[Data]] = []
  for try await ids in group { all.append(ids) }
  return all
}
print("  submitted \(submitted.reduce(0) { $0 + $1.count }) transfers; waiting for them to commit")
// Wait for every submitted transfer to be decided. Epochs move validators between shards, and a
// validator new to a shard does not know the transactions decided before it joined, so every node is
// asked, the home shard's current members first; one not committed 10 s after a first pass over every
// transfer counts as not committed, and is accounted for below. A transfer's commit time is its
// block's timestamp.
let membersAfterLoad = try await network.members(token: adminToken)
func status(of id: Data, shard: UInt32) async -> TransactionStatus? {
  let first = membersAfterLoad[shard] ?? []
  var best: TransactionStatus?
  for name in first + network.layout.nodes.map(\.name).filter({ !first.contains($0) }) {
    guard
      let status = try? await network.api(name).getTransaction(
        GetTransactionRequest(txID: id, waitFor: .admitted), metadata: admin)
    else { continue }
    if isCommitted(status) || status.state == .rejected { return status }
    if best == nil || (best?.state == .unknown && status.state != .unknown) { best = status }
  }
  return best
}
var settleDeadline: ContinuousClock.Instant?
var statuses: [Data: TransactionStatus?] = [:]
var open = submitted.enumerated().flatMap { index, ids in ids.map { (id: $0, shard: shardOf(senders[index])) }
}
repeat {
  let round = open
  open = []
  let results = await withTaskGroup(of: [(Data, UInt32, TransactionStatus?)].self) { group in
    for low in stride(from: 0, to: round.count, by: 32) {
      let chunk = round[low..<min(low + 32, round.count)]
      group.addTask {
        var found: [(Data, UInt32, TransactionStatus?)] = []
        for item in chunk {
          found.append((item.id, item.shard, await status(of: item.id, shard: item.shard)))
        }
        return found
      }
    }
    var all: [(Data, UInt32, TransactionStatus?)] = []
    for await found in group { all += found }
    return all
  }
  for (id, shard, status) in results {
    statuses[id] = status
    if !isCommitted(status) && status?.state != .rejected { open.append((id, shard)) }
  }
  // The first pass over every transfer takes seconds: the 10 s start after it.
  if settleDeadline == nil { settleDeadline = .now + .seconds(10) }
  if !open.isEmpty { try await Task.sleep(for: .milliseconds(250)) }
} while !open.isEmpty && ContinuousClock.now < settleDeadline!
let committed = statuses.values.compactMap { $0 }.filter(isCommitted)
let committedCount = committed.count
let lastCommitMs =
  committed.compactMap { try? TBlockHeader(serializedBytes: $0.blockHeader).timestampMs }.max() ?? startMs
let elapsed = Double(max(lastCommitMs, startMs + 1) - startMs) / 1000
let transactionsPerSecond = Double(committedCount) / elapsed
let checksPerTransaction =
  Double(Ed25519.verificationCount - verificationsBefore) / Double(max(committedCount, 1))
let submittedCount = submitted.reduce(0) { $0 + $1.count }
var outcomes: [String: Int] = [:]
for status in statuses.values where !isCommitted(status) {
  let outcome = status.map { "\($0.state)\($0.reason.isEmpty ? "" : " (\($0.reason))")" } ?? "unreachable"
  outcomes[outcome, default: 0] += 1
}
print(
  "  throughput run: \(submittedCount) transfers from \(senderCount) senders, \(committedCount) committed in "
    + String(format: "%.1f s; %.1f signature checks per committed transfer", elapsed, checksPerTransaction))
if !outcomes.isEmpty {
  print(
    "  not committed 10 s after a first pass: "
      + outcomes.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
  // Each sender with transfers left: its committed nonce, its first undecided one, and what every node
  // says of that one (a sender's later nonces wait behind it).
  for (index, ids) in submitted.enumerated() {
    guard let first = ids.firstIndex(where: { !isCommitted(statuses[$0] ?? nil) }) else { continue }
    let address = senders[index].publicKey.address.rawRepresentation
    let account = try? await network.api(membersAfterLoad[shardOf(senders[index])]?.first ?? "node-1")
      .getAccount(GetAccountRequest(address: address), metadata: admin)
    var views: [String] = []
    var committedAt = ""
    for node in network.layout.nodes {
      let status = try? await network.api(node.name).getTransaction(
        GetTransactionRequest(txID: ids[first], waitFor: .admitted), metadata: admin)
      views.append("\(node.name) \(status.map { "\($0.state)" } ?? "error")")
      if let status, isCommitted(status), committedAt.isEmpty,
        let header = try? TBlockHeader(serializedBytes: status.blockHeader)
      {
        committedAt = String(
          format: " (committed %.1f s after the load began)",
          Double(Int64(header.timestampMs) - Int64(startMs)) / 1000)
      }
    }
    print(
      "    sender \(index) (shard \(shardOf(senders[index]))): committed nonce \(account?.nonce ?? 0), "
        + "first undecided nonce \(first + 1) of \(ids.count)\(committedAt): " + views.joined(separator: ", ")
    )
  }
}

// MARK: Latency: clients that wait for each transfer, to shard-committed and to final

func timedTransfers(_ senders: [Sender], waitFor: Commitment, seconds: Double) async throws -> [Double] {
  let end = ContinuousClock.now + .seconds(seconds)
  return try await withThrowingTaskGroup(of: [Double].self) { group in
    for (index, sender) in senders.enumerated() {
      group.addTask {
        let shard = shardOf(sender.key)
        var latencies: [Double] = []
        var attempt = 0
        var refused: SignedTransaction?
        var members = (try? await network.members(token: adminToken)[shard]) ?? []
        while ContinuousClock.now < end {
          let transaction = try refused ?? sender.nextTransfer(chainID: chainID)
          refused = nil
          // A node that no longer holds the sender's shard cannot check the nonce (UNAVAILABLE): ask the
          // shard's members of now, a few times; a sender refused otherwise stops.
          guard !members.isEmpty else { break }
          let node = members[(index + attempt) % members.count]
          let begin = ContinuousClock.now
          do {
            let response = try await network.api(node).submitTransaction(
              SubmitTransactionRequest(transaction: transaction, waitFor: waitFor, timeoutMs: 60_000),
              metadata: admin)
            if isCommitted(response.status) { latencies.append((ContinuousClock.now - begin).seconds * 1000) }
            attempt = 0
          } catch let error as RPCError where error.code == .unavailable && attempt < 3 {
            refused = transaction
            attempt += 1
            members = (try? await network.members(token: adminToken)[shard]) ?? []
          } catch {
            break
          }
        }
        return latencies
      }
    }
    var all: [Double] = []
    for try await latencies in group { all += latencies }
    return all
  }
}
async let shardCommitted = timedTransfers(Array(load.prefix(16)), waitFor: .shardCommitted, seconds: 10)
async let final = timedTransfers(Array(load.dropFirst(16).prefix(8)), waitFor: .final, seconds: 10)
let (toCommitted, toFinal) = try await (shardCommitted, final)

// MARK: Images: upload through one node, download from a member of the patient's shard

// A node signs a custodial user's transactions with the key it keeps and must hold the user's shard
// (epochs move validators): the registration needs the admin's shard, the upload the patient's. So the
// patient is registered at a node that holds the admin's shard, again under another name until the
// patient's shard is that node's too, and that node takes the upload.
var imageNode = ""
var patient = User()
var patientName = ""
registration: for attempt in 1...16 {
  let members = try await network.members(token: adminToken)
  for node in network.layout.nodes {
    do {
      let name = "bench-patient-\(attempt)"
      let created = try await network.api(node.name).createUser(
        CreateUserRequest(
          username: name, password: "bench-password-1", role: .patient, organisation: "Bench",
          displayName: "Bench patient", waitFor: .shardCommitted), metadata: admin
      ).user!
      if members[created.shard]?.contains(node.name) == true {
        (imageNode, patient, patientName) = (node.name, created, name)
        break registration
      }
      continue registration
    } catch let error as RPCError where error.code == .unavailable {
      continue
    }
  }
}
guard !imageNode.isEmpty else { fatalError("no node could register a bench patient of its own shard") }
let patientToken = try await network.api(imageNode).login(
  LoginRequest(username: patientName, password: "bench-password-1")
).accessToken
let patientCall: Metadata = ["authorization": "Bearer \(patientToken)"]
let imageBytes = 32 << 20
let image: Data = {
  var bytes = Data(count: imageBytes)
  bytes.withUnsafeMutableBytes { buffer in
    for index in stride(from: 0, to: buffer.count, by: 8) {
      buffer.storeBytes(of: UInt64(index) &* 0x9E37_79B9_7F4A_7C15, toByteOffset: index, as: UInt64.self)
    }
  }
  return bytes
}()
let session = try await network.api(imageNode).beginUpload(
  BeginUploadRequest(
    patient: patient.address, kind: "covid19-ct", mediaType: "application/dicom",
    totalSize: UInt64(image.count),
    contentHash: SHA256.hash(image).data, modality: "CT", studyInstanceUID: "1.2.826.0.1.3680043.10.99",
    waitFor: .shardCommitted), metadata: patientCall)
let chunk = Int(session.chunkSize == 0 ? 1 << 20 : session.chunkSize)
let uploadStart = ContinuousClock.now
let uploaded = try await network.api(imageNode).uploadImage(metadata: patientCall) { writer in
  for offset in stride(from: 0, to: image.count, by: chunk) {
    try await writer.write(
      UploadChunk(
        sessionID: session.sessionID, offset: UInt64(offset),
        data: image.subdata(in: offset..<min(offset + chunk, image.count))))
  }
}
let uploadSeconds = (ContinuousClock.now - uploadStart).seconds
// From another node of the patient's shard: its members of now first, then any other node, in case an
// epoch moved them since (a node that does not hold the shard answers NOT_FOUND and is skipped).
let shardMembers = try await network.members(token: adminToken)[patient.shard] ?? []
let readers = (shardMembers + network.layout.nodes.map(\.name)).filter { $0 != imageNode }
var downloaded = 0
var downloadStart = ContinuousClock.now
for reader in readers where downloaded == 0 {
  downloadStart = ContinuousClock.now
  do {
    downloaded = try await network.api(reader).download(
      DownloadRequest(recordID: uploaded.recordID), metadata: patientCall
    ) { response in
      var bytes = 0
      for try await message in response.messages {
        if case .chunk(let part) = message.part { bytes += part.data.count }
      }
      return bytes
    }
  } catch let error as RPCError where error.code == .notFound || error.code == .unavailable {
    continue
  }
}
let downloadSeconds = (ContinuousClock.now - downloadStart).seconds
guard downloaded == image.count else { fatalError("downloaded \(downloaded) of \(image.count) bytes") }

await network.stop()

// MARK: Report

let ceilingPerTransaction = ceiling / checksPerTransaction
let met = report(
  "Node: committed transfers per second (8 nodes, 2 shards, loopback TLS)",
  [
    Comparison(
      name: "committed transfers", unit: "tx/s", ours: transactionsPerSecond, anchor: ceilingPerTransaction,
      anchorName: String(format: "ceiling ÷ %.1f checks", checksPerTransaction), target: 0.5)
  ])
let markdown = environment["BENCH_MARKDOWN"] == "1"
let lines = [
  String(
    format: "Ed25519 ceiling: %@ sig/s on %d cores; %.1f signature checks per committed transfer",
    format(ceiling), cores, checksPerTransaction),
  String(
    format: "latency to shard-committed: p50 %.0f ms, p99 %.0f ms (%d transfers, 16 clients)",
    percentile(toCommitted, 0.5),
    percentile(toCommitted, 0.99), toCommitted.count),
  String(
    format: "latency to final: p50 %.0f ms, p99 %.0f ms (%d transfers, 8 clients)", percentile(toFinal, 0.5),
    percentile(toFinal, 0.99), toFinal.count),
  String(
    format: "image upload: %.1f MB/s; download from another member of the shard: %.1f MB/s (%d MiB)",
    Double(image.count) / uploadSeconds / 1e6, Double(image.count) / downloadSeconds / 1e6, image.count >> 20),
]
for line in lines { print(markdown ? "- \(line)" : "  \(line)") }
print(met ? "\nall targets met" : "\nsome targets missed (see above)")

// bench-ledger: the ledger's throughput next to anchors measured in the same run on this machine.
//
//   Blocks: applying 2,000-transaction TBlocks the way a member does: prepare (decoding, form rules,
//   every signature in one batch), validate (its vote), apply (the decided block), and store (one
//   SQLite transaction, WAL, synchronous = FULL), with the in-memory state advanced. Transactions per
//   second, next to the raw Ed25519 verification rate of the same signatures (the floor of any
//   validating node) on the same cores.
//   Blobs: writing and reading a 64 MiB image through the blob store (1 MiB chunks sealed with
//   AES-256-GCM under the blob's key, hashed, fsync-ed, atomically renamed; reads decrypt and check
//   every chunk), next to raw AES-256-GCM (ChainCrypto) on the same chunks, plain file writes of the
//   same 1 MiB files with fsync each, and plain reads of them.
//
// BENCH_SECONDS is not used; BENCH_BLOCKS (default 5) sets the blocks per round.
import BenchSupport
import ChainCrypto
import Foundation
import Ledger
import Wire

let cores = ProcessInfo.processInfo.activeProcessorCount
let blocksPerRound = Int(ProcessInfo.processInfo.environment["BENCH_BLOCKS"] ?? "5") ?? 5
let blockSize = 2000

func key(_ name: String) -> Ed25519.PrivateKey {
  try! Ed25519.PrivateKey(rawRepresentation: SHA256.hash(Data(name.utf8)).data)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
  let clock = ContinuousClock()
  return try clock.measure(body).seconds
}

let scratch = NSTemporaryDirectory() + "/bench-ledger-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }

print("bench-ledger (\(cores) cores, \(blocksPerRound) blocks of \(blockSize) transactions per round)")

// MARK: - Blocks

// One shard; 1,000 clinicians and 1,000 patients from the genesis. In every block each clinician
// sends one transaction (a record for its patient, or an access request) and each patient one (a
// grant to its clinician, or a transfer): 2,000 transactions, 2,000 signatures.
let clinicians = (0..<1000).map { key("bench-clinician-\($0)") }
let patients = (0..<1000).map { key("bench-patient-\($0)") }
let validators = (0..<3).map { key("bench-validator-\($0)") }
let genesis = Genesis(
  chainID: "bench", genesisTimeMs: 1_700_000_000_000,
  params: ConsensusParams(shardCount: 1, maxBlockEntries: UInt32(blockSize)),
  validators: validators.enumerated().map {
    GenesisValidator(name: "v\($0.offset)", publicKey: $0.element.publicKey.rawRepresentation)
  },
  participants: clinicians.map {
    GenesisParticipant(
      publicKey: $0.publicKey.rawRepresentation, role: .clinician, organisation: "h", balance: 0)
  }
    + patients.map {
      GenesisParticipant(
        publicKey: $0.publicKey.rawRepresentation, role: .patient, organisation: "p", balance: 1_000_000)
    })
let parameters = try ChainParameters(genesis: genesis)
let membership = try MembershipDirectory(
  validators: genesis.validators,
  assignments: [
    ShardAssignment(
      epoch: 0, shards: [ShardMembers(shard: 0, members: validators.map(\.address.rawRepresentation))])
  ])
let members = membership.members(shard: 0, epoch: 0)!
let genesisState = try GenesisState.state(for: genesis, shard: 0)

func sign(_ signer: Ed25519.PrivateKey, nonce: UInt64, _ payload: TransactionBody.Payload) throws -> Data {
  let body = try TransactionBody(
    chainID: "bench", sender: signer.address.rawRepresentation, nonce: nonce, createdAtMs: nonce,
    payload: payload
  ).serializedData()
  let signed = SignedTransaction(
    body: body,
    signatures: [
      Signature(
        publicKey: signer.publicKey.rawRepresentation,
        signature: try signer.sign(domain: .transaction, message: body))
    ])
  return try TBlockEntry(entry: .transaction(signed)).serializedData()
}

func entries(block: Int) throws -> [Data] {
  let nonce = UInt64(block + 1)
  var entries: [Data] = []
  for (index, clinician) in clinicians.enumerated() {
    let patient = patients[index].address.rawRepresentation
    if block % 2 == 0 {
      let content = Data("block \(block) record \(index)".utf8)
      entries.append(
        try sign(
          clinician, nonce: nonce,
          .putRecord(
            PutRecord(
              patient: patient, kind: "lab-report", mediaType: "application/json",
              content: BlobManifests.make(content),
              metadata: [Attribute(key: "loinc", value: "718-7")]))))
    } else {
      entries.append(
        try sign(
          clinician, nonce: nonce, .requestAccess(RequestAccess(patient: patient, reason: "follow-up"))))
    }
  }
  for (index, patient) in patients.enumerated() {
    let clinician = clinicians[index].address.rawRepresentation
    if block % 2 == 0 {
      entries.append(try sign(patient, nonce: nonce, .grantAccess(GrantAccess(grantee: clinician))))
    } else {
      entries.append(try sign(patient, nonce: nonce, .transfer(Transfer(recipient: clinician, amount: 1))))
    }
  }
  return entries
}

print("  signing \(blocksPerRound * blockSize) transactions...")
let blockEntries = try (0..<blocksPerRound).map { try entries(block: $0) }

/// Runs the blocks against a fresh store and state; returns per-phase seconds.
struct Phases {
  var prepare = 0.0
  var validate = 0.0
  var apply = 0.0
  var store = 0.0
  var total: Double { prepare + validate + apply + store }
}

func runRound(_ round: Int) throws -> Phases {
  let path = scratch + "/ledger-\(round).sqlite"
  let store = try LedgerStore(path: path)
  try store.initialize(genesis: genesis, shards: [0])
  var state = try store.loadState(shard: 0)
  var phases = Phases()
  for (index, entries) in blockEntries.enumerated() {
    let head = try store.head(shard: 0)
    let proposal = try TBlocks.propose(
      TBlocks.HeaderFields(
        chainID: "bench", shard: 0, epoch: 0, view: 0, height: head.height + 1, previousHash: head.hash,
        timestampMs: genesis.genesisTimeMs + UInt64(index) + 1, parentStateRoot: head.stateRoot),
      entries: entries, key: validators[0])
    let context = try BlockContext(
      parameters: parameters, headerBytes: proposal.header, membership: membership)
    var prepared: PreparedBlock!
    phases.prepare += seconds { prepared = LedgerExecutor.prepare(entries: entries, context: context) }
    var verdicts: [EntryVerdict] = []
    phases.validate += try seconds {
      verdicts = try LedgerExecutor.validate(prepared, context: context, state: state)
    }
    guard verdicts.allSatisfy(\.isValid) else {
      fatalError("bench block \(index) has invalid entries: \(verdicts.compactMap(\.rejection).prefix(3))")
    }
    let votes = try validators.map {
      try Votes.make(
        header: context.header, blockHash: context.blockHash, valid: verdicts.map(\.isValid), key: $0)
    }
    let block = try TBlocks.assemble(proposal, certificate: CommitCertificates.make(votes), members: members)
    var outcome: BlockOutcome!
    phases.apply += try seconds {
      outcome = try LedgerExecutor.apply(
        prepared, decisions: BitVector(bytes: block.decision, count: entries.count)!, context: context,
        state: state)
    }
    phases.store += try seconds {
      try store.commit(block, outcome: outcome)
      state.apply(outcome.changes)
    }
  }
  return phases
}

var best = Phases()
best.prepare = .infinity
for round in 0..<3 {
  let phases = try runRound(round)
  if phases.total < best.total || best.prepare == .infinity { best = phases }
}
let transactions = Double(blocksPerRound * blockSize)
let blockRate = transactions / best.total

// Anchor: the same 2,000 signatures verified raw on all cores (batchVerify), and on one core.
let items = try blockEntries[0].map { entry -> Ed25519.BatchItem in
  guard case .transaction(let signed) = try TBlockEntry(serializedBytes: entry).entry else { fatalError() }
  return Ed25519.BatchItem(
    publicKey: try Ed25519.PublicKey(rawRepresentation: signed.signatures[0].publicKey), message: signed.body,
    signature: signed.signatures[0].signature, domain: .transaction)
}
let verifyAll = measure("batch verify", rounds: 3) { _ = Ed25519.batchVerifyAll(items) }
let verifyOne = measure("verify one core", rounds: 3) { _ = Ed25519.batchVerifyAll(items, concurrency: 1) }
let verifyRate = verifyAll.operationsPerSecond * Double(items.count)

report(
  "Applying 2,000-transaction blocks (prepare + validate + apply + SQLite commit), \(cores) cores",
  [
    Comparison(
      name: "block pipeline", unit: "tx/s", ours: blockRate, anchor: verifyRate,
      anchorName: "Ed25519 verify only, \(cores) cores"),
    Comparison(
      name: "  (same, next to one core's verify)", unit: "tx/s", ours: blockRate,
      anchor: verifyOne.operationsPerSecond * Double(items.count), anchorName: "Ed25519 verify, 1 core"),
  ])
let perBlock = { (value: Double) in String(format: "%.1f ms", value * 1000 / Double(blocksPerRound)) }
print(
  "  per block: prepare \(perBlock(best.prepare)), validate \(perBlock(best.validate)), "
    + "apply \(perBlock(best.apply)), store \(perBlock(best.store)); total \(perBlock(best.total))")

// MARK: - Blobs

let imageSize = 64 << 20
var image = Data(count: imageSize)
image.withUnsafeMutableBytes { buffer in
  var x: UInt64 = 0x9E37_79B9_7F4A_7C15
  for index in 0..<(buffer.count / 8) {
    x ^= x << 13
    x ^= x >> 7
    x ^= x << 17
    buffer.storeBytes(of: x, toByteOffset: index * 8, as: UInt64.self)
  }
}
let chunks = stride(from: 0, to: imageSize, by: 1 << 20).map { image.subdata(in: $0..<($0 + (1 << 20))) }
let masterKey = try SymmetricKey.random()
let megabytes = Double(imageSize) / 1e6

var writeBest = Double.infinity
var readBest = Double.infinity
var uploadBest = Double.infinity
for round in 0..<3 {
  let blobs = try BlobStore(directory: scratch + "/blobs-\(round)", masterKey: masterKey)
  var manifest: BlobManifest!
  writeBest = min(writeBest, try seconds { manifest = try blobs.put(image) })
  readBest = min(readBest, try seconds { _ = try blobs.read(manifest) })
  try blobs.destroy(blobID: manifest.merkleRoot)
  uploadBest = min(
    uploadBest,
    try seconds {
      let session = try blobs.beginUpload(totalSize: UInt64(imageSize), nowMs: 0, ttlMs: .max / 2)
      for (index, chunk) in chunks.enumerated() {
        try blobs.appendUpload(session.sessionID, offset: UInt64(index << 20), data: chunk, nowMs: 0)
      }
      _ = try blobs.finishUpload(session.sessionID, nowMs: 0)
    })
  try FileManager.default.removeItem(atPath: scratch + "/blobs-\(round)")
}

// Anchors: AES-256-GCM seal and open of the same chunks (one keyed context), plain writes of the
// same 1 MiB files with an fsync each (the durability a chunk gets), and plain reads of them.
var context = try AES256GCM.KeyedContext(key: try SymmetricKey.random())
var sealed: [AES256GCM.SealedBox] = []
let seal = try seconds { sealed = try chunks.map { try context.seal($0) } }
let open = try seconds { for box in sealed { _ = try context.open(box) } }
var plainWriteBest = Double.infinity
var plainReadBest = Double.infinity
for round in 0..<3 {
  let directory = scratch + "/plain-\(round)"
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  plainWriteBest = min(
    plainWriteBest,
    seconds {
      for (index, chunk) in chunks.enumerated() {
        let descriptor = Foundation.open(directory + "/\(index)", O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        _ = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
      }
    })
  plainReadBest = min(
    plainReadBest,
    seconds {
      for index in chunks.indices { _ = FileManager.default.contents(atPath: directory + "/\(index)") }
    })
  try FileManager.default.removeItem(atPath: directory)
}

report(
  "Blob store, a 64 MiB image in 1 MiB chunks, one core",
  [
    Comparison(
      name: "blob write (put)", unit: "MB/s", ours: megabytes / writeBest, anchor: megabytes / seal,
      anchorName: "AES-256-GCM seal"),
    Comparison(
      name: "  (same, next to plain file writes)", unit: "MB/s", ours: megabytes / writeBest,
      anchor: megabytes / plainWriteBest, anchorName: "write+fsync 1 MiB files"),
    Comparison(
      name: "blob upload session (1 MiB pieces)", unit: "MB/s", ours: megabytes / uploadBest,
      anchor: megabytes / plainWriteBest, anchorName: "write+fsync 1 MiB files"),
    Comparison(
      name: "blob read (checked)", unit: "MB/s", ours: megabytes / readBest, anchor: megabytes / open,
      anchorName: "AES-256-GCM open"),
    Comparison(
      name: "  (same, next to plain file reads)", unit: "MB/s", ours: megabytes / readBest,
      anchor: megabytes / plainReadBest, anchorName: "read 1 MiB files"),
  ])

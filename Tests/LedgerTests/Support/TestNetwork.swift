import ChainCrypto
import Foundation
import Wire

@testable import Ledger

/// Deterministic keys: the seed is SHA-256 of a name.
enum TestKeys {
  static func key(_ name: String) -> Ed25519.PrivateKey {
    try! Ed25519.PrivateKey(rawRepresentation: SHA256.hash(Data(name.utf8)).data)
  }

  /// A key named `name` (with a counter appended) whose address lives in `shard`.
  static func key(_ name: String, inShard shard: UInt32, shardCount: UInt32) -> Ed25519.PrivateKey {
    var counter = 0
    while true {
      let candidate = key("\(name)#\(counter)")
      if Ledger.shard(of: candidate.address, shardCount: shardCount) == shard { return candidate }
      counter += 1
    }
  }
}

/// A small network for tests: genesis with authorities, validators assigned to shards, one state
/// and one chain per shard, and helpers that sign transactions and commit blocks the way the
/// consensus will (proposal, votes of every member, certificate, verification, application).
struct TestNetwork {
  let chainID = "test-chain"
  let shardCount: UInt32
  let membersPerShard: Int
  let validators: [Ed25519.PrivateKey]
  let genesis: Genesis
  let parameters: ChainParameters
  let membership: MembershipDirectory
  let assignment: ShardAssignment
  /// Genesis authorities (admin in shard 0, hospital in shard 0, lab in shard 1 when there are 2 shards).
  let admin: Ed25519.PrivateKey
  let hospital: Ed25519.PrivateKey
  let lab: Ed25519.PrivateKey
  var states: [ShardState]
  var parents: [TBlocks.Parent]
  var blocks: [[TBlock]]
  /// Every committed block in commit order (shard, block, outcome).
  var log: [(shard: UInt32, block: TBlock, outcome: BlockOutcome)] = []
  var timestampMs: UInt64 = 1_700_000_000_000

  init(shardCount: UInt32 = 2, membersPerShard: Int = 3, genesisBalance: UInt64 = 1_000) throws {
    self.shardCount = shardCount
    self.membersPerShard = membersPerShard
    let validators = (0..<(Int(shardCount) * membersPerShard)).map { TestKeys.key("validator-\($0)") }
    self.validators = validators
    admin = TestKeys.key("admin", inShard: 0, shardCount: shardCount)
    hospital = TestKeys.key("hospital", inShard: 0, shardCount: shardCount)
    lab = TestKeys.key("lab", inShard: shardCount > 1 ? 1 : 0, shardCount: shardCount)
    var genesis = Genesis(
      chainID: chainID, genesisTimeMs: 1_700_000_000_000,
      params: ConsensusParams(shardCount: shardCount, maxBlockEntries: 5000))
    genesis.validators = validators.enumerated().map { index, key in
      GenesisValidator(name: "node-\(index)", publicKey: key.publicKey.rawRepresentation)
    }
    genesis.participants = [
      GenesisParticipant(
        publicKey: admin.publicKey.rawRepresentation, role: .admin, organisation: "consortium",
        displayName: "Admin", balance: genesisBalance),
      GenesisParticipant(
        publicKey: hospital.publicKey.rawRepresentation, role: .hospital, organisation: "st-mary",
        displayName: "St Mary", balance: genesisBalance),
      GenesisParticipant(
        publicKey: lab.publicKey.rawRepresentation, role: .lab, organisation: "lab-one",
        displayName: "Lab One",
        balance: genesisBalance),
    ]
    self.genesis = genesis
    parameters = try ChainParameters(genesis: genesis)
    var assignment = ShardAssignment(epoch: 0, seed: Data(count: 32))
    for shard in 0..<shardCount {
      let members = validators.enumerated().filter { $0.offset % Int(shardCount) == Int(shard) }.map {
        $0.element.address.rawRepresentation
      }
      assignment.shards.append(ShardMembers(shard: shard, members: members))
    }
    self.assignment = assignment
    membership = try MembershipDirectory(validators: genesis.validators, assignments: [assignment])
    states = try (0..<shardCount).map { try GenesisState.state(for: genesis, shard: $0) }
    parents = states.map { TBlocks.Parent.genesis(stateRoot: $0.stateRoot) }
    blocks = Array(repeating: [], count: Int(shardCount))
  }

  func members(_ shard: UInt32) -> ShardMemberSet { membership.members(shard: shard, epoch: 0)! }

  func memberKeys(_ shard: UInt32) -> [Ed25519.PrivateKey] {
    let members = members(shard).members
    return members.map { address in validators.first { $0.address == address }! }
  }

  func shard(of key: Ed25519.PrivateKey) -> UInt32 { parameters.shard(of: key.address) }

  /// A key of a fresh participant-to-be in `shard`.
  func newKey(_ name: String, shard: UInt32) -> Ed25519.PrivateKey {
    TestKeys.key(name, inShard: shard, shardCount: shardCount)
  }

  /// The next nonce of `key` per its shard's committed state.
  func nextNonce(_ key: Ed25519.PrivateKey) -> UInt64 {
    ((try? states[Int(shard(of: key))].account(key.address.rawRepresentation))??.nonce ?? 0) + 1
  }

  /// A signed transaction.
  func sign(
    _ key: Ed25519.PrivateKey, _ payload: TransactionBody.Payload, nonce: UInt64? = nil,
    cosigner: Ed25519.PrivateKey? = nil, chainID: String? = nil, validUntilMs: UInt64 = 0
  ) -> SignedTransaction {
    let body = TransactionBody(
      chainID: chainID ?? self.chainID, sender: key.address.rawRepresentation, nonce: nonce ?? nextNonce(key),
      createdAtMs: timestampMs, validUntilMs: validUntilMs, payload: payload)
    let bytes = try! body.serializedData()
    var signatures = [
      Signature(
        publicKey: key.publicKey.rawRepresentation,
        signature: try! key.sign(domain: .transaction, message: bytes))
    ]
    if let cosigner {
      signatures.append(
        Signature(
          publicKey: cosigner.publicKey.rawRepresentation,
          signature: try! cosigner.sign(domain: .transaction, message: bytes)))
    }
    return SignedTransaction(body: bytes, signatures: signatures)
  }

  /// A registration of `key` as `role`, co-signed by `by` (default: the genesis hospital, or the admin
  /// for roles only an admin registers).
  func register(_ key: Ed25519.PrivateKey, _ role: Role, by: Ed25519.PrivateKey? = nil) -> SignedTransaction {
    let authority = by ?? ([.admin, .hospital, .lab].contains(role) ? admin : hospital)
    return sign(
      key, .registerParticipant(RegisterParticipant(role: role, organisation: "org", displayName: "name")),
      cosigner: authority)
  }

  static func entry(_ tx: SignedTransaction) -> Data {
    try! TBlockEntry(entry: .transaction(tx)).serializedData()
  }
  static func entry(_ receipt: Receipt) -> Data {
    try! TBlockEntry(entry: .receipt(receipt)).serializedData()
  }

  /// A manifest of `data`, chunked at 1 MiB.
  static func manifest(_ data: Data) -> BlobManifest {
    let chunk = ChainParameters.chunkSize
    let hashes = stride(from: 0, to: data.count, by: chunk).map {
      SHA256.hash(data.subdata(in: $0..<min($0 + chunk, data.count))).data
    }
    return BlobManifest(
      totalSize: UInt64(data.count), chunkSize: UInt32(chunk), chunkHashes: hashes,
      merkleRoot: MerkleTree(leaves: hashes).root.data, contentHash: SHA256.hash(data).data)
  }

  static func record(patient: Ed25519.PrivateKey, content: String = "report", kind: String = "lab-report")
    -> TransactionBody.Payload
  {
    .putRecord(
      PutRecord(
        patient: patient.address.rawRepresentation, kind: kind, mediaType: "text/plain",
        content: manifest(Data(content.utf8))))
  }

  /// The header and context of the next block of `shard`.
  func nextProposal(shard: UInt32, entries: [Data], view: UInt64 = 0, rewardBlocks: [RBlockHeader] = [])
    throws -> (Proposal, BlockContext)
  {
    let parent = parents[Int(shard)]
    let leaderAddress = members(shard).leader(view: view)
    let leader = validators.first { $0.address == leaderAddress }!
    let proposal = try TBlocks.propose(
      TBlocks.HeaderFields(
        chainID: chainID, shard: shard, epoch: 0, view: view, height: parent.height + 1,
        previousHash: parent.hash,
        timestampMs: timestampMs, parentStateRoot: parent.stateRoot,
        rblockHeight: rewardBlocks.last?.height ?? parent.rblockHeight),
      entries: entries, key: leader)
    let context = try BlockContext(
      parameters: parameters, headerBytes: proposal.header, membership: membership, rewardBlocks: rewardBlocks
    )
    return (proposal, context)
  }

  /// Proposes `entries` in `shard`, has every member vote (its own validation, or `votes[i]` for
  /// member i), assembles, verifies and applies the block. Returns the block and its outcome.
  @discardableResult
  mutating func commit(
    shard: UInt32, entries: [Data], votes: [[Bool]]? = nil, voters: Int? = nil,
    rewardBlocks: [RBlockHeader] = [],
    advanceClock: UInt64 = 1000
  ) throws -> (block: TBlock, outcome: BlockOutcome) {
    timestampMs += advanceClock
    let (proposal, context) = try nextProposal(shard: shard, entries: entries, rewardBlocks: rewardBlocks)
    let prepared = LedgerExecutor.prepare(entries: entries, context: context)
    let verdicts = try LedgerExecutor.validate(prepared, context: context, state: states[Int(shard)])
    let keys = memberKeys(shard)
    let count = voters ?? keys.count
    let castVotes = try (0..<count).map { index in
      try Votes.make(
        header: context.header, blockHash: context.blockHash, valid: votes?[index] ?? verdicts.map(\.isValid),
        key: keys[index])
    }
    let block = try TBlocks.assemble(
      proposal, certificate: CommitCertificates.make(castVotes), members: members(shard))
    let verified = try TBlocks.verify(
      block, parameters: parameters, members: members(shard), parent: parents[Int(shard)])
    let outcome = try LedgerExecutor.apply(
      prepared, decisions: verified.decision, context: context, state: states[Int(shard)])
    states[Int(shard)].apply(outcome.changes)
    precondition(states[Int(shard)].stateRoot == outcome.stateRoot)
    parents[Int(shard)] = TBlocks.Parent(
      height: context.height, hash: context.blockHash.data, timestampMs: context.timestampMs,
      rblockHeight: context.header.rblockHeight, stateRoot: outcome.stateRoot.data)
    blocks[Int(shard)].append(block)
    log.append((shard, block, outcome))
    return (block, outcome)
  }

  /// Commits one transaction in its sender's shard and returns its result.
  @discardableResult
  mutating func run(_ tx: SignedTransaction) throws -> EntryResult {
    let sender = try Address(rawRepresentation: TransactionBody(serializedBytes: tx.body).sender)
    return try commit(shard: parameters.shard(of: sender), entries: [Self.entry(tx)]).outcome.results[0]
  }

  /// The receipts `outcome` of `block` emitted, built into relayable `Receipt`s.
  func receipts(of block: TBlock, _ outcome: BlockOutcome) throws -> [Receipt] {
    try outcome.receipts.map { try Receipts.make(block: block, emitted: $0) }
  }

  /// Relays every receipt of `outcome` to its target shard, one block per target shard; returns the
  /// outcomes of those blocks.
  @discardableResult
  mutating func relay(_ block: TBlock, _ outcome: BlockOutcome) throws -> [BlockOutcome] {
    var outcomes: [BlockOutcome] = []
    let receipts = try receipts(of: block, outcome)
    for target in Set(receipts.map(\.targetShard)).sorted() {
      let entries = receipts.filter { $0.targetShard == target }.map(Self.entry)
      outcomes.append(try commit(shard: target, entries: entries).outcome)
    }
    return outcomes
  }

  func state(of key: Ed25519.PrivateKey) -> ShardState { states[Int(shard(of: key))] }
  func account(_ key: Ed25519.PrivateKey) -> Account? {
    try! state(of: key).account(key.address.rawRepresentation)
  }
}

extension TestNetwork {
  /// The verdict the next block of the sender's shard (or `shard`) would give `tx`, committing nothing.
  func verdict(_ tx: SignedTransaction, shard: UInt32? = nil, chunks: (any ChunkAvailability)? = nil) throws
    -> EntryVerdict
  {
    try verdicts([Self.entry(tx)], shard: shard ?? senderShard(tx), chunks: chunks)[0]
  }

  /// The verdicts of the next block of `shard` on `entries`.
  func verdicts(_ entries: [Data], shard: UInt32, chunks: (any ChunkAvailability)? = nil) throws
    -> [EntryVerdict]
  {
    var (_, context) = try nextProposal(shard: shard, entries: entries)
    context.chunks = chunks
    return try LedgerExecutor.validate(entries: entries, context: context, state: states[Int(shard)])
  }

  /// The rejection the next block would give `tx` (nil when valid).
  func rejection(_ tx: SignedTransaction, shard: UInt32? = nil) throws -> Rejection? {
    try verdict(tx, shard: shard).rejection
  }

  func senderShard(_ tx: SignedTransaction) throws -> UInt32 {
    let body = try TransactionBody(serializedBytes: tx.body)
    return Ledger.shard(ofAddressBytes: body.sender, shardCount: shardCount)
  }
}

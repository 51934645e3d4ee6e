import ChainCrypto
import Foundation
import Ledger
import Synchronization
import Wire

@testable import Node

/// A ``ChainBackend`` for the client API's tests: one validator holding the one shard of the
/// network, on the real `LedgerStore`, `LedgerExecutor` and `BlobStore`. Submitted transactions are
/// checked as a mempool would and committed as real blocks (proposal, the member's vote, certificate,
/// application), at once or when the test says; RBlocks are made on request. A second blob store plays
/// another node of the shard for `fetchChunk`.
final class SingleMemberChain: ChainBackend {
  let genesis: ValidatedGenesis
  let nodeKey: Ed25519.PrivateKey
  let ledger: LedgerStore
  let blobs: BlobStore
  /// Another node's blob store: replication copies chunks here, `fetchChunk` reads them from here.
  let peer: BlobStore
  let shardLedger: ShardLedger
  let parameters: ChainParameters
  let membership: MembershipDirectory
  let assignment: ShardAssignment

  private struct Mutable {
    var autoCommit = true
    var queue: [SignedTransaction] = []
    var subscribers: [UUID: AsyncStream<ChainEvent>.Continuation] = [:]
    var timestampMs: UInt64 = 0
    var failure: ChainBackendError?
    var tamperFetches = false
    var submitted = 0
    var peerStatuses: [Data: TransactionStatus] = [:]
    var heldShards: [UInt32] = [0]
  }

  private let mutable = Mutex(Mutable())

  var nodeAddress: Address { nodeKey.address }

  /// A chain of `genesis` (one validator, `nodeKey`, one shard) with its files in `directory`.
  init(directory: String, genesis: ValidatedGenesis, nodeKey: Ed25519.PrivateKey) throws {
    self.genesis = genesis
    self.nodeKey = nodeKey
    ledger = try LedgerStore(path: directory + "/ledger.sqlite")
    try ledger.initialize(genesis: genesis.genesis, shards: [0])
    blobs = try BlobStore(
      directory: directory + "/blobs", masterKey: SymmetricKey(data: Data(repeating: 1, count: 32)))
    peer = try BlobStore(
      directory: directory + "/peer-blobs", masterKey: SymmetricKey(data: Data(repeating: 2, count: 32)))
    shardLedger = try ShardLedger(store: ledger, shard: 0)
    parameters = try ChainParameters(genesis: genesis.genesis)
    assignment = ShardAssignment(
      epoch: 0, seed: Data(count: 32),
      shards: [ShardMembers(shard: 0, members: [nodeKey.address.rawRepresentation])])
    membership = try MembershipDirectory(validators: genesis.genesis.validators, assignments: [assignment])
  }

  // MARK: Test controls

  /// Whether each submission is committed at once in a block of its own (else it waits for
  /// ``commitPending()``).
  func setAutoCommit(_ on: Bool) { mutable.withLock { $0.autoCommit = on } }

  /// Makes `submit` and `replicate` fail with `failure` (nil to heal): no member reachable, a full
  /// mempool, ...
  func setFailure(_ failure: ChainBackendError?) { mutable.withLock { $0.failure = failure } }

  /// Makes ``transactionStatusFromPeers(_:)`` answer `status` for its transaction, as another
  /// validator storing it would.
  func setPeerStatus(_ status: TransactionStatus) {
    mutable.withLock { $0.peerStatuses[status.txID] = status }
  }

  /// Makes ``heldShards()`` answer `shards`, as for a node an epoch change moved out of shard 0.
  func setHeldShards(_ shards: [UInt32]) { mutable.withLock { $0.heldShards = shards } }

  /// Makes `fetchChunk` return altered data.
  func setTamperFetches(_ on: Bool) { mutable.withLock { $0.tamperFetches = on } }

  /// How many transactions were submitted.
  var submittedCount: Int { mutable.withLock { $0.submitted } }

  /// How many event streams are open.
  var subscriberCount: Int { mutable.withLock { $0.subscribers.count } }

  /// Returns once at least `count` event streams are open (a watch or a wait has subscribed).
  func awaitSubscribers(_ count: Int) async throws {
    while subscriberCount < count { try await Task.sleep(for: .milliseconds(5)) }
  }

  /// How many transactions wait for a block.
  var queuedCount: Int { mutable.withLock { $0.queue.count } }

  /// Commits the queued transactions in one block; returns it and its outcome (nil when none waits).
  @discardableResult
  func commitPending() throws -> (TBlock, BlockOutcome)? {
    let entries = try mutable.withLock { state -> [Data] in
      let entries = try state.queue.map { try TBlockEntry(entry: .transaction($0)).serializedData() }
      state.queue = []
      return entries
    }
    guard !entries.isEmpty else { return nil }
    return try commit(entries)
  }

  /// Commits a block of `entries` (serialized `TBlockEntry`s) as the shard's one member; without
  /// `certified`, the block is stored with no votes (what chain validation must catch).
  @discardableResult
  func commit(_ entries: [Data], certified: Bool = true) throws -> (TBlock, BlockOutcome) {
    let head = try shardLedger.head()
    let timestamp = mutable.withLock { state in
      state.timestampMs = max(
        state.timestampMs + 1, UInt64(Date().timeIntervalSince1970 * 1000), head.timestampMs)
      return state.timestampMs
    }
    let proposal = try TBlocks.propose(
      TBlocks.HeaderFields(
        chainID: genesis.chainID, shard: 0, epoch: 0, view: 0, height: head.height + 1,
        previousHash: head.hash,
        timestampMs: timestamp, parentStateRoot: head.stateRoot, rblockHeight: head.rblockHeight),
      entries: entries, key: nodeKey)
    let context = try BlockContext(
      parameters: parameters, headerBytes: proposal.header, membership: membership, chunks: blobs)
    let prepared = LedgerExecutor.prepare(entries: entries, context: context)
    let verdicts = try LedgerExecutor.validate(prepared, context: context, state: shardLedger.state)
    let vote = try Votes.make(
      header: context.header, blockHash: context.blockHash, valid: verdicts.map(\.isValid), key: nodeKey)
    let members = membership.members(shard: 0, epoch: 0)!
    let block =
      certified
      ? try TBlocks.assemble(proposal, certificate: CommitCertificates.make([vote]), members: members)
      : TBlock(
        header: proposal.header, proposerSignature: proposal.signature, entries: proposal.entries,
        decision: BitVector(verdicts.map(\.isValid)).bytes, certificate: CommitCertificate())
    let outcome = try shardLedger.commit(block, context: context, prepared: prepared)
    try blobs.apply(outcome.blobEvents)
    emit(.tblockCommitted(shard: 0, height: context.height, hash: context.blockHash.data))
    return (block, outcome)
  }

  /// Commits an RBlock covering the shard's blocks since the last one, which makes them final.
  @discardableResult
  func commitRBlock() throws -> RBlock {
    let previous = try ledger.rblock(height: 0)
    let previousHeader = try previous.map { try RBlockHeader(serializedBytes: $0.header) }
    let covered = previousHeader?.shards.first?.toHeight ?? 0
    let head = try shardLedger.head()
    var header = RBlockHeader()
    header.chainID = genesis.chainID
    header.height = (previousHeader?.height ?? 0) + 1
    header.previousHash = previous.map { BlockHashes.hash(header: $0.header).data } ?? BlockHashes.zero
    header.proposer = nodeAddress.rawRepresentation
    header.timestampMs = max(head.timestampMs, previousHeader?.timestampMs ?? 0)
    header.shards = [try ledger.shardCoverage(shard: 0, from: covered + 1, to: head.height)]
    header.reputation = [
      ReputationUpdate(
        validator: nodeAddress.rawRepresentation, previousPPM: 500_000, reputationPPM: 600_000,
        votesMatching: 1)
    ]
    let bytes = try header.serializedData()
    let signature = try RBlocks.sign(hash: SHA256.hash(bytes), key: nodeKey)
    let block = RBlock(
      header: bytes,
      certificate: RBlocks.certificate(signatures: [nodeAddress: signature], membership: membership))
    try ledger.commit(rblock: block)
    emit(.tblocksFinal(shard: 0, upTo: head.height))
    emit(.rblockCommitted(height: header.height, hash: SHA256.hash(bytes).data))
    return block
  }

  /// Ends every event stream, as a node shutting down does.
  func finishEvents() {
    for continuation in mutable.withLock({ Array($0.subscribers.values) }) { continuation.finish() }
  }

  private func emit(_ event: ChainEvent) {
    for continuation in mutable.withLock({ Array($0.subscribers.values) }) { continuation.yield(event) }
  }

  // MARK: ChainBackend

  func heldShards() async -> [UInt32] { mutable.withLock { $0.heldShards } }

  func transactionStatusFromPeers(_ id: Data) async -> TransactionStatus? {
    mutable.withLock { $0.peerStatuses[id] }
  }

  func currentAssignment() async -> ShardAssignment { assignment }

  func currentReputation() async -> [Address: UInt32] {
    var reputation: [Address: UInt32] = [:]
    for update in (try? ledger.reputation()) ?? [] {
      if let address = try? Address(rawRepresentation: update.validator) {
        reputation[address] = update.reputationPPM
      }
    }
    return reputation
  }

  func submit(_ transaction: SignedTransaction) async throws(ChainBackendError) {
    do { _ = try TransactionChecks.check(transaction, parameters: parameters) } catch {
      throw .invalid(error.description)
    }
    let commitNow = try mutable.withLock { state throws(ChainBackendError) -> Bool in
      if let failure = state.failure { throw failure }
      state.queue.append(transaction)
      state.submitted += 1
      return state.autoCommit
    }
    guard commitNow else { return }
    do { try commitPending() } catch { throw .unavailable("committing failed: \(error)") }
  }

  func events() -> AsyncStream<ChainEvent> {
    let id = UUID()
    let (stream, continuation) = AsyncStream<ChainEvent>.makeStream()
    continuation.onTermination = { [weak self] _ in
      _ = self?.mutable.withLock { $0.subscribers.removeValue(forKey: id) }
    }
    mutable.withLock { $0.subscribers[id] = continuation }
    return stream
  }

  func replicate(_ manifest: BlobManifest, shard: UInt32) async throws(ChainBackendError) -> Int {
    if let failure = mutable.withLock({ $0.failure }) { throw failure }
    do {
      for index in manifest.chunkHashes.indices {
        try peer.importChunk(
          try blobs.exportChunk(blobID: manifest.merkleRoot, index: index), manifest: manifest)
      }
    } catch {
      throw .unavailable("replication failed: \(error)")
    }
    return blobs.hasAllChunks(manifest) ? 1 : 0
  }

  func fetchChunk(_ manifest: BlobManifest, index: Int, shard: UInt32) async throws(ChainBackendError)
    -> ChunkReplica
  {
    var replica: ChunkReplica
    do { replica = try peer.exportChunk(blobID: manifest.merkleRoot, index: index) } catch {
      throw .notFound("no member of shard \(shard) holds chunk \(index): \(error)")
    }
    if mutable.withLock({ $0.tamperFetches }) { replica.data[replica.data.startIndex] ^= 0xff }
    return replica
  }
}

import ChainCrypto
import Consensus
import Foundation
import Ledger
import Synchronization
import Wire

/// The real ledger as the consensus driver uses it: validations and block application through
/// `LedgerExecutor` and `ShardLedger`, committed RBlocks into the `LedgerStore`, and the pieces a restart
/// needs. It belongs to one ``NodeRuntime`` and is used only on its executor.
final class RuntimeLedger {
  let store: LedgerStore
  let blobs: BlobStore
  let genesis: Genesis
  let parameters: ChainParameters
  /// The ledger of the shard this validator serves.
  private(set) var current: ShardLedger
  /// The shard memberships of the epochs known so far, for receipt proofs.
  private(set) var membership: MembershipDirectory

  /// Opens the ledger of `shard` (making its genesis state if the store does not hold it yet).
  init(store: LedgerStore, blobs: BlobStore, genesis: Genesis, shard: UInt32) throws {
    self.store = store
    self.blobs = blobs
    self.genesis = genesis
    parameters = try ChainParameters(genesis: genesis)
    membership = try MembershipDirectory(validators: genesis.validators)
    try store.initialize(genesis: genesis, shards: [shard])
    current = try ShardLedger(store: store, shard: shard)
  }

  var shard: UInt32 { current.shard }

  /// What consensus sees of the current shard: its committed head.
  func head() throws -> LedgerHead {
    let head = try current.head()
    let block = head.height == 0 ? nil : try store.tblock(shard: shard, height: head.height)
    return LedgerHead(shard: shard, block: block, stateRoot: head.stateRoot)
  }

  /// Records the assignments of every epoch `validator` knows that the directory lacks.
  func learnEpochs(from validator: Validator) {
    for epoch in 0...validator.epoch where membership.assignments[epoch] == nil {
      var shards: [ShardMembers] = []
      for shard in 0..<parameters.shardCount {
        guard let members = validator.members(of: shard, epoch: epoch) else { break }
        shards.append(ShardMembers(shard: shard, members: members.map(\.rawRepresentation)))
      }
      guard shards.count == Int(parameters.shardCount) else { continue }
      try? membership.add(ShardAssignment(epoch: epoch, shards: shards))
    }
  }

  /// A member's vote on a proposal: one bit per entry, judged against the current state, and the
  /// content manifests the rules found this node lacking (their entries voted `chunks_missing`); nil
  /// when the proposal does not extend the state this node holds (it then does not vote).
  func validate(_ request: ValidationRequest) -> (valid: [Bool], missingContent: [BlobManifest])? {
    guard request.shard == shard else { return nil }
    let state = current.state
    let chunks = MissingChunkRecorder(blobs)
    guard request.header.parentStateRoot == state.stateRoot.data,
      var context = try? context(
        header: request.header, blockHash: request.blockHash, rewardsFrom: state.rewardsHeight)
    else { return nil }
    context.chunks = chunks
    guard
      let verdicts = try? LedgerExecutor.validate(
        entries: request.entries.map(\.bytes), context: context, state: state),
      verdicts.count == request.entries.count
    else { return nil }
    let valid = zip(verdicts, request.entries).map { verdict, entry in
      verdict.isValid && entry.invalidReason == nil
    }
    return (valid, chunks.missing)
  }

  /// Applies a committed block, stores it with its state in one transaction, and carries out its blob
  /// events (references of records to image blobs).
  func apply(_ request: ApplyRequest) throws -> ApplyResult {
    guard request.shard == shard else {
      throw LedgerError.invalidBlock("a block of shard \(request.shard) for the ledger of shard \(shard)")
    }
    let context = try context(
      header: request.header, blockHash: request.blockHash, rewardsFrom: current.state.rewardsHeight)
    let outcome = try current.commit(request.block, context: context)
    try blobs.apply(outcome.blobEvents)
    return ApplyResult(
      shard: shard, height: request.header.height, blockHash: request.blockHash,
      stateRoot: outcome.stateRoot.data,
      emitted: outcome.receipts.map(Self.consensusReceipt),
      receiptsDecided: Self.receiptsDecided(outcome.results))
  }

  /// Stores a committed RBlock unless the store already has it.
  func store(rblock block: RBlock) throws {
    let header = try RBlockHeader(serializedBytes: block.header)
    let stored =
      try store.rblock(height: 0).flatMap { try? RBlockHeader(serializedBytes: $0.header).height } ?? 0
    guard header.height == stored + 1 else { return }
    try store.commit(rblock: block)
  }

  /// The height of the newest RBlock in the store.
  func storedRBlockHeight() throws -> UInt64 {
    try store.rblock(height: 0).flatMap { try? RBlockHeader(serializedBytes: $0.header).height } ?? 0
  }

  /// The committed blocks of the current shard from `height` on, with their application results rebuilt
  /// from the store (for ``RestartState/recentBlocks``).
  func appliedBlocks(from height: UInt64) throws -> [AppliedBlock] {
    let head = try current.head()
    guard head.height >= max(height, 1) else { return [] }
    var applied: [AppliedBlock] = []
    var decidedBefore = try store.shardCoverage(shard: shard, from: 1, to: max(height, 1) - 1).receiptsDecided
    for h in max(height, 1)...head.height {
      guard let block = try store.tblock(shard: shard, height: h) else { continue }
      let coverage = try store.shardCoverage(shard: shard, from: h, to: h)
      let emitted = try store.emittedReceipts(shard: shard, from: h, to: h).map {
        Self.consensusReceipt($0.receipt)
      }
      let result = ApplyResult(
        shard: shard, height: h, blockHash: BlockHashes.hash(header: block.header).data,
        stateRoot: coverage.stateRoot,
        emitted: emitted, receiptsDecided: coverage.receiptsDecided - decidedBefore)
      decidedBefore = coverage.receiptsDecided
      applied.append(AppliedBlock(block: block, result: result))
    }
    return applied
  }

  /// Makes `shard` the current one from its genesis state (a validator moving to a shard at height 0).
  func switchToGenesis(of shard: UInt32) throws -> LedgerHead {
    try store.initialize(genesis: genesis, shards: [shard])
    current = try ShardLedger(store: store, shard: shard)
    return try head()
  }

  /// Installs a peer's snapshot of `shard` at `block` (checked against `stateRoot`) and makes it current.
  func install(shard: UInt32, chunks: [StateSnapshotChunk], block: TBlock, stateRoot: Data) throws
    -> LedgerHead
  {
    try store.installSnapshot(shard: shard, chunks: chunks, block: block, stateRoot: stateRoot)
    current = try ShardLedger(store: store, shard: shard)
    return try head()
  }

  private func context(header: TBlockHeader, blockHash: Data, rewardsFrom credited: UInt64) throws
    -> BlockContext
  {
    let rewardBlocks =
      header.rblockHeight > credited
      ? try store.rblockHeaders(from: credited + 1, to: header.rblockHeight) : []
    return BlockContext(
      parameters: parameters, header: header, blockHash: try SHA256Digest(data: blockHash),
      membership: membership,
      rewardBlocks: rewardBlocks, chunks: blobs)
  }

  private static func consensusReceipt(_ receipt: Ledger.EmittedReceipt) -> Consensus.EmittedReceipt {
    Consensus.EmittedReceipt(
      entryIndex: receipt.entryIndex, kind: receipt.kind, txID: receipt.txID, targetShard: receipt.targetShard
    )
  }

  /// Receipts from other shards a block decided for the first time: applied, or aborted (the count the
  /// store's coverage reports).
  private static func receiptsDecided(_ results: [EntryResult]) -> UInt64 {
    UInt64(
      results.filter { result in
        switch result.type {
        case .applyReceipt, .abortReceipt: result.status == .applied || result.crossShard == .aborted
        case .transaction, .malformed: false
        }
      }.count)
  }
}

/// The blob store as the ledger's rules see it while a member votes, remembering each manifest they found
/// incomplete, so that the runtime can fetch exactly what the rules asked for.
private final class MissingChunkRecorder: ChunkAvailability {
  private let blobs: BlobStore
  private let recorded = Mutex<[BlobManifest]>([])

  init(_ blobs: BlobStore) { self.blobs = blobs }

  var missing: [BlobManifest] { recorded.withLock { $0 } }

  func hasAllChunks(_ manifest: BlobManifest) -> Bool {
    let held = blobs.hasAllChunks(manifest)
    if !held { recorded.withLock { $0.append(manifest) } }
    return held
  }
}

import ChainCrypto
import Consensus
import Foundation
import Ledger
import Wire

extension NodeRuntime: ChainBackend {
  public func heldShards() async -> [UInt32] { [chain.shard] }

  public func currentAssignment() async -> ShardAssignment { validator.assignment.message }

  /// The assignment of `epoch` as this validator computed it; past epochs carry no seed (the members are
  /// what certificates are checked against).
  public func assignment(epoch: UInt64) async -> ShardAssignment? {
    if epoch == validator.epoch { return validator.assignment.message }
    var shards: [ShardMembers] = []
    for shard in 0..<parameters.shardCount {
      guard let members = validator.members(of: shard, epoch: epoch) else { return nil }
      shards.append(ShardMembers(shard: shard, members: members.map(\.rawRepresentation)))
    }
    return ShardAssignment(epoch: epoch, shards: shards)
  }

  public func currentReputation() async -> [Address: UInt32] { validator.reputation }

  /// The committed account at `address`: from the ledger when this validator holds its shard,
  /// otherwise from a member of that shard (the first that answers; an account is only as current as
  /// that member's ledger).
  public func account(_ address: Address) async throws(ChainBackendError) -> Account? {
    let shard = parameters.shard(of: address)
    if shard == chain.shard {
      do { return try ledger.account(address.rawRepresentation) } catch {
        throw .unavailable("the ledger cannot be read: \(error)")
      }
    }
    let members = validator.assignment.members(of: shard).filter { $0 != nodeAddress }
    switch await network.account(address, peers: members) {
    case .found(let account): return account
    case .none: return nil
    case .noAnswer:
      throw .unavailable(
        "account \(address.hex) lives in shard \(shard); none of its \(members.count) members answered")
    }
  }

  /// Asks the members of every shard (this one's too: they may have decided it before this validator
  /// joined) for the status of `id`.
  public func transactionStatusFromPeers(_ id: Data) async -> TransactionStatus? {
    let groups = (0..<parameters.shardCount).map { shard in
      validator.assignment.members(of: shard).filter { $0 != nodeAddress }
    }
    return await network.transactionStatus(id, groups: groups)
  }

  /// Checks the transaction's form and signatures off the runtime's thread, then admits it.
  public nonisolated func submit(_ transaction: SignedTransaction) async throws(ChainBackendError) {
    let checked: CheckedTransaction
    do { checked = try TransactionChecks.check(transaction, parameters: parameters) } catch {
      metrics.refused.increment()
      throw .invalid("\(error)")
    }
    let size = (try? transaction.serializedData().count) ?? transaction.body.count
    try await admit(transaction, id: checked.id.data, sender: checked.sender, bytes: size)
  }

  /// Hands `transaction` (checked when it was admitted here) to consensus again, even while the mempool
  /// still counts it: consensus pools it if it is of this validator's shard and not pooled any more, and
  /// forwards it to its home shard's members otherwise.
  public func resubmit(_ transaction: SignedTransaction) async throws(ChainBackendError) {
    guard state == .running else { throw .unavailable("the node is not running") }
    metrics.resubmitted.increment()
    step(.submit([transaction]))
  }

  /// Records a checked transaction in the mempool and hands it to consensus, which keeps it if its
  /// sender's shard is this validator's and forwards it to that shard's members otherwise.
  private func admit(_ transaction: SignedTransaction, id: Data, sender: Address, bytes: Int)
    throws(ChainBackendError)
  {
    guard state == .running else { throw .unavailable("the node is not running") }
    if parameters.shard(of: sender) == chain.shard {
      let admission: Mempool.Admission
      do {
        admission = try mempool.admit(
          id: id, sender: sender.rawRepresentation, bytes: bytes, now: clock.now())
      } catch {
        metrics.refused.increment()
        throw error
      }
      guard admission == .admitted else { return }
      metrics.pending.record(Double(mempool.count))
    }
    metrics.admitted.increment()
    step(.submit([transaction]))
  }

  public nonisolated func events() -> AsyncStream<ChainEvent> { hub.events() }

  public func replicate(_ manifest: BlobManifest, shard: UInt32) async throws(ChainBackendError) -> Int {
    guard shard < parameters.shardCount else { throw .invalid("shard \(shard) does not exist") }
    guard blobs.hasAllChunks(manifest) else {
      throw .notFound("this node does not hold every chunk of blob \(manifest.merkleRoot.hexString)")
    }
    var replicas: [ChunkReplica] = []
    for index in manifest.chunkHashes.indices {
      do { replicas.append(try blobs.exportChunk(blobID: manifest.merkleRoot, index: index)) } catch {
        throw .unavailable("cannot read chunk \(index) of blob \(manifest.merkleRoot.hexString): \(error)")
      }
    }
    let others = validator.assignment.members(of: shard).filter { $0 != nodeAddress }
    let stored = await network.replicate(replicas, manifest: manifest, to: others)
    let here = validator.assignment.members(of: shard).contains(nodeAddress) ? 1 : 0
    return stored + here
  }

  public func fetchChunk(_ manifest: BlobManifest, index: Int, shard: UInt32) async throws(ChainBackendError)
    -> ChunkReplica
  {
    guard manifest.chunkHashes.indices.contains(index) else {
      throw .invalid(
        "blob \(manifest.merkleRoot.hexString) has \(manifest.chunkHashes.count) chunks, no chunk \(index)")
    }
    let members = validator.assignment.members(of: shard).filter { $0 != nodeAddress }
    guard !members.isEmpty else { throw .unavailable("shard \(shard) has no other member to ask") }
    guard let replica = await network.fetchChunk(blobID: manifest.merkleRoot, index: index, peers: members)
    else {
      throw .unavailable(
        "no member of shard \(shard) could give chunk \(index) of blob \(manifest.merkleRoot.hexString)")
    }
    return replica
  }
}

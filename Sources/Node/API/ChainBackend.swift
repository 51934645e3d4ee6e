import ChainCrypto
import Foundation
import Ledger
import Wire

/// What the client API (the `HealthChain` service) needs from a running node: the stores it reads, a way
/// to get transactions into consensus, block events, the current assignment and reputation, and chunk
/// replication among the members of a shard.
///
/// `NodeRuntime` implements it over the `Consensus` state machines and the peer network; the API's tests
/// implement it over a single-member chain on the real ledger. Every method is safe to call from any task.
public protocol ChainBackend: Sendable {
  /// The network's genesis, checked.
  var genesis: ValidatedGenesis { get }
  /// This node's validator address.
  var nodeAddress: Address { get }
  /// The node's ledger: committed TBlocks of the shards it holds, every committed RBlock, state and queries.
  var ledger: LedgerStore { get }
  /// The node's blob store (image chunks, upload sessions, manifests).
  var blobs: BlobStore { get }

  /// The shards whose state this node holds now (its current shard; more while it hands over).
  func heldShards() async -> [UInt32]

  /// The shard assignment of the current epoch.
  func currentAssignment() async -> ShardAssignment

  /// Every validator's reputation after the highest committed RBlock, in ppm.
  func currentReputation() async -> [Address: UInt32]

  /// Admits a signed transaction: checks its form and signatures, then hands it to the consensus of its
  /// home shard (forwarding it to a member of that shard when this node serves another). Returns once the
  /// transaction is in a mempool; commitment is observed through ``events()`` and the ledger.
  func submit(_ transaction: SignedTransaction) async throws(ChainBackendError)

  /// Hands a transaction admitted before, still undecided, to consensus again (its forward to the home
  /// shard, or the home shard's copy, may have been lost: a full peer queue, an epoch's handover). The
  /// default implementation submits it again.
  func resubmit(_ transaction: SignedTransaction) async throws(ChainBackendError)

  /// Block events from now on, until the stream's consumer stops or the node shuts down.
  func events() -> AsyncStream<ChainEvent>

  /// Copies the chunks of a finished upload to the other members of `shard` and returns how many members
  /// (this node included) now hold every chunk.
  func replicate(_ manifest: BlobManifest, shard: UInt32) async throws(ChainBackendError) -> Int

  /// Fetches chunk `index` of `manifest` from a member of `shard` that holds it; the caller checks it
  /// against the manifest before use.
  func fetchChunk(_ manifest: BlobManifest, index: Int, shard: UInt32) async throws(ChainBackendError)
    -> ChunkReplica

  /// The committed account at `address` (nil when it has none): from ``ledger`` when this node holds
  /// the address's shard, otherwise from a member of that shard. The client API signs custodial users'
  /// transactions with the next nonce after this one's, and serves `GetAccount` from it.
  ///
  /// Added for the client API. The default implementation reads ``ledger`` only and throws
  /// ``ChainBackendError/unavailable(_:)`` for an address of a shard this node does not hold; the
  /// runtime should override it to ask a member of that shard.
  func account(_ address: Address) async throws(ChainBackendError) -> Account?

  /// The status of transaction `id` as another validator's ledger stores it (nil if none asked does),
  /// for a transaction this node's ledger does not store: of a shard it does not hold, or decided in
  /// its shard before it joined.
  ///
  /// Added for the client API (`GetTransaction`). The default implementation asks no one.
  func transactionStatusFromPeers(_ id: Data) async -> TransactionStatus?

  /// The shard assignment of `epoch`, if this node knows it (every epoch up to the current one).
  ///
  /// Added for the client API (`GetShardAssignment` of a past epoch, `ValidateChain` checking the
  /// certificates of blocks of past epochs). The default implementation knows the current epoch only.
  func assignment(epoch: UInt64) async -> ShardAssignment?
}

/// What the client API expects of the runtime beyond the calls above:
/// - committed blocks are applied to ``ChainBackend/blobs`` too (`BlobStore.apply(outcome.blobEvents)`), so
///   that an `EraseRecord` destroys the record's data key (crypto-shredding) on every node that applies it;
/// - ``ChainBackend/events()`` yields `tblockCommitted` only after the block is readable from
///   ``ChainBackend/ledger``, and `tblocksFinal` / `rblockCommitted` only after the RBlock is.
extension ChainBackend {
  public func account(_ address: Address) async throws(ChainBackendError) -> Account? {
    let shard = Ledger.shard(of: address, shardCount: genesis.shardCount)
    guard await heldShards().contains(shard) else {
      throw .unavailable("account \(address.hex) lives in shard \(shard), which this node does not hold")
    }
    do {
      return try ledger.account(address.rawRepresentation)
    } catch {
      throw .unavailable("the ledger cannot be read: \(error)")
    }
  }

  public func resubmit(_ transaction: SignedTransaction) async throws(ChainBackendError) {
    try await submit(transaction)
  }

  public func transactionStatusFromPeers(_ id: Data) async -> TransactionStatus? { nil }

  public func assignment(epoch: UInt64) async -> ShardAssignment? {
    let current = await currentAssignment()
    return current.epoch == epoch ? current : nil
  }
}

/// A block event of a running node.
public enum ChainEvent: Sendable, Hashable {
  /// A TBlock of a shard this node holds was committed by its shard and stored here.
  case tblockCommitted(shard: UInt32, height: UInt64, hash: Data)
  /// The TBlocks of `shard` up to `height` are final: covered by a committed RBlock.
  case tblocksFinal(shard: UInt32, upTo: UInt64)
  /// An RBlock was committed and stored here.
  case rblockCommitted(height: UInt64, hash: Data)
}

/// Why a ``ChainBackend`` call failed; each case maps to one gRPC status.
public enum ChainBackendError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The transaction or request is malformed or fails a check (INVALID_ARGUMENT).
  case invalid(String)
  /// The mempool or a queue is full; retry later (RESOURCE_EXHAUSTED).
  case overloaded(String)
  /// No member of the shard could be reached, or the node is shutting down (UNAVAILABLE).
  case unavailable(String)
  /// The thing asked for does not exist here (NOT_FOUND).
  case notFound(String)

  public var description: String {
    switch self {
    case .invalid(let reason), .overloaded(let reason), .unavailable(let reason), .notFound(let reason):
      reason
    }
  }
}

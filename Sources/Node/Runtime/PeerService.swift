import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import RPC
import Wire

/// The `Peer` service on the peer port. Every call must come from a genesis validator (the TLS hook
/// already refuses other certificates during the handshake; each call checks again and gets
/// PERMISSION_DENIED otherwise). Consensus messages go to the runtime; blocks, state and chunks are
/// served from the ledger and the blob store, and so are accounts, for nodes serving clients of other
/// shards.
struct PeerService: Peer.ServiceProtocol {
  let runtime: NodeRuntime
  let identity: PeerIdentity
  let registry: PeerRegistry
  let store: LedgerStore
  let blobs: BlobStore
  let shardCount: UInt32

  /// Most blocks one sync call returns.
  static let maxBlocksPerCall: UInt64 = 256

  func exchange(request: StreamingServerRequest<ConsensusBatch>, context: ServerContext) async throws
    -> StreamingServerResponse<ConsensusBatch>
  {
    let sender = try identity.caller(of: context, registry: registry)
    let runtime = self.runtime
    return StreamingServerResponse { _ in
      for try await batch in request.messages {
        await runtime.receive(batch.messages, from: sender)
      }
      return [:]
    }
  }

  func getTblocks(request: ServerRequest<GetTBlocksRequest>, context: ServerContext) async throws
    -> StreamingServerResponse<TBlock>
  {
    _ = try identity.caller(of: context, registry: registry)
    let request = request.message
    guard request.shard < shardCount else {
      throw RPCError(
        code: .invalidArgument,
        message: "shard \(request.shard) does not exist; shards are 0 to \(shardCount - 1)")
    }
    return try Self.blocks(
      from: request.fromHeight, to: request.toHeight, of: "blocks of shard \(request.shard)"
    ) {
      try store.tblocks(shard: request.shard, from: $0, to: $1, limit: Int(Self.maxBlocksPerCall))
    }
  }

  func getRblocks(request: ServerRequest<GetRBlocksRequest>, context: ServerContext) async throws
    -> StreamingServerResponse<RBlock>
  {
    _ = try identity.caller(of: context, registry: registry)
    let request = request.message
    return try Self.blocks(from: request.fromHeight, to: request.toHeight, of: "RBlocks") {
      try store.rblocks(from: $0, to: $1, limit: Int(Self.maxBlocksPerCall))
    }
  }

  /// The blocks `read` returns for heights `from` to `to` (0: the newest), at most ``maxBlocksPerCall``,
  /// as a stream; a range that cannot exist is INVALID_ARGUMENT, a failed read INTERNAL.
  private static func blocks<Block: Sendable>(
    from: UInt64, to: UInt64, of what: String, _ read: (UInt64, UInt64) throws -> [Block]
  ) throws -> StreamingServerResponse<Block> {
    guard from >= 1 else {
      throw RPCError(code: .invalidArgument, message: "from_height must be at least 1")
    }
    guard to == 0 || to >= from else {
      throw RPCError(code: .invalidArgument, message: "to_height \(to) is below from_height \(from)")
    }
    let last = min(to == 0 ? UInt64.max : to, from + maxBlocksPerCall - 1)
    let blocks: [Block]
    do { blocks = try read(from, last) } catch {
      throw RPCError(code: .internalError, message: "reading \(what): \(error)")
    }
    return StreamingServerResponse { writer in
      try await writer.write(contentsOf: blocks)
      return [:]
    }
  }

  func replicateChunks(request: StreamingServerRequest<ChunkReplica>, context: ServerContext) async throws
    -> ServerResponse<ReplicateChunksResponse>
  {
    _ = try identity.caller(of: context, registry: registry)
    guard let bytes = request.metadata[binaryValues: PeerMetadata.manifestKey].first(where: { _ in true })
    else {
      throw RPCError(
        code: .invalidArgument,
        message: "ReplicateChunks needs the blob's BlobManifest in metadata \(PeerMetadata.manifestKey)")
    }
    let manifest: BlobManifest
    do { manifest = try BlobManifest(serializedBytes: Data(bytes)) } catch {
      throw RPCError(
        code: .invalidArgument, message: "\(PeerMetadata.manifestKey) is not a BlobManifest: \(error)")
    }
    var stored: UInt32 = 0
    for try await replica in request.messages {
      do { try blobs.importChunk(replica, manifest: manifest) } catch let error as BlobStoreError {
        throw RPCError(code: Self.code(error), message: "\(error)")
      }
      stored += 1
    }
    return ServerResponse(message: ReplicateChunksResponse(stored: stored))
  }

  func fetchChunk(request: ServerRequest<FetchChunkRequest>, context: ServerContext) async throws
    -> ServerResponse<ChunkReplica>
  {
    _ = try identity.caller(of: context, registry: registry)
    let request = request.message
    guard request.blobID.count == 32 else {
      throw RPCError(code: .invalidArgument, message: "blob_id has \(request.blobID.count) bytes, not 32")
    }
    do {
      return ServerResponse(message: try blobs.exportChunk(blobID: request.blobID, index: Int(request.index)))
    } catch let error
      as BlobStoreError
    {
      throw RPCError(code: Self.code(error), message: "\(error)")
    }
  }

  func getAccount(request: ServerRequest<PeerAccountRequest>, context: ServerContext) async throws
    -> ServerResponse<Account>
  {
    _ = try identity.caller(of: context, registry: registry)
    let address: Address
    do { address = try Address(rawRepresentation: request.message.address) } catch {
      throw RPCError(
        code: .invalidArgument, message: "address has \(request.message.address.count) bytes, not 20")
    }
    let shard = Ledger.shard(of: address, shardCount: shardCount)
    // The shard this validator is a member of now: the ledger may still hold the state of a shard it
    // left at an epoch change, which no longer advances.
    guard await runtime.heldShards().contains(shard) else {
      throw RPCError(
        code: .failedPrecondition,
        message: "account \(address.hex) lives in shard \(shard), of which this validator is not a member")
    }
    let account: Account?
    do { account = try store.account(address.rawRepresentation) } catch {
      throw RPCError(code: .internalError, message: "reading account \(address.hex): \(error)")
    }
    guard let account else { throw RPCError(code: .notFound, message: "no account \(address.hex)") }
    return ServerResponse(message: account)
  }

  func getTransaction(request: ServerRequest<PeerTransactionRequest>, context: ServerContext) async throws
    -> ServerResponse<TransactionStatus>
  {
    _ = try identity.caller(of: context, registry: registry)
    let id = request.message.txID
    guard id.count == 32 else {
      throw RPCError(code: .invalidArgument, message: "tx_id has \(id.count) bytes, not 32")
    }
    let status: TransactionStatus?
    do { status = try store.transactionStatus(id: id) } catch {
      throw RPCError(code: .internalError, message: "reading transaction \(id.hexString): \(error)")
    }
    guard let status else {
      throw RPCError(code: .notFound, message: "this validator's ledger has no transaction \(id.hexString)")
    }
    return ServerResponse(message: status)
  }

  func getStateSnapshot(request: ServerRequest<StateSnapshotRequest>, context: ServerContext) async throws
    -> StreamingServerResponse<StateSnapshotChunk>
  {
    _ = try identity.caller(of: context, registry: registry)
    let request = request.message
    guard request.shard < shardCount else {
      throw RPCError(
        code: .invalidArgument,
        message: "shard \(request.shard) does not exist; shards are 0 to \(shardCount - 1)")
    }
    let held = (try? store.heldShards()) ?? []
    guard held.contains(request.shard) else {
      throw RPCError(code: .notFound, message: "this node holds no state of shard \(request.shard)")
    }
    let chunks: [StateSnapshotChunk]
    do { chunks = try store.snapshot(shard: request.shard) } catch {
      throw RPCError(code: .internalError, message: "reading the state of shard \(request.shard): \(error)")
    }
    if request.height != 0, let first = chunks.first, first.height != request.height {
      throw RPCError(
        code: .failedPrecondition,
        message:
          "this node serves the state of shard \(request.shard) at its head, height \(first.height), not \(request.height)"
      )
    }
    return StreamingServerResponse { writer in
      try await writer.write(contentsOf: chunks)
      return [:]
    }
  }

  private static func code(_ error: BlobStoreError) -> RPCError.Code {
    switch error {
    case .unknownBlob, .missingChunk: .notFound
    case .erased: .failedPrecondition
    case .invalidManifest, .corruptChunk: .invalidArgument
    default: .internalError
    }
  }
}

import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Logging
import RPC
import TLS
import Wire

/// The links from this validator to every other genesis validator, and the calls made over them: message
/// delivery for consensus, and block, state, chunk, account and transaction fetches.
final class PeerNetwork: Sendable {
  let links: [Address: PeerLink]

  /// Links to every validator of `genesis` but `me`, authenticated with the node certificate in `tls`
  /// (each link checks that the server is the validator it dialled).
  init(genesis: ValidatedGenesis, me: Address, tls: TLSConfiguration, identity: PeerIdentity, logger: Logger)
    throws(TLSError)
  {
    var links: [Address: PeerLink] = [:]
    for validator in genesis.validators where validator.address != me {
      var linkTLS = tls
      linkTLS.peerVerifier = identity.verifier(expected: validator.address)
      links[validator.address] = try PeerLink(
        validator: validator, tls: linkTLS, queueLimit: 4096, logger: logger)
    }
    self.links = links
  }

  func start() {
    for link in links.values { link.start() }
  }

  func stop() async {
    await withTaskGroup(of: Void.self) { group in
      for link in links.values { group.addTask { await link.stop() } }
    }
  }

  /// Queues `message` for each of `receivers`.
  func send(_ message: ConsensusMessage, to receivers: [Address]) {
    for receiver in receivers { links[receiver]?.send(message) }
  }

  /// Messages dropped on full queues, over all links.
  var droppedMessages: Int { links.values.reduce(0) { $0 + $1.queue.dropped } }

  private var callOptions: CallOptions {
    var options = CallOptions.defaults
    options.timeout = PeerLimits.callTimeout
    return options
  }

  /// Committed TBlocks `from...to` of `shard` (at most `limit`) from the first of `peers` that has any.
  func tblocks(shard: UInt32, from: UInt64, to: UInt64, peers: [Address], limit: Int = 64) async -> [TBlock] {
    await firstBlocks(from: from, to: to, peers: peers, limit: limit) { peer, last, collect in
      try await peer.getTblocks(
        GetTBlocksRequest(shard: shard, fromHeight: from, toHeight: last), options: self.callOptions
      ) { try await collect($0.messages) }
    }
  }

  /// Committed RBlocks from `from` (at most `limit`) from the first of `peers` that has any.
  func rblocks(from: UInt64, to: UInt64, peers: [Address], limit: Int = 64) async -> [RBlock] {
    await firstBlocks(from: from, to: to, peers: peers, limit: limit) { peer, last, collect in
      try await peer.getRblocks(
        GetRBlocksRequest(fromHeight: from, toHeight: last), options: self.callOptions
      ) {
        try await collect($0.messages)
      }
    }
  }

  /// The blocks of the first of `peers` whose `call` (asked for heights up to its second argument, 0 for
  /// the newest) streams any, at most `limit` of them.
  private func firstBlocks<Block: Sendable>(
    from: UInt64, to: UInt64, peers: [Address], limit: Int,
    _ call: (
      Peer.Client<RPCClientTransport>, UInt64,
      @escaping @Sendable (RPCAsyncSequence<Block, any Error>) async throws -> [Block]
    ) async throws -> [Block]
  ) async -> [Block] {
    let collect: @Sendable (RPCAsyncSequence<Block, any Error>) async throws -> [Block] = { messages in
      var blocks: [Block] = []
      for try await block in messages {
        blocks.append(block)
        if blocks.count >= limit { break }
      }
      return blocks
    }
    let last = to == 0 ? 0 : min(to, from + UInt64(limit) - 1)
    for peer in peers {
      guard let link = links[peer] else { continue }
      if let blocks = try? await call(link.peer, last, collect), !blocks.isEmpty { return blocks }
    }
    return []
  }

  /// The state of `shard` after `height` and the block at `height` (hash `blockHash`), from the first of
  /// `peers` that serves both.
  func snapshot(shard: UInt32, height: UInt64, blockHash: Data, peers: [Address]) async -> (
    chunks: [StateSnapshotChunk], block: TBlock
  )? {
    for peer in peers {
      guard let link = links[peer] else { continue }
      let request = StateSnapshotRequest(shard: shard, height: height)
      guard
        let chunks = try? await link.peer.getStateSnapshot(
          request, options: callOptions,
          onResponse: { response in
            var chunks: [StateSnapshotChunk] = []
            for try await chunk in response.messages { chunks.append(chunk) }
            return chunks
          }), chunks.last?.last == true
      else { continue }
      let blocks = await tblocks(shard: shard, from: height, to: height, peers: [peer], limit: 1)
      guard let block = blocks.first, BlockHashes.hash(header: block.header).data == blockHash else {
        continue
      }
      return (chunks, block)
    }
    return nil
  }

  /// Pushes `replicas` (the chunks of the blob of `manifest`) to `peer`; returns whether it stored all.
  func replicate(_ replicas: [ChunkReplica], manifest: BlobManifest, to peer: Address) async -> Bool {
    guard let link = links[peer], let manifestBytes = try? manifest.serializedData() else { return false }
    var metadata = Metadata()
    metadata.addBinary(Array(manifestBytes), forKey: PeerMetadata.manifestKey)
    var options = CallOptions.defaults
    options.timeout = .seconds(60)
    let stored = try? await link.peer.replicateChunks(
      metadata: metadata, options: options,
      requestProducer: { writer in
        for replica in replicas { try await writer.write(replica) }
      }, onResponse: { response in try response.message.stored })
    return stored == UInt32(replicas.count)
  }

  /// Pushes `replicas` to each of `peers` at once; returns how many stored them all.
  func replicate(_ replicas: [ChunkReplica], manifest: BlobManifest, to peers: [Address]) async -> Int {
    await withTaskGroup(of: Bool.self) { group in
      for peer in peers { group.addTask { await self.replicate(replicas, manifest: manifest, to: peer) } }
      return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
  }

  /// What the members of an account's shard said about it.
  enum AccountAnswer: Sendable, Equatable {
    /// A member returned the committed account.
    case found(Account)
    /// A member holds the shard and the address has no account.
    case none
    /// No member answered (not linked, unreachable, or not holding the shard any more).
    case noAnswer
  }

  /// The committed account at `address` from the first of `peers` that holds its shard and answers.
  func account(_ address: Address, peers: [Address]) async -> AccountAnswer {
    let request = PeerAccountRequest(address: address.rawRepresentation)
    for peer in peers {
      guard let link = links[peer] else { continue }
      do {
        return .found(try await link.peer.getAccount(request, options: callOptions) { try $0.message })
      } catch let error as RPCError where error.code == .notFound {
        return .none
      } catch {
        continue
      }
    }
    return .noAnswer
  }

  /// Most members of one shard asked for a transaction: a member that joined after it was decided does
  /// not store it, so more than one is asked, but an unknown id must not cost a call to every validator.
  static let membersAskedPerShard = 3

  /// The status of transaction `id` from a validator whose ledger stores it: the groups (one per shard)
  /// are asked at once, each member after member (at most ``membersAskedPerShard`` of them) until one
  /// stores it, and the first status wins.
  func transactionStatus(_ id: Data, groups: [[Address]]) async -> TransactionStatus? {
    let request = PeerTransactionRequest(txID: id)
    return await withTaskGroup(of: TransactionStatus?.self) { group in
      for peers in groups where !peers.isEmpty {
        group.addTask {
          await self.firstAnswer(from: peers.prefix(Self.membersAskedPerShard)) { peer, options in
            try await peer.getTransaction(request, options: options) { try $0.message }
          }
        }
      }
      for await status in group {
        if let status {
          group.cancelAll()
          return status
        }
      }
      return nil
    }
  }

  /// Chunk `index` of blob `blobID` from the first of `peers` that has it.
  func fetchChunk(blobID: Data, index: Int, peers: [Address]) async -> ChunkReplica? {
    let request = FetchChunkRequest(blobID: blobID, index: UInt32(index))
    return await firstAnswer(from: peers) { peer, options in
      try await peer.fetchChunk(request, options: options) { try $0.message }
    }
  }

  /// What `call` returns at the first of `peers` (linked ones, in order) where it succeeds.
  private func firstAnswer<Answer: Sendable>(
    from peers: some Sequence<Address>,
    _ call: (Peer.Client<RPCClientTransport>, CallOptions) async throws -> Answer
  ) async -> Answer? {
    for peer in peers {
      guard let link = links[peer], let answer = try? await call(link.peer, callOptions) else { continue }
      return answer
    }
    return nil
  }
}

/// Metadata of peer calls.
enum PeerMetadata {
  /// `ReplicateChunks` carries the blob's serialized `BlobManifest` here, so that the receiver can check
  /// each chunk against it before the manifest is on chain.
  static let manifestKey = "sehc-manifest-bin"
}

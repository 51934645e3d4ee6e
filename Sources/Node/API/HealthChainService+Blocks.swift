import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Wire

/// Transactions' statuses and the chains: TBlocks of the shards this node holds, and the RChain.
extension HealthChainService {
  public func getTransaction(request: GetTransactionRequest, context: ServerContext) async throws
    -> TransactionStatus
  {
    let id = try Inputs.id(request.txID, "tx_id")
    return try await waiter.wait(
      for: id, until: try Inputs.commitment(request.waitFor), timeoutMs: request.timeoutMs,
      askingPeers: true)
  }

  public func getTblock(request: GetTBlockRequest, context: ServerContext) async throws -> TBlock {
    let shard = try await heldShard(request.shard)
    let block = try await handle("reading the block") {
      try self.context.ledger.tblock(shard: shard, height: request.height)
    }
    guard let block else {
      throw APIError.notFound(
        request.height == 0
          ? "shard \(shard) has no committed block yet"
          : "shard \(shard) has no committed block \(request.height)")
    }
    return block
  }

  public func listTblocks(request: ListTBlocksRequest, response: RPCWriter<TBlock>, context: ServerContext)
    async throws
  {
    let shard = try await heldShard(request.shard)
    let head = try await handle("reading the chain") { try self.context.ledger.head(shard: shard).height }
    let (from, to) = try range(request.fromHeight, request.toHeight, head: head, chain: "shard \(shard)")
    var next = from
    while next <= to {
      let page = try await handle("reading the chain") {
        try self.context.ledger.tblocks(shard: shard, from: next, to: to, limit: 100)
      }
      guard !page.isEmpty else { break }
      for block in page { try await response.write(block) }
      next += UInt64(page.count)
    }
  }

  public func getRblock(request: GetRBlockRequest, context: ServerContext) async throws -> RBlock {
    let block = try await handle("reading the RChain") {
      try self.context.ledger.rblock(height: request.height)
    }
    guard let block else {
      throw APIError.notFound(
        request.height == 0 ? "no RBlock has been committed yet" : "no committed RBlock \(request.height)")
    }
    return block
  }

  public func listRblocks(request: ListRBlocksRequest, response: RPCWriter<RBlock>, context: ServerContext)
    async throws
  {
    let head = try await handle("reading the RChain") {
      try self.context.ledger.rblock(height: 0).map { try RBlockHeader(serializedBytes: $0.header).height }
        ?? 0
    }
    let (from, to) = try range(request.fromHeight, request.toHeight, head: head, chain: "the RChain")
    var next = from
    while next <= to {
      let page = try await handle("reading the RChain") {
        try self.context.ledger.rblocks(from: next, to: to, limit: 100)
      }
      guard !page.isEmpty else { break }
      for block in page { try await response.write(block) }
      next += UInt64(page.count)
    }
  }

  /// Streams block events from the backend, filtered as asked, until the client cancels.
  public func watchBlocks(
    request: WatchBlocksRequest, response: RPCWriter<BlockEvent>, context: ServerContext
  )
    async throws
  {
    for shard in request.shards { _ = try Inputs.shard(shard, count: self.context.shardCount) }
    guard request.tblocks || request.rblocks else {
      throw APIError.invalid("set tblocks, rblocks or both: this watch would never send anything")
    }
    let shards = Set(request.shards)
    let events = self.context.backend.events()
    let api = self.context
    // gRPC reports a cancelled call through the context's handle, not by cancelling this task: race
    // the events against it so that a client hanging up ends the watch.
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        for await event in events {
          guard let message = Self.message(for: event, request, shards: shards, ledger: api.ledger) else {
            continue
          }
          try await response.write(message)
        }
      }
      group.addTask { try await context.cancellation.cancelled }
      try await group.next()
      group.cancelAll()
    }
  }

  /// What a watch with `request` sends for `event`, if anything.
  private static func message(
    for event: ChainEvent, _ request: WatchBlocksRequest, shards: Set<UInt32>, ledger: LedgerStore
  ) -> BlockEvent? {
    switch event {
    case .tblockCommitted(let shard, let height, _):
      guard request.tblocks, shards.isEmpty || shards.contains(shard),
        let block = try? ledger.tblock(shard: shard, height: height)
      else { return nil }
      return BlockEvent(event: .tblock(Self.event(block, full: request.fullBlocks)))
    case .rblockCommitted(let height, _):
      guard request.rblocks, let block = try? ledger.rblock(height: height),
        let header = try? RBlockHeader(serializedBytes: block.header)
      else { return nil }
      return BlockEvent(
        event: .rblock(
          RBlockEvent(
            height: header.height, hash: BlockHashes.hash(header: block.header).data, epoch: header.epoch,
            header: block.header, block: request.fullBlocks ? block : nil)))
    case .tblocksFinal:
      return nil
    }
  }

  /// The event of a committed TBlock.
  static func event(_ block: TBlock, full: Bool) -> TBlockEvent {
    let header = (try? TBlockHeader(serializedBytes: block.header)) ?? TBlockHeader()
    let accepted = BitVector(bytes: block.decision, count: block.entries.count)?.popCount ?? 0
    return TBlockEvent(
      ref: BlockRef(
        shard: header.shard, height: header.height, hash: BlockHashes.hash(header: block.header).data),
      header: block.header, entryCount: UInt32(block.entries.count), acceptedCount: UInt32(accepted),
      block: full ? block : nil)
  }

  /// `shard`, checked to exist and be held here.
  func heldShard(_ shard: UInt32) async throws -> UInt32 {
    _ = try Inputs.shard(shard, count: context.shardCount)
    try await context.requireHeld(shard, for: "the TChain of shard \(shard)")
    return shard
  }

  /// The heights a list request covers: `from` 0 or 1 is the start, `to` 0 the head; at most the
  /// configured number of blocks.
  private func range(_ from: UInt64, _ to: UInt64, head: UInt64, chain: String) throws -> (UInt64, UInt64) {
    let first = max(from, 1)
    let last = to == 0 ? head : to
    guard first <= last || to == 0 else {
      throw APIError.invalid("from_height \(from) is above to_height \(to)")
    }
    guard last <= head else {
      throw APIError.notFound("\(chain) has \(head) committed blocks; to_height \(to) is beyond them")
    }
    guard last < first || last - first < context.configuration.maxListedBlocks else {
      throw APIError.exhausted(
        "\(last - first + 1) blocks asked; one call lists at most \(context.configuration.maxListedBlocks)")
    }
    return (first, last)
  }
}

import ChainCrypto
import Foundation
import Ledger
import Wire

extension NodeRuntime {
  /// Records in the ledger's index that the target side of a cross-shard transaction of this shard
  /// applied, once a `ReceiptAck` says where: the target block is fetched from a member of the target
  /// shard and its commit certificate checked (an acknowledgement alone proves nothing), then the
  /// accepted APPLY entry of the transaction is looked up in it. Aborts arrive as ABORT receipts and
  /// are recorded when the home shard applies them.
  func confirmCrossShard(_ ack: ReceiptAck) {
    guard ack.kind == .apply, ack.shard != chain.shard, ack.shard < parameters.shardCount,
      ack.txID.count == 32,
      !confirmingCrossShard.contains(ack.txID),
      let status = try? ledger.transactionStatus(id: ack.txID), status.crossShard == .pending
    else { return }
    confirmingCrossShard.insert(ack.txID)
    let members = validator.assignment.members(of: ack.shard).filter { $0 != nodeAddress }
    let network = self.network
    Task {
      let blocks = await network.tblocks(
        shard: ack.shard, from: ack.height, to: ack.height, peers: members, limit: 1)
      self.finishCrossShard(ack, block: blocks.first)
    }
  }

  private func finishCrossShard(_ ack: ReceiptAck, block: TBlock?) {
    defer { confirmingCrossShard.remove(ack.txID) }
    guard let block, let header = try? TBlockHeader(serializedBytes: block.header), header.shard == ack.shard,
      header.height == ack.height,
      let members = chain.membership.members(shard: ack.shard, epoch: header.epoch),
      let verified = try? TBlocks.verify(block, parameters: parameters, members: members, parent: nil)
    else {
      logger.debug(
        "a receipt acknowledgement could not be checked", metadata: ["tx": "\(ack.txID.hexString)"])
      return
    }
    for (index, bytes) in block.entries.enumerated() where verified.decision[index] {
      guard let entry = try? TBlockEntry(serializedBytes: bytes), case .receipt(let receipt)? = entry.entry,
        receipt.txID == ack.txID, receipt.kind == .apply
      else { continue }
      let decidedIn = BlockRef(
        shard: header.shard, height: header.height, hash: BlockHashes.hash(header: block.header).data)
      do {
        try ledger.recordCrossShardOutcome(
          CrossShardUpdate(txID: ack.txID, state: .applied, decidedIn: decidedIn))
      } catch {
        logger.warning("cannot record a cross-shard outcome", metadata: ["error": "\(error)"])
      }
      return
    }
  }
}

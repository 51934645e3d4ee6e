import ChainCrypto
import Foundation
import Wire

extension Validator {
  /// The epoch and shard a TChain message is about.
  static func tchainSlot(of body: ConsensusMessage.Body) -> (epoch: UInt64, shard: UInt32)? {
    switch body {
    case .proposal(let p):
      guard let h = try? TBlockHeader(serializedBytes: p.header) else { return nil }
      return (h.epoch, h.shard)
    case .vote(let v):
      guard let b = try? VoteBody(serializedBytes: v.body) else { return nil }
      return (b.epoch, b.shard)
    case .commit(let c): return (c.epoch, c.shard)
    case .commitAck(let a): return (a.epoch, a.shard)
    case .viewChange(let v):
      guard let b = try? ViewChangeBody(serializedBytes: v.body) else { return nil }
      return (b.epoch, b.shard)
    case .newView(let n): return (n.epoch, n.shard)
    case .status(let s): return (s.epoch, s.shard)
    default: return nil
    }
  }

  /// Routes a message from an authenticated peer.
  mutating func receive(_ message: ConsensusMessage, from sender: Address, now: UInt64, _ out: inout Ready) {
    guard validators.contains(sender), sender != me, let body = message.body else { return }
    if let slot = Validator.tchainSlot(of: body) {
      if slot.epoch > epoch {
        keepEarly(message, from: sender)
        requestRBlocks(from: [sender], now: now, &out)
        return
      }
      guard slot.epoch == epoch, slot.shard == shard, tchain != nil else { return }
      tchain!.handle(body, from: sender, now: now, env: &env, &out)
      return
    }
    switch body {
    case .transaction(let transaction): admit(transaction, now: now, forward: false, &out)
    case .receipt(let receipt): receiveReceipt(receipt, from: sender, now: now, &out)
    case .receiptAck(let ack): receiveReceiptAck(ack, from: sender, &out)
    case .evidence(let evidence): learnEvidence(evidence, now: now, forward: false, &out)
    case .rblockProposal(let proposal): receiveRBlockProposal(proposal, from: sender, now: now, &out)
    case .rblockVote(let vote): receiveRBlockVote(vote, from: sender, now: now, &out)
    case .rblockPrepared(let prepared): receiveRBlockPrepared(prepared, from: sender, now: now, &out)
    case .rblockCommit(let commit): receiveRBlockCommit(commit, from: sender, now: now, &out)
    case .rchainViewChange(let change): receiveRChainViewChange(change, from: sender, now: now, &out)
    case .shardReport(let report): receiveShardReport(report, from: sender, now: now, &out)
    default: break
    }
  }

  /// Keeps a message of a later epoch until this validator gets there (bounded).
  mutating func keepEarly(_ message: ConsensusMessage, from sender: Address) {
    early.append((message, sender))
    if early.count > 256 { early.removeFirst(early.count - 256) }
  }

  /// Transactions from the mempool: kept if they belong to this shard, forwarded to their home shard's
  /// members (§7, DESIGN §6).
  mutating func submit(_ transactions: [SignedTransaction], now: UInt64, _ out: inout Ready) {
    for transaction in transactions { admit(transaction, now: now, forward: true, &out) }
  }

  mutating func admit(_ transaction: SignedTransaction, now: UInt64, forward: Bool, _ out: inout Ready) {
    guard let body = try? TransactionBody(serializedBytes: transaction.body),
      body.sender.count == Address.byteCount
    else { return }
    let home = AccountShard.shard(of: body.sender, shardCount: params.shardCount)
    // A validator still installing the state of its new shard pools the shard's entries too: members
    // leaving the shard hand their pending entries over now, and nobody re-sends them once it has the state.
    if home == shard {
      let key = EntryPool.key(transaction: transaction)
      let entry = try! TBlockEntry(entry: .transaction(transaction)).serializedData()
      if env.pool.add(key: key, bytes: entry, now: now), forward {
        out.send(
          .transaction(transaction), to: chain.currentAssignment.members(of: shard).filter { $0 != me })
      }
    } else if forward {
      out.send(.transaction(transaction), to: chain.currentAssignment.members(of: home).filter { $0 != me })
    }
  }

  /// A ledger result: the replica's head, the shard's history, receipts to relay, receipts decided.
  mutating func applied(_ result: ApplyResult, now: UInt64, _ out: inout Ready) {
    guard result.shard == shard, let request = applying.removeValue(forKey: result.height),
      request.blockHash == result.blockHash
    else { return }
    if let members = chain.members(shard, request.header.epoch) {
      history?.append(
        block: request.block, header: request.header, hash: request.blockHash, result: result,
        members: members)
    }
    // Receipts this block emitted: kept until acknowledged, sent now by the leader.
    let leads = tchain?.isLeader ?? false
    for emitted in result.emitted {
      guard let receipt = ReceiptBuilder.make(block: request.block, shard: shard, emitted: emitted) else {
        continue
      }
      if let record = relay.add(receipt, now: now) { out.persist.append(record) }
      if leads {
        out.send(.receipt(receipt), to: chain.currentAssignment.members(of: receipt.targetShard))
      }
    }
    // Receipts this block decided: acknowledged to their home shards.
    var acks: [UInt32: [ReceiptAck]] = [:]
    for (index, entry) in request.entries.enumerated() {
      guard case .receipt(let receipt)? = entry.entry?.entry,
        request.accepted[index] || request.rejectedByMajority[index]
      else { continue }
      relay.markDecided(
        EntryPool.key(receipt: receipt), height: result.height, applied: request.accepted[index])
      acks[receipt.sourceShard, default: []].append(
        ReceiptAck(
          txID: receipt.txID, kind: receipt.kind, shard: shard, height: result.height,
          applied: request.accepted[index]))
    }
    for (source, list) in acks.sorted(by: { $0.key < $1.key }) {
      let members = chain.currentAssignment.members(of: source)
      for ack in list { out.send(.receiptAck(ack), to: members) }
    }
    tchain?.applied(result, now: now, env: &env, &out)
    sendReport(now: now, toViews: 1, &out)
    if let pending = rchain.pending {
      rchain.pending = nil
      receiveRBlockProposal(pending.proposal, from: pending.from, now: now, &out)
    }
  }
}

import ChainCrypto
import Foundation
import Wire

extension Validator {
  /// A relayed receipt (§7): if this shard decided it, acknowledge it to the sender; if its proof checks
  /// out, pool it for the next blocks.
  mutating func receiveReceipt(_ receipt: Receipt, from sender: Address, now: UInt64, _ out: inout Ready) {
    guard receipt.targetShard == shard else { return }
    let key = EntryPool.key(receipt: receipt)
    // While installing the state of its new shard a validator cannot tell what the shard decided: it pools
    // the receipt (a decided one is a valid no-op in a block) and acknowledges nothing.
    // After a restart only the pool may know a receipt was decided, not how: it is then reported applied
    // (a rejection's ABORT receipt still reaches the home shard, which records the abort over it).
    if tchain != nil, relay.decision(key) != nil || env.pool.isDone(key) {
      let decision = relay.decision(key)
      out.send(
        .receiptAck(
          ReceiptAck(
            txID: receipt.txID, kind: receipt.kind, shard: shard, height: decision?.height ?? committedHeight,
            applied: decision?.applied ?? true)),
        to: [sender])
      return
    }
    guard !env.pool.contains(key) else { return }
    switch ReceiptProofCheck.verify(
      receipt, targetShard: shard, context: chain.proofContext(scheme: configuration.scheme))
    {
    case .failure(let reason):
      out.ignore("receipt from \(sender): \(reason)", diagnostics: configuration.diagnostics)
    case .success:
      env.pool.add(key: key, bytes: try! TBlockEntry(entry: .receipt(receipt)).serializedData(), now: now)
    }
  }

  /// An acknowledgement from a member of the shard that decided a receipt.
  mutating func receiveReceiptAck(_ ack: ReceiptAck, from sender: Address, _ out: inout Ready) {
    let members = chain.currentAssignment.members(of: ack.shard)
    let previous = epoch > 0 ? (chain.members(ack.shard, epoch - 1) ?? []) : []
    guard members.contains(sender) || previous.contains(sender) else { return }
    let key = RelayBook.key(txID: ack.txID, kind: ack.kind, targetShard: ack.shard)
    let outcome = relay.acknowledge(
      key, by: sender, applied: ack.applied, threshold: Quorum.oneHonest(max(members.count, 1)))
    if let record = outcome.record { out.persist.append(record) }
  }

  /// Re-sends receipts still unacknowledged (by the home shard's leader, or by a validator that left the
  /// home shard), and entries still pending to the leader.
  mutating func retryRelays(now: UInt64, _ out: inout Ready) {
    guard now >= lastRetryAt + params.retryIntervalMs else { return }
    lastRetryAt = now
    let leads = tchain?.isLeader ?? false
    // Acks go to the sender of a re-sent receipt; a member that missed the first acks (they arrived
    // before it applied the home block) asks for its own once the leader's retries had their chance.
    for (receipt, waiting) in relay.due(now: now, interval: params.retryIntervalMs) {
      let missedAcks = waiting >= 2 * params.retryIntervalMs
      if (receipt.sourceShard == shard && (leads || missedAcks)) || receipt.sourceShard != shard {
        out.send(.receipt(receipt), to: chain.currentAssignment.members(of: receipt.targetShard))
      }
    }
  }

  /// Entries pending for long are re-sent to the leader (a forward may have been lost).
  mutating func forwardPending(now: UInt64, _ out: inout Ready) {
    guard let tchain else { return }
    let leader = tchain.context.leader(of: tchain.view)
    // A new leader gets every pending entry at once; the same leader those pending for long.
    let newLeader = leader != lastForwardLeader
    guard newLeader || now >= lastForwardAt + params.retryIntervalMs / 2 else { return }
    lastForwardAt = now
    lastForwardLeader = leader
    guard leader != me else { return }
    for bytes in env.pool.dueForForwarding(now: now, interval: newLeader ? 0 : params.retryIntervalMs / 2) {
      guard let entry = try? TBlockEntry(serializedBytes: bytes) else { continue }
      switch entry.entry {
      case .transaction(let tx): out.send(.transaction(tx), to: [leader])
      case .receipt(let receipt): out.send(.receipt(receipt), to: [leader])
      case nil: break
      }
    }
  }

  /// Equivocation evidence found here or received: checked, kept for the RChain proposer, forwarded to the
  /// next three proposers, and the offender's TChain views skipped (§6.3).
  mutating func learnEvidence(
    _ evidence: EquivocationEvidence, now: UInt64, forward: Bool, _ out: inout Ready
  ) {
    guard
      case .success(let proven) = EvidenceCheck.check(
        evidence, chainID: params.chainID, validators: validators, scheme: configuration.scheme,
        epochLength: params.epochLength)
    else { return }
    guard !chain.flaggedForNext.contains(proven.offender) else { return }
    let isNew = rchain.evidence[proven.offender] == nil
    if isNew { rchain.evidence[proven.offender] = evidence }
    if proven.epoch == epoch { env.equivocators.insert(proven.offender) }
    if forward && isNew {
      out.send(.evidence(evidence), to: nextProposers(count: 3).filter { $0 != me })
    }
  }

  /// The proposers of views 0..<count of the next RBlock.
  func nextProposers(count: Int) -> [Address] {
    let order = chain.proposerOrder
    var result: [Address] = []
    for index in 0..<min(count, order.count) where !result.contains(order[index]) {
      result.append(order[index])
    }
    return result
  }
}

import ChainCrypto
import Foundation
import Wire

extension Validator {
  /// The RBlock that ended an epoch committed: this validator now serves its shard of the next epoch,
  /// continuing its chain or installing the state of its new shard (§5).
  mutating func startEpoch(now: UInt64, _ out: inout Ready) {
    let assignment = chain.currentAssignment
    let newShard = assignment.shard(of: me) ?? 0
    let coverage = chain.coverage[Int(newShard)]
    let previousMembers = chain.members(newShard, epoch - 1) ?? []
    env.closing = false
    env.equivocators = chain.flaggedForNext
    if newShard == shard, let old = tchain {
      tchain = TChainReplica(context: makeContext(), head: old.head, hard: nil, now: now)
      tchain!.persist(&out)
      if old.head.height < coverage.toHeight {
        tchain!.learnCommitted(
          height: coverage.toHeight, hash: coverage.tblockHash, proof: nil, from: previousMembers.filter { $0 != me },
          now: now, env: &env, &out)
      }
    } else {
      // Hand the pending entries of the old shard over to its new members.
      let successors = assignment.members(of: shard).filter { $0 != me }
      for bytes in env.pool.select(maxEntries: Int.max, maxBytes: Int.max) {
        guard let entry = try? TBlockEntry(serializedBytes: bytes) else { continue }
        switch entry.entry {
        case .transaction(let tx): out.send(.transaction(tx), to: successors)
        case .receipt(let receipt): out.send(.receipt(receipt), to: successors)
        case nil: break
        }
      }
      shard = newShard
      tchain = nil
      history = nil
      env.pool.clear()
      relay.forgetDecided()
      installing = (coverage.toHeight, coverage.tblockHash, coverage.stateRoot, now)
      requestStateInstall(now: now, &out)
    }
    out.notifications.append(.epochStarted(epoch: epoch, shard: shard))
    let waiting = early
    early = []
    for (message, sender) in waiting { receive(message, from: sender, now: now, &out) }
  }

  /// Asks the driver for the state of this validator's shard at its coverage (§5).
  mutating func requestStateInstall(now: UInt64, _ out: inout Ready) {
    let coverage = chain.coverage[Int(shard)]
    if installing == nil || installing!.height < coverage.toHeight {
      installing = (coverage.toHeight, coverage.tblockHash, coverage.stateRoot, now)
    }
    guard let target = installing else { return }
    installing!.requestedAt = now
    var peers = (epoch > 0 ? chain.members(shard, epoch - 1) ?? [] : [])
    for member in chain.currentAssignment.members(of: shard) where !peers.contains(member) { peers.append(member) }
    out.syncs.append(
      .state(
        shard: shard, height: target.height, blockHash: target.hash, stateRoot: target.stateRoot,
        peers: peers.filter { $0 != me }))
  }

  /// The ledger installed a shard's state: the TChain replica of the new shard starts from it.
  mutating func stateInstalled(_ ledger: LedgerHead, now: UInt64, _ out: inout Ready) {
    guard let target = installing, ledger.shard == shard else { return }
    let head = ChainHead(ledger: ledger)
    guard head.height == target.height, head.hash == target.hash,
      target.stateRoot.isEmpty || target.stateRoot == ledger.stateRoot
    else { return out.ignore("an installed state that is not the coverage", diagnostics: configuration.diagnostics) }
    installing = nil
    tchain = TChainReplica(context: makeContext(), head: head, hard: nil, now: now)
    tchain!.persist(&out)
    history = ShardHistory(shard: shard, anchor: chain.coverage[Int(shard)], anchorEpochView: head.epochAndView)
    let coverage = chain.coverage[Int(shard)]
    if coverage.toHeight > head.height {
      tchain!.learnCommitted(
        height: coverage.toHeight, hash: coverage.tblockHash, proof: nil, from: tchain!.context.others, now: now,
        env: &env, &out)
    }
  }
}

import ChainCrypto
import Foundation
import Wire

extension Validator {
  /// Whether the epoch is closing: the next RBlock ends it and half an interval has passed, so leaders
  /// start no new heights and the shards' heights settle before the handover (§5).
  func isClosing(now: UInt64) -> Bool {
    params.endsEpoch(rblock: chain.nextHeight) && now >= rchain.heightStartedAt + params.rblockIntervalMs / 2
  }

  /// A tick: every timer of every part.
  mutating func tick(now: UInt64, _ out: inout Ready) {
    env.closing = isClosing(now: now)
    tchain?.tick(now: now, env: &env, &out)
    rchainTick(now: now, &out)
    retryRelays(now: now, &out)
    forwardPending(now: now, &out)
    if now >= lastReportAt + params.rblockIntervalMs / 2 {
      lastReportAt = now
      sendReport(now: now, toViews: 3, &out)
    }
    if tchain == nil, let installing, now >= installing.requestedAt + params.electionTimeoutMs {
      requestStateInstall(now: now, &out)
    }
  }

  /// Asks for the next tick at the earliest deadline of any part.
  func scheduleTimers(now: UInt64, _ out: inout Ready) {
    if params.endsEpoch(rblock: chain.nextHeight) {
      let closeAt = rchain.heightStartedAt + params.rblockIntervalMs / 2
      if closeAt > now { out.wake(at: closeAt) }
    }
    out.wake(at: rchainTimer)
    let proposeAt = rchain.heightStartedAt + params.rblockIntervalMs
    if chain.proposer(view: rchain.hard.view) == me && rchain.hard.view == 0 && rchain.round == nil && proposeAt > now {
      out.wake(at: proposeAt)
    }
    out.wake(at: lastRetryAt + params.retryIntervalMs)
    out.wake(at: lastReportAt + params.rblockIntervalMs / 2)
    if !env.pool.pendingIsEmpty { out.wake(at: lastForwardAt + params.retryIntervalMs / 2) }
    if let tchain, !(tchain.isActiveLeader && tchain.isClosed) {
      out.wake(at: tchain.electionDeadline)
      if tchain.isActiveLeader { out.wake(at: tchain.lastSentToShard + params.heartbeatMs) }
    }
    if let installing { out.wake(at: installing.requestedAt + params.electionTimeoutMs) }
    if let next = out.nextTickAt, next <= now { out.nextTickAt = now + 1 }
  }

  /// This member's report of its shard to the proposers of the next RBlock in its current RChain view and
  /// the `count − 1` views after it (§4.2).
  mutating func sendReport(now: UInt64, toViews count: Int, _ out: inout Ready) {
    let first = Int(rchain.hard.view)
    let views = first..<(first + count)
    guard let tchain, let history, history.topHeight >= history.anchor.toHeight else { return }
    let members = chain.currentAssignment.members(of: shard)
    guard let (coverage, counts) = history.report(upTo: history.topHeight, members: members) else { return }
    _ = tchain
    let report = ShardReport(
      shard: shard, epoch: epoch, baseRblockHeight: chain.height, coverage: coverage,
      counts: counts.sorted { $0.key < $1.key }.map { $0.value.update(validator: $0.key) },
      closed: shardClosed(at: history.topHeight))
    var receivers: [Address] = []
    for view in views {
      let proposer = chain.proposer(view: UInt64(view))
      if !receivers.contains(proposer) { receivers.append(proposer) }
    }
    if receivers.contains(me) { rchain.reports.add(report, from: me) }
    out.send(.shardReport(report), to: receivers.filter { $0 != me })
  }

  /// A member's report, kept if it is about the next RBlock and the sender belongs to the shard.
  mutating func receiveShardReport(_ report: ShardReport, from sender: Address, now: UInt64, _ out: inout Ready) {
    guard report.epoch == epoch, chain.currentAssignment.members(of: report.shard).contains(sender) else { return }
    rchain.reports.add(report, from: sender)
    rchainMaybePropose(now: now, &out)
  }
}

extension EntryPool {
  var pendingIsEmpty: Bool { count == 0 }
}

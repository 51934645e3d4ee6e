import ChainCrypto
import Foundation
import Wire

extension Validator {
  /// Moves the RChain to `view` at the next height and tells every validator, with this validator's
  /// lock (§4.4).
  mutating func moveRChainView(_ view: UInt64, now: UInt64, _ out: inout Ready) {
    guard view > rchain.hard.view else { return }
    enterRChainView(view, now: now, &out)
    let change = makeRViewChange(view: view)
    if let checked = checkRViewChange(change) { rchain.viewChanges[view, default: [:]][me] = checked }
    rchain.viewChangeSentAt = now
    out.send(.rchainViewChange(change), to: validators.addresses.filter { $0 != me })
    noteRChainViewStart(now: now)
    sendReport(now: now, toViews: 3, &out)
    rchainMaybePropose(now: now, &out)
  }

  /// This validator's signed view change for `view` at the next height, with its lock.
  func makeRViewChange(view: UInt64) -> RChainViewChange {
    let lock = rchain.hard.lock
    let body = RChainViewChangeBody(
      chainID: params.chainID, height: chain.nextHeight, view: view, sender: me.rawRepresentation,
      preparedHash: lock.map { SHA256.hash($0.header).data } ?? Data(), preparedView: lock?.view ?? 0)
    let bodyBytes = try! body.serializedData()
    return RChainViewChange(
      body: bodyBytes,
      signature: configuration.signer.wireSignature(domain: .rchainViewChange, message: bodyBytes),
      preparedHeader: lock?.header ?? Data(),
      preparedCertificate: lock.flatMap { try? RBlockCertificate(serializedBytes: $0.certificate) })
  }

  /// Enters `view` (persisted before anything is sent in it).
  mutating func enterRChainView(_ view: UInt64, now: UInt64, _ out: inout Ready) {
    guard view > rchain.hard.view else { return }
    rchain.hard.view = view
    persistRChain(&out)
    rchain.viewEnteredAt = now
    rchain.viewStarted = false
    rchain.round = nil
    rchain.pending = nil
    rchain.viewChanges = rchain.viewChanges.filter { $0.key >= view }
    out.notifications.append(.rchainViewChanged(height: chain.nextHeight, view: view))
  }

  /// Starts the current view's timeout once view changes for it from more than two thirds are at hand.
  mutating func noteRChainViewStart(now: UInt64) {
    guard !rchain.viewStarted,
      (rchain.viewChanges[rchain.hard.view]?.count ?? 0) >= Quorum.twoThirds(validators.count)
    else { return }
    markRChainViewStarted(now: now)
  }

  /// The current view started (a quorum of view changes, or a proposal justified by one): its timeout
  /// runs from now.
  mutating func markRChainViewStarted(now: UInt64) {
    guard !rchain.viewStarted else { return }
    rchain.viewStarted = true
    rchain.viewEnteredAt = now
  }

  /// An RChain view change: kept; more than a third asking for later views moves this validator along;
  /// the proposer of the view proposes once more than two thirds asked (§4.4).
  mutating func receiveRChainViewChange(
    _ change: RChainViewChange, from sender: Address, now: UInt64, _ out: inout Ready
  ) {
    guard let body = try? RChainViewChangeBody(serializedBytes: change.body) else { return }
    if body.height < chain.nextHeight { return answerLagging(height: body.height, to: sender, &out) }
    if body.height > chain.nextHeight { return requestRBlocks(from: [sender], now: now, &out) }
    guard let checked = checkRViewChange(change), checked.sender == sender else {
      return out.ignore("an invalid RChain view change", diagnostics: configuration.diagnostics)
    }
    guard body.view > rchain.hard.view || (body.view == rchain.hard.view && rchain.round == nil) else {
      return
    }
    if rchain.viewChanges[body.view]?[sender] == nil {
      rchain.viewChanges[body.view, default: [:]][sender] = checked
    }
    noteRChainViewStart(now: now)
    // f + 1 validators ask for later views: at least one honest timed out; follow to the lowest of them.
    var latest: [Address: UInt64] = [:]
    for (view, senders) in rchain.viewChanges where view > rchain.hard.view {
      for sender in senders.keys { latest[sender] = max(latest[sender] ?? 0, view) }
    }
    if latest.count >= (validators.count - 1) / 3 + 1, let target = latest.values.min() {
      moveRChainView(target, now: now, &out)
    }
    rchainMaybePropose(now: now, &out)
  }

  /// Commits an RBlock here: persist it, hand it to the ledger, update reputation and coverage, and, at
  /// the end of an epoch, start the next one (§4.3, §5).
  mutating func commitRBlock(
    _ block: RBlock, header: RBlockHeader, hash: Data, now: UInt64, _ out: inout Ready
  ) {
    let offenders = header.evidence.compactMap {
      try? EvidenceCheck.check(
        $0, chainID: params.chainID, validators: validators, scheme: configuration.scheme,
        epochLength: params.epochLength
      ).get().offender
    }
    out.persist.append(
      PersistRecord(key: Validator.rblockRecordKey(header.height), value: try! block.serializedData()))
    out.rblocks.append(block)
    out.notifications.append(.rblockCommitted(height: header.height, hash: hash))
    let previousCoverage = chain.coverage
    chain.commit(header, hash: hash, evidenceOffenders: offenders)
    recentRBlocks[header.height] = block
    recentRBlocks = recentRBlocks.filter { $0.key + 16 > header.height }
    env.rblockHeight = chain.height
    for (index, coverage) in header.shards.enumerated()
    where coverage.toHeight > previousCoverage[index].toHeight {
      out.notifications.append(.tblocksFinal(shard: coverage.shard, upTo: coverage.toHeight))
    }
    if Int(shard) < header.shards.count { history?.advance(to: header.shards[Int(shard)]) }
    var evidence = rchain.evidence
    for offender in offenders { evidence[offender] = nil }
    rchain = RChainState.fresh(height: chain.nextHeight, now: now)
    rchain.evidence = evidence
    rchain.reports = ReportBook(base: chain.height)
    if params.endsEpoch(rblock: header.height) {
      startEpoch(now: now, &out)
    } else {
      env.equivocators.formUnion(offenders)
      tchain?.replayBuffered(now: now, env: &env, &out)
    }
    // What the RBlock covers of this validator's shard is final: catch up to it if behind.
    let covered = chain.coverage[Int(shard)]
    env.final = (covered.toHeight, covered.tblockHash)
    if let tchain, covered.toHeight > tchain.head.height {
      self.tchain!.learnCommitted(
        height: covered.toHeight, hash: covered.tblockHash, proof: nil, from: tchain.context.others, now: now,
        env: &env, &out)
    }
    sendReport(now: now, toViews: 3, &out)
  }
}

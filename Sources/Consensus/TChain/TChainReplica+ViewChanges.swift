import ChainCrypto
import Foundation
import Wire

extension TChainReplica {
  mutating func resetElectionDeadline(_ now: UInt64) {
    electionDeadline = now + context.params.electionTimeoutMs(consecutiveViewChanges: consecutiveViewChanges)
  }

  /// Moves to `newView`: persist it, then tell the shard (§3.6).
  mutating func moveToView(_ newView: UInt64, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard newView > view else { return }
    hard.view = newView
    persist(&out)
    consecutiveViewChanges += 1
    viewEnteredAt = now
    resetElectionDeadline(now)
    guards = []
    round = nil
    validating = nil
    activationPending = false
    announced = nil
    viewChanges = viewChanges.filter { $0.key >= newView }
    viewStarts = viewStarts.filter { $0.key >= newView }
    out.notifications.append(.viewChanged(shard: context.shard, epoch: context.epoch, view: newView))
    let change = makeViewChange(view: newView)
    if let checked = checkViewChange(change, final: env.final.height) {
      viewChanges[newView, default: [:]][context.me] = checked
    }
    broadcast(.viewChange(change), now: now, &out)
    maybeActivate(now: now, env: &env, &out)
    replayBuffered(now: now, env: &env, &out)
  }

  /// This member's signed view change for `view`: what it committed, the decision it accepted and the
  /// highest proposal it voted for above its committed height.
  func makeViewChange(view: UInt64) -> ViewChange {
    var body = ViewChangeBody(
      chainID: context.params.chainID, shard: context.shard, epoch: context.epoch, view: view,
      sender: context.me.rawRepresentation, committedHeight: head.height, committedHash: head.hash)
    var message = ViewChange()
    if let vote = hard.votes.filter({ $0.height == nextHeight }).max(by: { $0.view < $1.view }) {
      body.votedHeight = vote.height
      body.votedView = vote.view
      body.votedHash = vote.blockHash
      message.votedProposal = try? Proposal(serializedBytes: vote.proposal)
    }
    if let accepted = hard.accepted, accepted.height == nextHeight,
      let commit = try? Commit(serializedBytes: accepted.commit)
    {
      body.acceptedHeight = accepted.height
      body.acceptedView = accepted.view
      body.acceptedHash = accepted.blockHash
      message.accepted = commit
    }
    message.committedProof = headProof
    message.body = try! body.serializedData()
    message.signature = context.signer.wireSignature(domain: .viewChange, message: message.body)
    return message
  }

  /// Checks a view change: its signature by a member; its committed height proven (by a commit proof, or
  /// not above the epoch's anchor or the final height `final`); and, if it reports an accepted decision,
  /// that the decision is a validly certified block with its leader's endorsement.
  func checkViewChange(_ change: ViewChange, final: UInt64) -> CheckedViewChange? {
    guard let body = try? ViewChangeBody(serializedBytes: change.body), body.chainID == context.params.chainID,
      body.shard == context.shard, body.epoch == context.epoch, body.view > 0,
      let sender = Address(bytes: body.sender), context.memberSet.contains(sender), let key = context.publicKey(sender),
      context.proof.scheme.isValid(change.signature, by: key, domain: .viewChange, message: change.body)
    else { return nil }
    if body.committedHeight > max(context.anchor.height, final) {
      guard
        case .success = CommitProofCheck.verify(
          change.committedProof, chainID: context.params.chainID, shard: context.shard, epoch: context.epoch,
          height: body.committedHeight, blockHash: body.committedHash, members: context.members,
          publicKey: context.publicKey, scheme: context.proof.scheme)
      else { return nil }
    }
    guard body.acceptedHeight > 0 else {
      return CheckedViewChange(sender: sender, body: body, message: change, accepted: nil)
    }
    guard body.acceptedHeight == body.committedHeight + 1, body.acceptedView < body.view,
      let commit = change.accepted, let decision = checkReportedDecision(commit, view: body.acceptedView),
      decision.height == body.acceptedHeight, decision.blockHash == body.acceptedHash
    else { return nil }
    return CheckedViewChange(sender: sender, body: body, message: change, accepted: decision)
  }

  /// Checks a decision (Commit with its proposal) issued in `view`.
  func checkReportedDecision(_ commit: Commit, view: UInt64) -> ReportedDecision? {
    guard commit.view == view, commit.shard == context.shard, commit.epoch == context.epoch,
      let proposal = commit.proposal, let header = try? TBlockHeader(serializedBytes: proposal.header),
      header.chainID == context.params.chainID, header.shard == context.shard, header.epoch == context.epoch,
      header.height == commit.height, header.view <= view, Int(header.entryCount) == proposal.entries.count,
      header.entriesRoot == MerkleTree.root(leaves: proposal.entries).data
    else { return nil }
    let hash = SHA256.hash(proposal.header).data
    let proposer = context.leader(of: header.view)
    let leader = context.leader(of: view)
    guard hash == commit.blockHash, header.proposer == proposer.rawRepresentation,
      let proposerKey = context.publicKey(proposer), let leaderKey = context.publicKey(leader),
      context.proof.scheme.isValid(proposal.signature, by: proposerKey, domain: .tblock, message: proposal.header),
      let endorsement = commit.endorsement, let body = try? VoteBody(serializedBytes: endorsement.body),
      body.chainID == context.params.chainID, body.shard == context.shard, body.epoch == context.epoch,
      body.view == view, body.height == commit.height, body.blockHash == hash, body.valid == commit.decision,
      body.voter == leader.rawRepresentation,
      context.proof.scheme.isValid(endorsement.signature, by: leaderKey, domain: .decision, message: endorsement.body)
    else { return nil }
    let subject = VoteSubject(
      chainID: context.params.chainID, shard: context.shard, epoch: context.epoch, view: header.view,
      height: header.height, blockHash: hash, entryCount: proposal.entries.count)
    guard
      case .success(let tally) = CommitCertificateCheck.tally(
        commit.certificate, subject: subject, members: context.members, publicKey: context.publicKey,
        scheme: context.proof.scheme), Bitmap.encode(tally.decision) == commit.decision
    else { return nil }
    return ReportedDecision(view: view, height: commit.height, blockHash: hash, decision: tally.decision, commit: commit)
  }

  /// A member's view change (§3.6): joins the view once a majority asks for it; as that view's leader,
  /// activates once a majority (itself included) sent one.
  mutating func receiveViewChange(
    _ change: ViewChange, from sender: Address, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    guard let checked = checkViewChange(change, final: env.final.height) else {
      return ignore(&out, "an invalid view change from \(sender)")
    }
    let target = checked.body.view
    if checked.body.committedHeight > max(head.height, env.final.height), let proof = change.committedProof {
      learnCommitted(
        height: checked.body.committedHeight, hash: checked.body.committedHash, proof: proof, from: [checked.sender],
        now: now, env: &env, &out)
    }
    guard target >= view else { return }
    if viewChanges[target]?[checked.sender] == nil { viewChanges[target, default: [:]][checked.sender] = checked }
    // Members asking for later views: once enough of them do that one is honest (m − maj(m) + 1), follow
    // to the lowest view they ask for, so that a leader the others left does not stay behind alone.
    var latest: [Address: UInt64] = [:]
    for (asked, senders) in viewChanges where asked > view {
      for sender in senders.keys { latest[sender] = max(latest[sender] ?? 0, asked) }
    }
    if latest.count >= Quorum.oneHonest(context.m), let lowest = latest.values.min() {
      moveToView(lowest, now: now, env: &env, &out)
    } else if target == view {
      maybeActivate(now: now, env: &env, &out)
    }
  }

  /// What the view changes of a view establish (§3.7): the highest committed height, and the decision
  /// with the highest view accepted at the next height.
  func viewStart(view: UInt64, changes: [CheckedViewChange]) -> ViewStart {
    let committedHeight = changes.map(\.body.committedHeight).max() ?? 0
    let top = changes.filter { $0.body.committedHeight == committedHeight }.sorted { $0.sender < $1.sender }
    let adopted = changes.compactMap(\.accepted).filter { $0.height == committedHeight + 1 }.max { a, b in
      a.view != b.view ? a.view < b.view : b.blockHash.lexicographicallyPrecedes(a.blockHash)
    }.flatMap { context.mutations.skipAdoption ? nil : $0 }
    return ViewStart(
      view: view, committedHeight: committedHeight, committedHash: top.first?.body.committedHash ?? Bytes.zeroHash,
      committedProof: top.lazy.compactMap(\.message.committedProof).first, committedBy: top.map(\.sender),
      adopted: adopted)
  }

  /// Catches up to what a view start says is committed: up to the final height (proven by an RBlock) or
  /// to the highest committed height of its view changes (proven by its commit proof).
  mutating func catchUp(to start: ViewStart, extra peers: [Address], now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard start.committedHeight > head.height else { return }
    if start.committedHeight <= env.final.height {
      learnCommitted(height: env.final.height, hash: env.final.hash, proof: nil, from: start.committedBy + peers, now: now, env: &env, &out)
    } else if start.committedHeight <= context.anchor.height {
      learnCommitted(height: context.anchor.height, hash: context.anchor.hash, proof: nil, from: start.committedBy + peers, now: now, env: &env, &out)
    } else if let proof = start.committedProof {
      learnCommitted(
        height: start.committedHeight, hash: start.committedHash, proof: proof, from: start.committedBy + peers, now: now,
        env: &env, &out)
    }
  }

  /// As leader of the current view: once a majority sent view changes, catch up to the highest committed
  /// height among them, announce the view, and re-issue the adopted decision if there is one (§3.7).
  mutating func maybeActivate(now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard isLeader, view > 0, viewStarts[view] == nil, let changes = viewChanges[view],
      changes.count >= context.majority
    else { return }
    let start = viewStart(view: view, changes: Array(changes.values))
    if start.committedHeight > head.height || !isApplied {
      activationPending = true
      catchUp(to: start, extra: [], now: now, env: &env, &out)
      return
    }
    activationPending = false
    viewStarts[view] = start
    resetElectionDeadline(now)
    let announcement = NewView(
      shard: context.shard, epoch: context.epoch, view: view,
      viewChanges: changes.values.sorted { $0.sender < $1.sender }.map(\.message))
    announced = announcement
    broadcast(.newView(announcement), now: now, &out)
    if let adopted = start.adopted, adopted.height == nextHeight, mayParticipate(at: nextHeight),
      let proposal = adopted.commit.proposal, let block = heldBlock(from: proposal)
    {
      held[block.hash] = block
      let commit = makeCommit(
        view: view, block: block, certificate: adopted.commit.certificate ?? CommitCertificate(),
        decision: adopted.decision, includeProposal: true)
      issue(commit, blockHash: block.hash, decision: adopted.decision, now: now, env: &env, &out)
    } else {
      maybePropose(now: now, env: &env, &out)
    }
  }

  /// The new leader's announcement (§3.7): checked, it moves this member to the view and fixes what the
  /// view must do at the adoption height.
  mutating func receiveNewView(
    _ newView: NewView, from sender: Address, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    guard newView.shard == context.shard, newView.epoch == context.epoch, newView.view > 0,
      newView.view >= view, viewStarts[newView.view] == nil, sender == context.leader(of: newView.view)
    else { return }
    var changes: [Address: CheckedViewChange] = [:]
    for change in newView.viewChanges {
      guard let checked = checkViewChange(change, final: env.final.height), checked.body.view == newView.view else {
        return ignore(&out, "a NewView with an invalid view change")
      }
      changes[checked.sender] = checked
    }
    guard changes.count >= context.majority else { return ignore(&out, "a NewView without a majority") }
    let start = viewStart(view: newView.view, changes: Array(changes.values))
    if newView.view > view { moveToView(newView.view, now: now, env: &env, &out) }
    viewStarts[newView.view] = start
    resetElectionDeadline(now)
    catchUp(to: start, extra: [sender], now: now, env: &env, &out)
    replayBuffered(now: now, env: &env, &out)
  }

  /// Time passed: guards, the vote window, heartbeats, timeouts, proposals, sync retries (§3.4–§3.6).
  mutating func tick(now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    if env.closing && closingSince == nil {
      closingSince = now
      replayBuffered(now: now, env: &env, &out)
    }
    checkGuards(now: now, env: &env, &out)
    maybeDecide(now: now, env: &env, &out)
    let params = context.params
    if isActiveLeader {
      // A leader that cannot get its work committed (the members left its view, or it lost its majority)
      // steps down like a member would time out.
      let busy = !isClosed && (round != nil || env.pool.oldestArrival != nil || env.closing)
      let stuckSince = max(lastCommitAt, viewEnteredAt)
      if busy && now >= stuckSince + params.censorshipTimeoutMs {
        moveToView(view + 1, now: now, env: &env, &out)
        return tick(now: now, env: &env, &out)
      }
      if busy { out.wake(at: stuckSince + params.censorshipTimeoutMs) }
      resendRound(now: now, &out)
      if now >= lastSentToShard + params.heartbeatMs { broadcast(.status(statusMessage(env: env)), now: now, &out) }
      out.wake(at: lastSentToShard + params.heartbeatMs)
    } else {
      var suspect = env.equivocators.contains(context.leader(of: view)) || now >= electionDeadline
      if !suspect, let oldest = env.pool.oldestArrival, !env.closing, !isClosed {
        let since = max(oldest, viewEnteredAt)
        if now >= since + params.censorshipTimeoutMs { suspect = true } else { out.wake(at: since + params.censorshipTimeoutMs) }
      }
      // A closing epoch must get its closing block from the leader in time too.
      if !suspect, env.closing, !isClosed, let since = closingSince {
        let deadline = max(since, viewEnteredAt) + params.electionTimeoutMs(consecutiveViewChanges: consecutiveViewChanges)
        if now >= deadline { suspect = true } else { out.wake(at: deadline) }
      }
      if suspect {
        moveToView(view + 1, now: now, env: &env, &out)
      }
      out.wake(at: electionDeadline)
    }
    if let sync, now >= sync.requestedAt + params.electionTimeoutMs {
      self.sync = nil
      requestSync(
        to: sync.height, hash: sync.hash, proof: sync.proof, from: context.others.shuffledDeterministically(seed: now),
        now: now, &out)
    }
    maybePropose(now: now, env: &env, &out)
  }

  /// As leader, re-sends the proposal to members that have not voted, or the decision to members that have
  /// not acked, every heartbeat period (messages get lost).
  mutating func resendRound(now: UInt64, _ out: inout Ready) {
    guard var current = round, current.view == view, current.height == nextHeight else { return }
    let period = context.params.heartbeatMs
    guard now >= current.lastResentAt + period else {
      out.wake(at: current.lastResentAt + period)
      return
    }
    if current.lastResentAt == 0 {
      current.lastResentAt = now
      round = current
      out.wake(at: now + period)
      return
    }
    current.lastResentAt = now
    round = current
    out.wake(at: now + period)
    // Members that lost the NewView (or restarted) cannot act in this view without it.
    if let announced, announced.view == view {
      let silent = context.others.filter { current.votes[$0] == nil && !current.acks.contains($0) }
      out.send(.newView(announced), to: silent)
    }
    if let commit = current.commit {
      let missing = context.others.filter { !current.acks.contains($0) }
      out.send(.commit(commit), to: missing)
    } else if let block = held[current.blockHash] {
      let missing = context.others.filter { current.votes[$0] == nil }
      out.send(.proposal(block.proposal), to: missing)
    }
  }

  /// After a restart: commit what a persisted proof says committed, re-send the ack of the accepted
  /// decision, and resume the round this validator led, re-sending exactly what it sent before.
  mutating func resume(now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    if let slot = hard.proofs.first(where: { $0.height == nextHeight }),
      let proof = try? CommitCertificate(serializedBytes: slot.proof)
    {
      learnCommitted(height: slot.height, hash: slot.blockHash, proof: proof, from: context.others, now: now, env: &env, &out)
    }
    if let accepted = hard.accepted, accepted.height == nextHeight, accepted.view == view,
      let commit = try? Commit(serializedBytes: accepted.commit)
    {
      acknowledge(
        view: accepted.view, height: accepted.height, blockHash: accepted.blockHash, decision: commit.decision, now: now,
        env: &env, &out)
    }
    guard view == 0, isLeader else { return }
    if let issued = hard.issued.first(where: { $0.view == view && $0.height == nextHeight }),
      let commit = try? Commit(serializedBytes: issued.commit), let proposal = commit.proposal,
      let block = heldBlock(from: proposal)
    {
      held[block.hash] = block
      round = LeaderRound(view: view, height: nextHeight, blockHash: block.hash, entryCount: block.entries.count)
      var resent = commit
      resent.proposal = nil
      round!.commit = resent
      _ = recordEndorsement(resent, now: now, env: &env, &out)
      broadcast(.commit(resent), now: now, &out)
    } else if let proposed = hard.proposed.first(where: { $0.view == view && $0.height == nextHeight }),
      let proposal = try? Proposal(serializedBytes: proposed.proposal), let block = heldBlock(from: proposal)
    {
      held[block.hash] = block
      round = LeaderRound(view: view, height: nextHeight, blockHash: block.hash, entryCount: block.entries.count)
      _ = checkSignedProposal(proposal, now: now, env: &env, &out)
      broadcast(.proposal(proposal), now: now, &out)
      if let vote = hard.votes.first(where: { $0.view == view && $0.height == nextHeight }),
        let signed = try? Vote(serializedBytes: vote.vote)
      {
        receiveVote(signed, now: now, env: &env, &out)
      } else {
        requestValidation(proposal: proposal, header: block.header, hash: block.hash, &out)
      }
    }
  }
}

extension Array where Element == Address {
  /// A deterministic shuffle (the order peers are tried in).
  func shuffledDeterministically(seed: UInt64) -> [Address] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    var result = self
    guard result.count > 1 else { return result }
    for i in stride(from: result.count - 1, through: 1, by: -1) {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      result.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
    }
    return result
  }
}

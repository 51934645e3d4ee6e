import ChainCrypto
import Foundation
import Wire

extension TChainReplica {
  /// A vote, counted by the leader of its view (§3.4).
  mutating func receiveVote(_ vote: Vote, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard var current = round, current.commit == nil, current.view == view, current.height == nextHeight else { return }
    let subject = context.voteSubject(
      view: current.view, height: current.height, blockHash: current.blockHash, entryCount: current.entryCount)
    let checked: CheckedVote
    switch VoteCheck.check(
      vote, subject: subject, members: context.memberSet, publicKey: context.publicKey, scheme: context.proof.scheme)
    {
    case .failure(let reason): return ignore(&out, "vote: \(reason)")
    case .success(let result): checked = result
    }
    let key = VoteKey(voter: checked.voter, view: current.view, height: current.height)
    if let earlier = seenVotes[key], earlier.body != vote.body {
      env.evidence.append(
        EquivocationEvidence(
          kind: .vote, first: earlier.body, firstSignature: earlier.signature, second: vote.body,
          secondSignature: vote.signature))
      out.notifications.append(.evidence(offender: checked.voter, kind: .vote))
      return
    }
    seenVotes[key] = vote
    guard current.votes[checked.voter] == nil else { return }
    current.votes[checked.voter] = checked
    if current.votes.count >= context.majority && current.majorityAt == nil {
      current.majorityAt = now
      out.wake(at: now + context.params.voteWindowMs)
    }
    round = current
    maybeDecide(now: now, env: &env, &out)
  }

  /// Decides once a majority voted and either every member voted or the vote window passed (§3.4).
  mutating func maybeDecide(now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard let current = round, current.commit == nil, current.view == view, let majorityAt = current.majorityAt,
      current.votes.count == context.m || now >= majorityAt + context.params.voteWindowMs,
      mayParticipate(at: current.height), let block = held[current.blockHash]
    else { return }
    var counts = [Int](repeating: 0, count: current.entryCount)
    for vote in current.votes.values {
      for (index, bit) in vote.bits.enumerated() where bit { counts[index] += 1 }
    }
    let decision = counts.map { 2 * $0 > context.m }
    let commit = makeCommit(
      view: view, block: block, certificate: CommitCertificateCheck.make(Array(current.votes.values)),
      decision: decision, includeProposal: false)
    issue(commit, blockHash: current.blockHash, decision: decision, now: now, env: &env, &out)
  }

  /// A Commit for `block` in `view`, endorsed by this validator.
  func makeCommit(
    view: UInt64, block: HeldBlock, certificate: CommitCertificate, decision: [Bool], includeProposal: Bool
  ) -> Commit {
    let decisionBits = Bitmap.encode(decision)
    let body = VoteBody(
      chainID: context.params.chainID, shard: context.shard, epoch: context.epoch, view: view,
      height: block.header.height, blockHash: block.hash, valid: decisionBits, voter: context.me.rawRepresentation)
    let bodyBytes = try! body.serializedData()
    let endorsement = Vote(
      body: bodyBytes, signature: context.signer.wireSignature(domain: .decision, message: bodyBytes))
    return Commit(
      shard: context.shard, height: block.header.height, blockHash: block.hash, decision: decisionBits,
      certificate: certificate, epoch: context.epoch, view: view, proposal: includeProposal ? block.proposal : nil,
      endorsement: endorsement)
  }

  /// Issues a decision as leader: persist it (and accept it), send it, count this validator's ack.
  mutating func issue(
    _ commit: Commit, blockHash: Data, decision: [Bool], now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    var stored = commit
    if stored.proposal == nil { stored.proposal = held[blockHash]?.proposal }
    let slot = TChainHardState.DecisionSlot(
      view: commit.view, height: commit.height, blockHash: blockHash, commit: try! stored.serializedData())
    hard.issued.append(slot)
    hard.accepted = slot
    persist(&out)
    _ = recordEndorsement(commit, now: now, env: &env, &out)
    broadcast(.commit(commit), now: now, &out)
    if round == nil || round!.height != commit.height || round!.view != commit.view {
      round = LeaderRound(
        view: commit.view, height: commit.height, blockHash: blockHash, entryCount: decision.count)
    }
    round!.commit = commit
    acknowledge(view: commit.view, height: commit.height, blockHash: blockHash, decision: commit.decision, now: now, env: &env, &out)
  }

  /// Records a Commit's endorsement as its leader's statement; false when the signature is bad.
  mutating func recordEndorsement(
    _ commit: Commit, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) -> Bool {
    let leader = context.leader(of: commit.view)
    guard let endorsement = commit.endorsement, let key = context.publicKey(leader),
      let body = try? VoteBody(serializedBytes: endorsement.body), body.chainID == context.params.chainID,
      body.shard == context.shard, body.epoch == context.epoch, body.view == commit.view,
      body.height == commit.height, body.blockHash == commit.blockHash, body.valid == commit.decision,
      body.voter == leader.rawRepresentation,
      context.proof.scheme.isValid(endorsement.signature, by: key, domain: .decision, message: endorsement.body)
    else { return false }
    let slot = StatementLog.Slot(view: commit.view, height: commit.height)
    let statement = StatementLog.Statement(
      kind: .decision, signed: endorsement.body, signature: endorsement.signature!, blockHash: commit.blockHash,
      decision: commit.decision)
    if let evidence = statements.add(statement, at: slot) {
      reportEquivocation(evidence, slot: slot, now: now, env: &env, &out)
    }
    return true
  }

  /// A Commit: from its leader, to be checked, guarded and accepted; from anyone else, an echo of a
  /// leader's endorsement for the equivocation guard (§3.4, §3.5).
  mutating func receiveCommit(
    _ commit: Commit, from sender: Address, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    guard commit.shard == context.shard, commit.epoch == context.epoch else {
      return ignore(&out, "a commit for shard \(commit.shard) epoch \(commit.epoch)")
    }
    guard recordEndorsement(commit, now: now, env: &env, &out) else {
      return ignore(&out, "a commit without a valid endorsement by the leader of view \(commit.view)")
    }
    let leader = context.leader(of: commit.view)
    guard sender == leader else {
      // An echo: its endorsement is recorded above; its header (without entries) too.
      if let header = commit.proposal, header.entries.isEmpty { _ = checkSignedProposal(header, now: now, env: &env, &out) }
      return
    }
    if commit.view < view || commit.height <= head.height { return }
    if commit.view > view || (view > 0 && viewStarts[view] == nil) { return buffer(.commit(commit), from: sender) }
    resetElectionDeadline(now)
    // A commit above the next height: the Status of the missing commit will come (and is re-sent as
    // heartbeat); keep the commit until then.
    if commit.height > nextHeight { return buffer(.commit(commit), from: sender) }
    let slot = StatementLog.Slot(view: commit.view, height: commit.height)
    guard !statements.isConflicted(slot) else { return ignore(&out, "a commit in an equivocated slot") }
    guard mayParticipate(at: commit.height) else { return ignore(&out, "the epoch is closed") }
    if let accepted = hard.accepted, accepted.view == commit.view, accepted.height == commit.height {
      if accepted.blockHash == commit.blockHash {
        acknowledge(
          view: commit.view, height: commit.height, blockHash: commit.blockHash, decision: commit.decision, now: now,
          env: &env, &out)
      }
      return
    }
    if guards.contains(where: { $0.view == commit.view && $0.height == commit.height }) { return }
    // The block: held, or supplied with the commit.
    var block = held[commit.blockHash]
    if block == nil, let proposal = commit.proposal {
      guard let (header, hash) = checkSignedProposal(proposal, now: now, env: &env, &out), hash == commit.blockHash,
        header.view <= commit.view
      else { return ignore(&out, "a commit whose proposal does not match") }
      switch verdict(on: header, proposal: proposal, now: now, env: &env) {
      case .invalid(let reason): return ignore(&out, "commit proposal: \(reason)")
      case .later: return buffer(.commit(commit), from: sender)
      case .ok: break
      }
      let entries = proposal.entries.map {
        EntryPrecheck.check($0, shard: context.shard, params: context.params, proof: context.proof)
      }
      block = HeldBlock(proposal: proposal, header: header, hash: hash, entries: entries)
      held[hash] = block
    }
    guard let block else { return ignore(&out, "a commit for a block this member does not hold") }
    guard isApplied else { return buffer(.commit(commit), from: sender) }
    guard block.header.height == nextHeight, block.header.previousHash == head.hash else {
      return ignore(&out, "a commit for a block that does not extend the committed head")
    }
    // A fresh decision is about a block of its own view; a re-issued one must be the NewView's adoption.
    if let start = viewStarts[view], start.adoptionHeight == commit.height, let adopted = start.adopted {
      guard adopted.blockHash == commit.blockHash, Bitmap.encode(adopted.decision) == commit.decision else {
        return ignore(&out, "a commit that is not the decision the new view adopted")
      }
    } else if block.header.view != commit.view {
      return ignore(&out, "a re-issued decision the new view did not adopt")
    }
    let subject = context.voteSubject(
      view: block.header.view, height: block.header.height, blockHash: block.hash, entryCount: block.entries.count)
    let tally: CertificateTally
    switch CommitCertificateCheck.tally(
      commit.certificate, subject: subject, members: context.members, publicKey: context.publicKey,
      scheme: context.proof.scheme)
    {
    case .failure(let reason): return ignore(&out, "commit certificate: \(reason)")
    case .success(let result): tally = result
    }
    guard Bitmap.encode(tally.decision) == commit.decision else {
      return ignore(&out, "commit decision differs from the certificate's")
    }
    if context.mutations.skipEquivocationGuard {
      guards.append(
        PendingAcceptance(
          commit: commit, view: commit.view, height: commit.height, blockHash: commit.blockHash,
          decision: tally.decision, leader: sender, until: now))
      return checkGuards(now: now, env: &env, &out)
    }
    // Equivocation guard: echo the endorsement (and the signed header, without entries), then wait Δ for a
    // conflicting one.
    var echo = commit
    echo.certificate = nil
    echo.proposal = Proposal(header: block.proposal.header, signature: block.proposal.signature)
    out.send(.commit(echo), to: context.others.filter { $0 != sender })
    guards.append(
      PendingAcceptance(
        commit: commit, view: commit.view, height: commit.height, blockHash: commit.blockHash,
        decision: tally.decision, leader: sender, until: now + context.params.voteWindowMs))
    out.wake(at: now + context.params.voteWindowMs)
  }

  /// Accepts the guarded commits whose window passed without a conflict: persist, then ack (§3.4).
  mutating func checkGuards(now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    var waiting: [PendingAcceptance] = []
    for pending in guards {
      guard pending.view == view, pending.height == nextHeight, mayParticipate(at: pending.height) else { continue }
      if statements.isConflicted(StatementLog.Slot(view: pending.view, height: pending.height))
        && !context.mutations.skipEquivocationGuard
      {
        continue
      }
      guard now >= pending.until else {
        waiting.append(pending)
        out.wake(at: pending.until)
        continue
      }
      var stored = pending.commit
      if stored.proposal == nil { stored.proposal = held[pending.blockHash]?.proposal }
      hard.accepted = TChainHardState.DecisionSlot(
        view: pending.view, height: pending.height, blockHash: pending.blockHash, commit: try! stored.serializedData())
      persist(&out)
      acknowledge(
        view: pending.view, height: pending.height, blockHash: pending.blockHash, decision: pending.commit.decision,
        now: now, env: &env, &out)
    }
    guards = waiting
  }

  /// Acknowledges an accepted (and persisted) decision to every member, with a signed ack; a majority of
  /// acks proves the block committed (§3.4).
  mutating func acknowledge(
    view: UInt64, height: UInt64, blockHash: Data, decision: Data, now: UInt64, env: inout TChainEnvironment,
    _ out: inout Ready
  ) {
    let body = CommitProofCheck.ackBody(
      chainID: context.params.chainID, shard: context.shard, epoch: context.epoch, view: view, height: height,
      blockHash: blockHash, decision: decision, voter: context.me)
    let bytes = try! body.serializedData()
    let ack = Vote(body: bytes, signature: context.signer.wireSignature(domain: .ack, message: bytes))
    let message = CommitAck(
      shard: context.shard, epoch: context.epoch, view: view, height: height, blockHash: blockHash, ack: ack)
    broadcast(.commitAck(message), now: now, &out)
    receiveAck(message, now: now, env: &env, &out)
  }

  /// A member's signed ack: counted by every member; once a majority acked one decision, it is proven
  /// committed (§3.4).
  mutating func receiveAck(_ message: CommitAck, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard let ack = message.ack,
      case .success(let (voter, body)) = CommitProofCheck.checkAck(
        ack, chainID: context.params.chainID, shard: context.shard, epoch: context.epoch, members: context.memberSet,
        publicKey: context.publicKey, scheme: context.proof.scheme),
      body.height > head.height
    else { return }
    let slot = AckSlot(view: body.view, height: body.height, blockHash: body.blockHash, decision: body.valid)
    acks[slot, default: [:]][voter] = ack
    if var current = round, current.view == body.view, current.height == body.height {
      current.acks.insert(voter)
      round = current
    }
    guard let signers = acks[slot], signers.count >= context.majority else { return }
    let proof = CommitCertificate(votes: signers.sorted { $0.key < $1.key }.map(\.value))
    let wasLeader = round?.height == body.height && round?.commit != nil
    learnCommitted(height: body.height, hash: body.blockHash, proof: proof, from: [], now: now, env: &env, &out)
    if wasLeader && head.height >= body.height {
      round = nil
      broadcast(.status(statusMessage(env: env)), now: now, &out)
    }
  }

  func statusMessage(env: TChainEnvironment) -> Status {
    Status(
      shard: context.shard, epoch: context.epoch, view: view, committedHeight: head.height, committedHash: head.hash,
      rblockHeight: env.rblockHeight, commitProof: headProof)
  }
}

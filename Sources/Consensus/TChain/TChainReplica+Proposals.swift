import ChainCrypto
import Foundation
import Wire

extension TChainReplica {
  /// Why a header cannot be voted for or accepted now.
  enum HeaderVerdict {
    case ok
    /// Not now: the replica lacks the parent's state or the RBlock the header names.
    case later(String)
    case invalid(String)
  }

  /// Checks a signed proposal's signature (by the leader of its header's view) and records its header
  /// as that leader's statement. Returns the header and hash, or nil (with the reason ignored).
  mutating func checkSignedProposal(
    _ proposal: Proposal, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) -> (header: TBlockHeader, hash: Data)? {
    guard let header = try? TBlockHeader(serializedBytes: proposal.header) else {
      ignore(&out, "a proposal header does not decode")
      return nil
    }
    guard header.chainID == context.params.chainID, header.shard == context.shard, header.epoch == context.epoch else {
      ignore(&out, "a proposal for shard \(header.shard) epoch \(header.epoch)")
      return nil
    }
    let leader = context.leader(of: header.view)
    guard header.proposer == leader.rawRepresentation, let key = context.publicKey(leader),
      context.proof.scheme.isValid(proposal.signature, by: key, domain: .tblock, message: proposal.header)
    else {
      ignore(&out, "a proposal not signed by the leader of view \(header.view)")
      return nil
    }
    let hash = SHA256.hash(proposal.header).data
    let slot = StatementLog.Slot(view: header.view, height: header.height)
    let statement = StatementLog.Statement(
      kind: .header, signed: proposal.header, signature: proposal.signature!, blockHash: hash, decision: Data())
    if let evidence = statements.add(statement, at: slot) {
      reportEquivocation(evidence, slot: slot, now: now, env: &env, &out)
    }
    return (header, hash)
  }

  /// Records evidence of the leader of `slot` and leaves its view if it is the current one.
  mutating func reportEquivocation(
    _ evidence: EquivocationEvidence, slot: StatementLog.Slot, now: UInt64, env: inout TChainEnvironment,
    _ out: inout Ready
  ) {
    env.evidence.append(evidence)
    env.equivocators.insert(context.leader(of: slot.view))
    out.notifications.append(.evidence(offender: context.leader(of: slot.view), kind: evidence.kind))
    if slot.view == view { moveToView(view + 1, now: now, env: &env, &out) }
  }

  /// The checks of a header for the next height against the committed head (§3.2).
  func verdict(on header: TBlockHeader, proposal: Proposal, now: UInt64, env: inout TChainEnvironment) -> HeaderVerdict {
    guard header.height == nextHeight else { return .invalid("height \(header.height), expected \(nextHeight)") }
    guard let stateRoot = head.stateRoot else { return .later("the parent is not applied yet") }
    guard header.previousHash == head.hash else { return .invalid("previous hash does not match the committed head") }
    guard header.parentStateRoot == stateRoot else { return .invalid("parent state root does not match") }
    guard header.rblockHeight >= head.rblockHeight else { return .invalid("rblock height decreases") }
    guard header.rblockHeight <= env.rblockHeight else {
      env.rblocksNeeded = max(env.rblocksNeeded, header.rblockHeight)
      return .later("RBlock \(header.rblockHeight) is unknown")
    }
    guard Int(header.entryCount) == proposal.entries.count, proposal.entries.count <= context.params.maxBlockEntries,
      proposal.entries.reduce(0, { $0 + $1.count }) <= context.params.maxBlockBytes
    else { return .invalid("entry count or size does not fit") }
    guard header.entriesRoot == MerkleTree.root(leaves: proposal.entries).data else {
      return .invalid("entries root does not match")
    }
    guard header.timestampMs >= head.timestampMs, header.timestampMs <= now + 5_000 else {
      return .invalid("timestamp out of range")
    }
    // An empty block closes the epoch: only once the epoch is closing here too.
    if header.entryCount == 0 && !env.closing { return .later("an epoch-closing block before the epoch closes") }
    return .ok
  }

  /// A Proposal from its leader (§3.2).
  mutating func receiveProposal(
    _ proposal: Proposal, from sender: Address, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    guard let (header, hash) = checkSignedProposal(proposal, now: now, env: &env, &out) else { return }
    guard sender == context.leader(of: header.view) else {
      ignore(&out, "a proposal relayed by \(sender)")
      return
    }
    if header.view < view { return ignore(&out, "a proposal of past view \(header.view)") }
    if header.view > view || (view > 0 && viewStarts[view] == nil) { return buffer(.proposal(proposal), from: sender) }
    if header.height <= head.height { return }
    resetElectionDeadline(now)
    // A proposal above the next height: the proof of the missing commits comes with the leader's Status.
    if header.height > nextHeight { return buffer(.proposal(proposal), from: sender) }
    let slot = StatementLog.Slot(view: header.view, height: header.height)
    guard !statements.isConflicted(slot) else { return ignore(&out, "a proposal in an equivocated slot") }
    guard mayParticipate(at: header.height) else { return ignore(&out, "the epoch is closed") }
    if let start = viewStarts[view], start.adoptionHeight == header.height, start.adopted != nil {
      return ignore(&out, "a fresh proposal where the new view must re-issue an adopted decision")
    }
    if let slotVote = hard.votes.first(where: { $0.view == header.view && $0.height == header.height }) {
      // Already voted here; after a restart the leader may lack the vote.
      if slotVote.blockHash == hash, let vote = try? Vote(serializedBytes: slotVote.vote) {
        out.send(.vote(vote), to: [sender])
      }
      return
    }
    if let validating, validating.view == header.view, validating.height == header.height { return }
    switch verdict(on: header, proposal: proposal, now: now, env: &env) {
    case .invalid(let reason): return ignore(&out, "proposal: \(reason)")
    case .later: return buffer(.proposal(proposal), from: sender)
    case .ok: break
    }
    requestValidation(proposal: proposal, header: header, hash: hash, &out)
  }

  /// Holds a checked proposal and asks the driver to validate its entries.
  mutating func requestValidation(proposal: Proposal, header: TBlockHeader, hash: Data, _ out: inout Ready) {
    let entries = proposal.entries.map {
      EntryPrecheck.check($0, shard: context.shard, params: context.params, proof: context.proof)
    }
    held[hash] = HeldBlock(proposal: proposal, header: header, hash: hash, entries: entries)
    let id = nextValidationID
    nextValidationID += 1
    validating = (id, header.view, header.height, hash)
    out.validations.append(
      ValidationRequest(id: id, shard: context.shard, header: header, blockHash: hash, entries: entries))
  }

  /// The driver validated the proposal being voted on: persist the vote, then send it to the leader (§3.3).
  mutating func validated(_ result: ValidationResult, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard let current = validating, current.id == result.id else { return }
    validating = nil
    guard current.view == view, current.height == nextHeight, mayParticipate(at: current.height),
      let block = held[current.hash], result.valid.count == block.entries.count,
      !statements.isConflicted(StatementLog.Slot(view: current.view, height: current.height)),
      !hard.votes.contains(where: { $0.view == current.view && $0.height == current.height })
    else { return ignore(&out, "a validation result for a proposal no longer current") }
    let bits = zip(result.valid, block.entries).map { $0 && $1.invalidReason == nil }
    let body = VoteBody(
      chainID: context.params.chainID, shard: context.shard, epoch: context.epoch, view: current.view,
      height: current.height, blockHash: current.hash, valid: Bitmap.encode(bits),
      voter: context.me.rawRepresentation)
    let bodyBytes = try! body.serializedData()
    let vote = Vote(body: bodyBytes, signature: context.signer.wireSignature(domain: .vote, message: bodyBytes))
    hard.votes.append(
      TChainHardState.VoteSlot(
        view: current.view, height: current.height, blockHash: current.hash,
        proposal: try! block.proposal.serializedData(), vote: try! vote.serializedData()))
    persist(&out)
    let leader = context.leader(of: current.view)
    if leader == context.me {
      receiveVote(vote, now: now, env: &env, &out)
    } else {
      out.send(.vote(vote), to: [leader])
    }
  }

  /// Whether this validator leads the current view and has announced it (view 0 needs no announcement).
  var isActiveLeader: Bool {
    isLeader && !activationPending && (view == 0 || viewStarts[view] != nil)
  }

  /// As active leader, proposes the next height when a batch is ready (§3.2), or, once the epoch is
  /// closing, the empty block that closes it (§5).
  mutating func maybePropose(now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard isActiveLeader, isApplied, !isClosed, sync == nil else { return }
    if let round, round.view == view, round.height == nextHeight { return }
    if hard.proposed.contains(where: { $0.view == view && $0.height == nextHeight }) { return }
    if let start = viewStarts[view], start.adoptionHeight == nextHeight, start.adopted != nil { return }
    var entries: [Data] = []
    if !env.closing {
      entries = env.pool.select(maxEntries: context.params.maxBlockEntries, maxBytes: context.params.maxBlockBytes)
      guard !entries.isEmpty, let oldest = env.pool.oldestArrival else { return }
      if entries.count < context.params.maxBlockEntries && now < oldest + context.params.batchTimeoutMs {
        out.wake(at: oldest + context.params.batchTimeoutMs)
        return
      }
    }
    let header = TBlockHeader(
      chainID: context.params.chainID, shard: context.shard, epoch: context.epoch, view: view, height: nextHeight,
      previousHash: head.hash, entriesRoot: MerkleTree.root(leaves: entries).data, entryCount: UInt32(entries.count),
      timestampMs: max(now, head.timestampMs), proposer: context.me.rawRepresentation,
      parentStateRoot: head.stateRoot!, rblockHeight: max(head.rblockHeight, env.rblockHeight))
    let headerBytes = try! header.serializedData()
    let proposal = Proposal(
      header: headerBytes, signature: context.signer.wireSignature(domain: .tblock, message: headerBytes),
      entries: entries)
    hard.proposed.append(
      TChainHardState.ProposalSlot(view: view, height: nextHeight, proposal: try! proposal.serializedData()))
    persist(&out)
    guard let (checked, hash) = checkSignedProposal(proposal, now: now, env: &env, &out) else { return }
    broadcast(.proposal(proposal), now: now, &out)
    round = LeaderRound(view: view, height: nextHeight, blockHash: hash, entryCount: entries.count)
    requestValidation(proposal: proposal, header: checked, hash: hash, &out)
  }
}

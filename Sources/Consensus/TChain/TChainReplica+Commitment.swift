import ChainCrypto
import Foundation
import Wire

extension TChainReplica {
  /// Learns, with proof, that the shard committed `height` with `hash`: a commit proof (acks of a
  /// majority, §3.4), or nil when the block is final (covered by an RBlock, or the epoch's anchor). Applies
  /// the accepted decision if it is that block, else syncs up to it (§9). Unproven claims are never used.
  mutating func learnCommitted(
    height: UInt64, hash: Data, proof: CommitCertificate?, from peers: [Address], now: UInt64,
    env: inout TChainEnvironment, _ out: inout Ready
  ) {
    if height == head.height, hash == head.hash, headProof == nil, let proof {
      keepProof(proof, height: height, hash: hash)
    }
    guard height > head.height else { return }
    if height == nextHeight, let accepted = hard.accepted, accepted.height == height,
      accepted.blockHash == hash
    {
      commitAccepted(proof: proof, now: now, env: &env, &out)
      return
    }
    requestSync(to: height, hash: hash, proof: proof, from: peers, now: now, &out)
  }

  /// Remembers (and persists) the proof that the block at `height` committed.
  mutating func keepProof(_ proof: CommitCertificate, height: UInt64, hash: Data) {
    if height == head.height { headProof = proof }
    hard.proofs.removeAll { $0.height == height }
    hard.proofs.append(
      TChainHardState.ProofSlot(height: height, blockHash: hash, proof: try! proof.serializedData()))
  }

  /// Asks the driver for the committed blocks up to the proven (`height`, `hash`), unless such a sync is
  /// running.
  mutating func requestSync(
    to height: UInt64, hash: Data, proof: CommitCertificate?, from peers: [Address], now: UInt64,
    _ out: inout Ready
  ) {
    if let sync, sync.height >= height, now < sync.requestedAt + context.params.electionTimeoutMs { return }
    sync = (height, hash, proof, now)
    let others = context.others.filter { !peers.contains($0) }
    out.syncs.append(
      .tblocks(
        shard: context.shard, from: head.height + 1, to: height,
        peers: peers.filter { $0 != context.me } + others))
  }

  /// Commits the accepted decision at the next height, proven by `proof`: the block goes to the ledger.
  mutating func commitAccepted(
    proof: CommitCertificate?, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    guard let accepted = hard.accepted, accepted.height == nextHeight,
      let commit = try? Commit(serializedBytes: accepted.commit),
      let block = held[accepted.blockHash] ?? commit.proposal.flatMap({ heldBlock(from: $0) })
    else { return }
    // The ledger credits the rewards of the RBlocks up to the block's `rblock_height` before its entries:
    // without them it would reach another state root than the members that hold them.
    guard block.header.rblockHeight <= env.rblockHeight else {
      env.rblocksNeeded = max(env.rblocksNeeded, block.header.rblockHeight)
      deferredCommit = (accepted.height, accepted.blockHash, proof)
      return
    }
    let tblock = TBlock(
      header: block.proposal.header, proposerSignature: block.proposal.signature,
      entries: block.proposal.entries,
      decision: commit.decision, certificate: commit.certificate)
    let decision = Bitmap.decode(commit.decision, count: block.entries.count) ?? []
    let majorityRejections = rejections(of: commit.certificate, header: block.header, hash: block.hash)
    self.commit(
      tblock, header: block.header, hash: block.hash, accepted: decision,
      rejectedByMajority: majorityRejections,
      entries: block.entries, proof: proof, env: &env, &out)
  }

  func heldBlock(from proposal: Proposal) -> HeldBlock? {
    guard let header = try? TBlockHeader(serializedBytes: proposal.header) else { return nil }
    let entries = proposal.entries.map {
      EntryPrecheck.check($0, shard: context.shard, params: context.params, proof: context.proof)
    }
    return HeldBlock(
      proposal: proposal, header: header, hash: SHA256.hash(proposal.header).data, entries: entries)
  }

  /// Which entries of a certified block more than half of the members voted invalid.
  func rejections(of certificate: CommitCertificate?, header: TBlockHeader, hash: Data) -> [Bool] {
    let members = context.proof.members(context.shard, header.epoch) ?? context.members
    let subject = VoteSubject(
      chainID: context.params.chainID, shard: context.shard, epoch: header.epoch, view: header.view,
      height: header.height, blockHash: hash, entryCount: Int(header.entryCount))
    guard
      case .success(let tally) = CommitCertificateCheck.tally(
        certificate, subject: subject, members: members, publicKey: context.publicKey,
        scheme: context.proof.scheme)
    else { return [Bool](repeating: false, count: Int(header.entryCount)) }
    return tally.rejectedByMajority
  }

  /// Hands a committed block to the ledger and moves the head.
  mutating func commit(
    _ block: TBlock, header: TBlockHeader, hash: Data, accepted: [Bool], rejectedByMajority: [Bool],
    entries: [CheckedEntry], proof: CommitCertificate?, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    out.applies.append(
      ApplyRequest(
        shard: context.shard, block: block, header: header, blockHash: hash, accepted: accepted,
        rejectedByMajority: rejectedByMajority, entries: entries))
    out.notifications.append(.tblockCommitted(shard: context.shard, height: header.height, hash: hash))
    if header.entryCount == 0 {
      out.notifications.append(.epochClosed(epoch: header.epoch, shard: context.shard, height: header.height))
    }
    head = ChainHead(committing: header, hash: hash)
    lastCommitAt = max(lastCommitAt, viewEnteredAt)
    headProof = nil
    if let proof {
      keepProof(proof, height: header.height, hash: hash)
      persist(&out)
    }
    hard.prune(committed: head.height)
    acks = acks.filter { $0.key.height > head.height }
    held = [:]
    validating = nil
    guards.removeAll { $0.height <= head.height }
    if let current = round, current.height <= head.height { round = nil }
    // Statements of recent heights stay: a late conflicting one still proves equivocation.
    statements.prune(upTo: head.height > 8 ? head.height - 8 : 0)
    seenVotes = seenVotes.filter { $0.key.height > head.height }
    consecutiveViewChanges = 0
    if let sync, sync.height <= head.height { self.sync = nil }
    // Entries leave the pool once decided; a receipt rejected only for missing votes stays pending.
    env.pool.markCommitted(
      entries.indices.compactMap { index in
        let entry = entries[index]
        if case .receipt? = entry.entry?.entry, !accepted[index], !rejectedByMajority[index] { return nil }
        return EntryPool.key(entryBytes: entry.bytes)
      })
  }

  /// The ledger applied a block. Returns whether the head is now applied.
  mutating func applied(_ result: ApplyResult, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready)
  {
    guard result.shard == context.shard, result.height == head.height, result.blockHash == head.hash else {
      return
    }
    head.stateRoot = result.stateRoot
    if activationPending { maybeActivate(now: now, env: &env, &out) }
    replayBuffered(now: now, env: &env, &out)
    maybePropose(now: now, env: &env, &out)
  }

  /// Blocks fetched by a sync: each must extend the head and carry a valid certificate of its epoch's
  /// members, and the batch must reach the proven tip through the hash chain; then they are applied.
  mutating func synced(_ blocks: [TBlock], now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    guard let target = sync else { return }
    // Blocks kept from an earlier batch still count if they extend the head (it may have moved since).
    var checked = Array(syncedSoFar.drop { $0.header.height <= head.height })
    if let first = checked.first,
      first.header.previousHash != head.hash || first.header.height != head.height + 1
    {
      checked = []
    }
    var previous = checked.last?.hash ?? head.hash
    var height = checked.last?.header.height ?? head.height
    for block in blocks where block.header != checked.last?.block.header {
      guard let header = try? TBlockHeader(serializedBytes: block.header),
        header.chainID == context.params.chainID,
        header.shard == context.shard, header.height == height + 1, header.previousHash == previous,
        header.height <= target.height, Int(header.entryCount) == block.entries.count,
        header.rblockHeight <= env.rblockHeight
          || {
            env.rblocksNeeded = max(env.rblocksNeeded, header.rblockHeight); return false
          }(),
        header.entriesRoot == MerkleTree.root(leaves: block.entries).data,
        let members = context.proof.members(context.shard, header.epoch)
      else { break }
      let hash = SHA256.hash(block.header).data
      let subject = VoteSubject(
        chainID: context.params.chainID, shard: context.shard, epoch: header.epoch, view: header.view,
        height: header.height, blockHash: hash, entryCount: block.entries.count)
      guard
        case .success(let tally) = CommitCertificateCheck.tally(
          block.certificate, subject: subject, members: members, publicKey: context.publicKey,
          scheme: context.proof.scheme), Bitmap.encode(tally.decision) == block.decision
      else { break }
      if header.height == target.height && hash != target.hash { return ignore(&out, "synced tip differs") }
      checked.append((block, header, hash, tally.decision, tally.rejectedByMajority))
      previous = hash
      height += 1
    }
    // Only blocks that reach the proven tip are proven (by the hash chain from it): keep a partial batch
    // and ask for the rest; the tip's decision must be the one its commit proof acknowledged.
    guard let last = checked.last, last.header.height == target.height, last.hash == target.hash else {
      syncedSoFar = checked
      if let last = checked.last, last.header.height < target.height {
        out.syncs.append(
          .tblocks(
            shard: context.shard, from: last.header.height + 1, to: target.height, peers: context.others))
      }
      return
    }
    syncedSoFar = []
    if let proof = target.proof,
      case .success(let proven) = CommitProofCheck.verify(
        proof, chainID: context.params.chainID, shard: context.shard, epoch: last.header.epoch,
        height: target.height, blockHash: target.hash,
        members: context.proof.members(context.shard, last.header.epoch) ?? context.members,
        publicKey: context.publicKey, scheme: context.proof.scheme),
      proven.decision != Bitmap.encode(last.decision)
    {
      return ignore(&out, "the synced tip carries another decision than the one committed")
    }
    for item in checked {
      let entries = item.block.entries.map {
        EntryPrecheck.check($0, shard: context.shard, params: context.params, proof: context.proof)
      }
      commit(
        item.block, header: item.header, hash: item.hash, accepted: item.decision,
        rejectedByMajority: item.rejected,
        entries: entries, proof: item.header.height == target.height ? target.proof : nil, env: &env, &out)
    }
    sync = nil
  }

  /// A Status: a heartbeat from the leader and a report of what the sender committed (§3.4, §3.6).
  mutating func receiveStatus(
    _ status: Status, from sender: Address, now: UInt64, env: inout TChainEnvironment, _ out: inout Ready
  ) {
    guard status.shard == context.shard, status.epoch == context.epoch, context.memberSet.contains(sender)
    else { return }
    if status.view == view && sender == context.leader(of: view) { resetElectionDeadline(now) }
    guard status.committedHeight > head.height || (status.committedHeight == head.height && headProof == nil),
      status.commitProof != nil,
      case .success = CommitProofCheck.verify(
        status.commitProof, chainID: context.params.chainID, shard: context.shard, epoch: context.epoch,
        height: status.committedHeight, blockHash: status.committedHash, members: context.members,
        publicKey: context.publicKey, scheme: context.proof.scheme)
    else { return }
    learnCommitted(
      height: status.committedHeight, hash: status.committedHash, proof: status.commitProof, from: [sender],
      now: now,
      env: &env, &out)
  }

  /// Re-handles the buffered messages.
  mutating func replayBuffered(now: UInt64, env: inout TChainEnvironment, _ out: inout Ready) {
    if let deferred = deferredCommit {
      deferredCommit = nil
      if let accepted = hard.accepted, accepted.height == deferred.height,
        accepted.blockHash == deferred.blockHash
      {
        commitAccepted(proof: deferred.proof, now: now, env: &env, &out)
      }
    }
    guard !buffered.isEmpty else { return }
    let pending = buffered
    buffered = []
    for (body, sender) in pending { handle(body, from: sender, now: now, env: &env, &out) }
  }

  /// Routes a TChain message.
  mutating func handle(
    _ body: ConsensusMessage.Body, from sender: Address, now: UInt64, env: inout TChainEnvironment,
    _ out: inout Ready
  ) {
    switch body {
    case .proposal(let proposal): receiveProposal(proposal, from: sender, now: now, env: &env, &out)
    case .vote(let vote): receiveVote(vote, now: now, env: &env, &out)
    case .commit(let commit): receiveCommit(commit, from: sender, now: now, env: &env, &out)
    case .commitAck(let ack): receiveAck(ack, now: now, env: &env, &out)
    case .viewChange(let change): receiveViewChange(change, from: sender, now: now, env: &env, &out)
    case .newView(let newView): receiveNewView(newView, from: sender, now: now, env: &env, &out)
    case .status(let status): receiveStatus(status, from: sender, now: now, env: &env, &out)
    default: break
    }
  }
}

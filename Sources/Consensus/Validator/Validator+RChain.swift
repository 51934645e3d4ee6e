import ChainCrypto
import Foundation
import Wire

extension Validator {
  /// When the current RChain view times out (§4.4).
  var rchainDeadline: UInt64 {
    let view = rchain.hard.view
    return (view == 0 ? rchain.heightStartedAt : rchain.viewEnteredAt)
      + params.rchainViewTimeoutMs(view: view)
  }

  /// The next RChain view timer: the view's timeout once it started, else re-sending this validator's
  /// view change (messages get lost).
  var rchainTimer: UInt64 {
    rchain.viewStarted
      ? rchainDeadline : rchain.viewChangeSentAt + params.rchainViewTimeoutMs(view: rchain.hard.view)
  }

  /// RChain timers: proposing, view timeouts, proposals waiting for this validator's shard.
  mutating func rchainTick(now: UInt64, _ out: inout Ready) {
    if rchain.viewStarted, now >= rchainDeadline {
      moveRChainView(rchain.hard.view + 1, now: now, &out)
    } else if !rchain.viewStarted, now >= rchainTimer {
      let view = rchain.hard.view
      let own = rchain.viewChanges[view]?[me]?.message ?? makeRViewChange(view: view)
      if rchain.viewChanges[view]?[me] == nil, let checked = checkRViewChange(own) {
        rchain.viewChanges[view, default: [:]][me] = checked
      }
      rchain.viewChangeSentAt = now
      out.send(.rchainViewChange(own), to: validators.addresses.filter { $0 != me })
      noteRChainViewStart(now: now)
    }
    if let pending = rchain.pending {
      rchain.pending = nil
      receiveRBlockProposal(pending.proposal, from: pending.from, now: now, &out)
    }
    rchainMaybePropose(now: now, &out)
    resendRChainRound(now: now, &out)
    if let requested = rblockSyncRequestedAt, now >= requested + params.electionTimeoutMs {
      rblockSyncRequestedAt = nil
    }
  }

  /// As proposer, re-sends the proposal (before the prepare certificate) or the certificate (after it) to
  /// the validators that have not answered, every 2Δ: messages get lost.
  mutating func resendRChainRound(now: UInt64, _ out: inout Ready) {
    guard var round = rchain.round, !round.committed else { return }
    let period = 2 * params.voteWindowMs
    guard now >= round.lastResentAt + period else { return out.wake(at: round.lastResentAt + period) }
    if round.lastResentAt == 0 {
      round.lastResentAt = now
      rchain.round = round
      return out.wake(at: now + period)
    }
    round.lastResentAt = now
    rchain.round = round
    out.wake(at: now + period)
    if let prepared = round.preparedMessage {
      out.send(
        .rblockPrepared(prepared), to: validators.addresses.filter { $0 != me && round.commits[$0] == nil })
    } else if let proposal = round.proposal {
      out.send(
        .rblockProposal(proposal), to: validators.addresses.filter { $0 != me && round.prepares[$0] == nil })
    }
  }

  /// As proposer of the current view: propose (view 0, once the interval passed) or, with view changes
  /// from more than two thirds, re-propose the highest locked header or a new one (§4.2, §4.4).
  mutating func rchainMaybePropose(now: UInt64, _ out: inout Ready) {
    let view = rchain.hard.view
    guard rchain.round == nil, chain.proposer(view: view) == me,
      !rchain.hard.prepared.contains(where: { $0.view == view })
    else { return }
    var headerBytes: Data
    var justification: [RChainViewChange] = []
    if view == 0 {
      guard now >= rchain.heightStartedAt + params.rblockIntervalMs else { return }
      switch buildRBlockHeader(view: 0, now: now) {
      case .failure(let reason):
        return out.ignore("no RBlock proposal yet: \(reason)", diagnostics: configuration.diagnostics)
      case .success(let header): headerBytes = try! header.serializedData()
      }
    } else {
      guard let changes = rchain.viewChanges[view], changes.count >= Quorum.twoThirds(validators.count) else {
        return
      }
      justification = changes.values.sorted { $0.sender < $1.sender }.map(\.message)
      if let locked = Validator.highestLock(changes.values) {
        headerBytes = locked
      } else {
        switch buildRBlockHeader(view: view, now: now) {
        case .failure(let reason):
          return out.ignore("no RBlock proposal yet: \(reason)", diagnostics: configuration.diagnostics)
        case .success(let header): headerBytes = try! header.serializedData()
        }
      }
    }
    let hash = SHA256.hash(headerBytes).data
    let signature = configuration.signer.sign(
      domain: .rblockPrepare, message: RBlockCertificateCheck.prepareMessage(blockHash: hash, view: view))
    rchain.hard.prepared.append(RChainHardState.Prepared(view: view, hash: hash))
    persistRChain(&out)
    var round = RChainRound(view: view, headerBytes: headerBytes, hash: hash)
    round.prepares[me] = signature
    rchain.round = round
    let proposal = RBlockProposal(
      header: headerBytes,
      signature: Signature(publicKey: configuration.signer.publicKey, signature: signature),
      justification: justification, view: view)
    if let header = try? RBlockHeader(serializedBytes: headerBytes), header.view == view {
      rchain.firstProposals[view] = (headerBytes, proposal.signature!)
    }
    rchain.round?.proposal = proposal
    out.send(.rblockProposal(proposal), to: validators.addresses.filter { $0 != me })
    maybeFormPrepared(now: now, &out)
  }

  /// The header of the prepare certificate with the highest view among `changes`, if any.
  static func highestLock(_ changes: some Collection<CheckedRViewChange>) -> Data? {
    changes.filter { !$0.body.preparedHash.isEmpty }.max { a, b in
      a.body.preparedView != b.body.preparedView
        ? a.body.preparedView < b.body.preparedView
        : b.body.preparedHash.lexicographicallyPrecedes(a.body.preparedHash)
    }?.message.preparedHeader
  }

  func persistRChain(_ out: inout Ready) {
    out.persist.append(PersistRecord(key: RChainHardState.recordKey, value: RecordCoding.encode(rchain.hard)))
  }

  /// An RBlock proposal (§4.3): checked, then prepare-signed.
  mutating func receiveRBlockProposal(
    _ proposal: RBlockProposal, from sender: Address, now: UInt64, _ out: inout Ready
  ) {
    guard let header = try? RBlockHeader(serializedBytes: proposal.header) else { return }
    if header.height < chain.nextHeight { return answerLagging(height: header.height, to: sender, &out) }
    if header.height > chain.nextHeight { return requestRBlocks(from: [sender], now: now, &out) }
    let view = proposal.view
    let hash = SHA256.hash(proposal.header).data
    guard view >= rchain.hard.view, sender == chain.proposer(view: view),
      let key = validators.publicKey(of: sender),
      configuration.scheme.isValid(
        proposal.signature, by: key, domain: .rblockPrepare,
        message: RBlockCertificateCheck.prepareMessage(blockHash: hash, view: view))
    else { return out.ignore("rblock proposal from \(sender)", diagnostics: configuration.diagnostics) }
    if header.view == view {
      if let first = rchain.firstProposals[view], first.header != proposal.header {
        learnEvidence(
          EquivocationEvidence(
            kind: .rblockProposal, first: first.header, firstSignature: first.signature,
            second: proposal.header,
            secondSignature: proposal.signature), now: now, forward: true, &out)
        return
      }
      rchain.firstProposals[view] = (proposal.header, proposal.signature!)
    }
    if view > 0 {
      guard let changes = checkJustification(proposal.justification, view: view) else {
        return out.ignore(
          "rblock proposal without a valid justification", diagnostics: configuration.diagnostics)
      }
      if let locked = Validator.highestLock(changes) {
        guard locked == proposal.header else {
          return out.ignore("rblock proposal ignoring a lock", diagnostics: configuration.diagnostics)
        }
      } else {
        guard header.view == view, header.proposer == sender.rawRepresentation else { return }
      }
      if view > rchain.hard.view { enterRChainView(view, now: now, &out) }
      if view == rchain.hard.view { markRChainViewStarted(now: now) }
    } else {
      guard header.view == 0, header.proposer == sender.rawRepresentation else { return }
    }
    guard view == rchain.hard.view else { return }
    if let earlier = rchain.hard.prepared.first(where: { $0.view == view }) {
      if earlier.hash == hash { sendPrepare(hash: hash, view: view, to: sender, &out) }
      return
    }
    switch checkRBlockHeader(header, now: now) {
    case .invalid(let reason):
      out.ignore("rblock \(header.height) view \(view): \(reason)", diagnostics: configuration.diagnostics)
    case .later(let reason):
      out.ignore(
        "rblock \(header.height) view \(view) waits: \(reason)", diagnostics: configuration.diagnostics)
      rchain.pending = (proposal, sender)
    case .ok:
      rchain.hard.prepared.append(RChainHardState.Prepared(view: view, hash: hash))
      persistRChain(&out)
      sendPrepare(hash: hash, view: view, to: sender, &out)
    }
  }

  func sendPrepare(hash: Data, view: UInt64, to proposer: Address, _ out: inout Ready) {
    let signature = configuration.signer.sign(
      domain: .rblockPrepare, message: RBlockCertificateCheck.prepareMessage(blockHash: hash, view: view))
    out.send(
      .rblockVote(
        RBlockVote(
          height: chain.nextHeight, view: view, blockHash: hash, signer: me.rawRepresentation,
          signature: signature,
          prepare: true)), to: [proposer])
  }

  /// Checks a justification: view changes for the next height and `view` from more than two thirds of
  /// the validators, each signed, each lock certified.
  func checkJustification(_ changes: [RChainViewChange], view: UInt64) -> [CheckedRViewChange]? {
    var checked: [Address: CheckedRViewChange] = [:]
    for change in changes {
      guard let valid = checkRViewChange(change), valid.body.view == view else { return nil }
      checked[valid.sender] = valid
    }
    return checked.count >= Quorum.twoThirds(validators.count) ? Array(checked.values) : nil
  }

  /// Checks an RChain view change for the next height: its signature and, if it reports a lock, the
  /// prepare certificate of the lock.
  func checkRViewChange(_ change: RChainViewChange) -> CheckedRViewChange? {
    guard let body = try? RChainViewChangeBody(serializedBytes: change.body), body.chainID == params.chainID,
      body.height == chain.nextHeight, body.view > 0, let sender = Address(bytes: body.sender),
      let key = validators.publicKey(of: sender),
      configuration.scheme.isValid(change.signature, by: key, domain: .rchainViewChange, message: change.body)
    else { return nil }
    if !body.preparedHash.isEmpty {
      guard body.preparedView < body.view, SHA256.hash(change.preparedHeader).data == body.preparedHash,
        let header = try? RBlockHeader(serializedBytes: change.preparedHeader),
        header.height == chain.nextHeight,
        header.previousHash == chain.hash,
        case .success = RBlockCertificateCheck.verify(
          change.preparedCertificate, domain: .rblockPrepare,
          message: RBlockCertificateCheck.prepareMessage(
            blockHash: body.preparedHash, view: body.preparedView),
          validators: validators, assignment: chain.currentAssignment, scheme: configuration.scheme)
      else { return nil }
    }
    return CheckedRViewChange(sender: sender, body: body, message: change)
  }

  /// A signature for the proposer of the current view: prepare or commit (§4.3).
  mutating func receiveRBlockVote(_ vote: RBlockVote, from sender: Address, now: UInt64, _ out: inout Ready) {
    guard var round = rchain.round, vote.height == chain.nextHeight, vote.view == round.view,
      vote.blockHash == round.hash, let signer = Address(bytes: vote.signer),
      let key = validators.publicKey(of: signer)
    else { return }
    if vote.prepare {
      guard round.prepares[signer] == nil,
        configuration.scheme.isValid(
          signature: vote.signature, publicKey: key, domain: .rblockPrepare,
          message: RBlockCertificateCheck.prepareMessage(blockHash: round.hash, view: round.view))
      else { return }
      round.prepares[signer] = vote.signature
      rchain.round = round
      maybeFormPrepared(now: now, &out)
    } else {
      guard round.commits[signer] == nil,
        configuration.scheme.isValid(
          signature: vote.signature, publicKey: key, domain: .rblock, message: round.hash)
      else { return }
      round.commits[signer] = vote.signature
      rchain.round = round
      maybeFormCommit(now: now, &out)
    }
  }

  /// With prepare signatures of a quorum: lock, commit-sign, and show the certificate to everyone.
  mutating func maybeFormPrepared(now: UInt64, _ out: inout Ready) {
    guard var round = rchain.round, !round.prepared,
      RBlockCertificateCheck.isQuorum(
        Set(round.prepares.keys), validatorCount: validators.count, assignment: chain.currentAssignment)
    else { return }
    round.prepared = true
    let certificate = RBlockCertificateCheck.make(round.prepares, validators: validators)
    rchain.hard.lock = RChainHardState.Lock(
      view: round.view, header: round.headerBytes, certificate: try! certificate.serializedData())
    rchain.hard.committedViews.append(round.view)
    persistRChain(&out)
    round.commits[me] = configuration.signer.sign(domain: .rblock, message: round.hash)
    let prepared = RBlockPrepared(
      height: chain.nextHeight, view: round.view, header: round.headerBytes, certificate: certificate)
    round.preparedMessage = prepared
    rchain.round = round
    out.send(.rblockPrepared(prepared), to: validators.addresses.filter { $0 != me })
    maybeFormCommit(now: now, &out)
  }

  /// With commit signatures of a quorum: the RBlock is committed; broadcast it.
  mutating func maybeFormCommit(now: UInt64, _ out: inout Ready) {
    guard var round = rchain.round, round.prepared, !round.committed,
      RBlockCertificateCheck.isQuorum(
        Set(round.commits.keys), validatorCount: validators.count, assignment: chain.currentAssignment),
      let header = try? RBlockHeader(serializedBytes: round.headerBytes)
    else { return }
    round.committed = true
    rchain.round = round
    let block = RBlock(
      header: round.headerBytes,
      certificate: RBlockCertificateCheck.make(round.commits, validators: validators))
    out.send(.rblockCommit(RBlockCommit(block: block)), to: validators.addresses.filter { $0 != me })
    commitRBlock(block, header: header, hash: round.hash, now: now, &out)
  }

  /// A prepare certificate in the current view: lock on it and commit-sign (§4.3).
  mutating func receiveRBlockPrepared(
    _ prepared: RBlockPrepared, from sender: Address, now: UInt64, _ out: inout Ready
  ) {
    if prepared.height == chain.nextHeight, rchain.hard.committedViews.contains(prepared.view),
      let lock = rchain.hard.lock, lock.view == prepared.view, lock.header == prepared.header
    {
      // A re-sent certificate: the commit signature may have been lost.
      let hash = SHA256.hash(prepared.header).data
      out.send(
        .rblockVote(
          RBlockVote(
            height: chain.nextHeight, view: prepared.view, blockHash: hash, signer: me.rawRepresentation,
            signature: configuration.signer.sign(domain: .rblock, message: hash), prepare: false)),
        to: [chain.proposer(view: prepared.view)])
      return
    }
    guard prepared.height == chain.nextHeight, prepared.view == rchain.hard.view,
      !rchain.hard.committedViews.contains(prepared.view),
      let header = try? RBlockHeader(serializedBytes: prepared.header), header.height == chain.nextHeight,
      header.previousHash == chain.hash, header.shards.count == Int(params.shardCount)
    else { return }
    let hash = SHA256.hash(prepared.header).data
    guard
      case .success = RBlockCertificateCheck.verify(
        prepared.certificate, domain: .rblockPrepare,
        message: RBlockCertificateCheck.prepareMessage(blockHash: hash, view: prepared.view),
        validators: validators,
        assignment: chain.currentAssignment, scheme: configuration.scheme)
    else { return out.ignore("an invalid prepare certificate", diagnostics: configuration.diagnostics) }
    rchain.hard.lock = RChainHardState.Lock(
      view: prepared.view, header: prepared.header, certificate: try! prepared.certificate!.serializedData())
    rchain.hard.committedViews.append(prepared.view)
    persistRChain(&out)
    out.send(
      .rblockVote(
        RBlockVote(
          height: chain.nextHeight, view: prepared.view, blockHash: hash, signer: me.rawRepresentation,
          signature: configuration.signer.sign(domain: .rblock, message: hash), prepare: false)),
      to: [chain.proposer(view: prepared.view)])
  }

  /// A committed RBlock: its certificate checked, it is committed here (§4.3).
  mutating func receiveRBlockCommit(
    _ commit: RBlockCommit, from sender: Address, now: UInt64, _ out: inout Ready
  ) {
    // Every validator passes a commit on once, so most copies are of the RBlock just committed: those are
    // dropped by their bytes, before decoding a header that holds every validator's reputation.
    if let block = commit.block, recentRBlocks[chain.height]?.header == block.header { return }
    guard let block = commit.block, let header = try? RBlockHeader(serializedBytes: block.header) else {
      return
    }
    if header.height < chain.nextHeight { return }
    if header.height > chain.nextHeight { return requestRBlocks(from: [sender], now: now, &out) }
    guard acceptCommitted(block, header: header) else {
      return out.ignore(
        "an RBlock commit with an invalid certificate", diagnostics: configuration.diagnostics)
    }
    // Pass it on once, so that a commit the proposer's broadcast did not deliver still reaches everyone.
    out.send(.rblockCommit(commit), to: validators.addresses.filter { $0 != me && $0 != sender })
    commitRBlock(block, header: header, hash: SHA256.hash(block.header).data, now: now, &out)
  }

  /// Whether `block` can be committed as the next RBlock: it extends the chain and its certificate holds
  /// commit signatures of a quorum.
  func acceptCommitted(_ block: RBlock, header: RBlockHeader) -> Bool {
    guard header.chainID == params.chainID, header.height == chain.nextHeight,
      header.previousHash == chain.hash,
      header.shards.count == Int(params.shardCount), header.reputation.count == validators.count
    else { return false }
    let hash = SHA256.hash(block.header).data
    if case .success = RBlockCertificateCheck.verify(
      block.certificate, domain: .rblock, message: hash, validators: validators,
      assignment: chain.currentAssignment,
      scheme: configuration.scheme)
    {
      return true
    }
    return false
  }

  /// Sends the committed RBlock at `height` to a peer that lags, if it is still at hand.
  func answerLagging(height: UInt64, to peer: Address, _ out: inout Ready) {
    guard let block = recentRBlocks[height] else { return }
    out.send(.rblockCommit(RBlockCommit(block: block)), to: [peer])
  }

  /// Asks for the RBlocks above the committed one (rate-limited).
  mutating func requestRBlocks(from peers: [Address], now: UInt64, _ out: inout Ready) {
    guard rblockSyncRequestedAt == nil else { return }
    rblockSyncRequestedAt = now
    let others = validators.addresses.filter { $0 != me && !peers.contains($0) }.shuffledDeterministically(
      seed: now)
    out.syncs.append(.rblocks(from: chain.nextHeight, to: 0, peers: peers + others))
  }

  /// RBlocks fetched by a sync, committed in order while they check out.
  mutating func rblocksSynced(_ blocks: [RBlock], now: UInt64, _ out: inout Ready) {
    rblockSyncRequestedAt = nil
    for block in blocks {
      guard let header = try? RBlockHeader(serializedBytes: block.header) else { break }
      if header.height < chain.nextHeight { continue }
      guard acceptCommitted(block, header: header) else { break }
      commitRBlock(block, header: header, hash: SHA256.hash(block.header).data, now: now, &out)
    }
  }
}

import ChainCrypto
import Consensus
import Foundation
import Wire

/// The misbehaviour of one Byzantine validator around its honest state machine (see ``Behaviour``).
struct Adversary {
  let behaviour: Behaviour
  let signer: SimulatedSigner
  let me: Address
  let chainID: String
  var random: SeededRandom

  /// A second proposal this validator sent to part of its shard, and the votes it collects for it.
  struct Variant {
    let hash: Data
    let proposal: Proposal
    let header: TBlockHeader
    let groupA: [Address]
    let groupB: [Address]
    let memberCount: Int
    var votes: [Address: Vote] = [:]
    var committed = false
  }

  var variant: Variant?
  /// How many second proposals this validator sent.
  var variantsSent = 0
  var seenReceipts: [Receipt] = []
  var seenCommits: [Commit] = []
  var seenProposals: [Proposal] = []
  var seenRBlocks: [RBlock] = []
  /// Entry counts of the proposals seen, by block hash (to invert exactly a vote's bits).
  var entryCounts: [Data: Int] = [:]

  init(behaviour: Behaviour, signer: SimulatedSigner, chainID: String, seed: UInt64) {
    self.behaviour = behaviour
    self.signer = signer
    self.me = signer.address
    self.chainID = chainID
    self.random = SeededRandom(seed: seed)
  }

  /// Whether a submission reaches the state machine.
  func admits(_ transaction: SignedTransaction) -> Bool { behaviour.censor != .all }

  /// Whether an incoming message reaches the state machine; may add messages to send.
  mutating func incoming(_ message: ConsensusMessage, from sender: Address, extra: inout [OutboundMessage])
    -> Bool
  {
    remember(message)
    switch message.body {
    case .transaction: return behaviour.censor != .all
    case .receipt: return behaviour.censor == .none
    case .vote(let vote) where behaviour.equivocate:
      if var current = variant, let body = try? VoteBody(serializedBytes: vote.body),
        body.blockHash == current.hash,
        let voter = try? Address(rawRepresentation: body.voter)
      {
        current.votes[voter] = vote
        if !current.committed, current.votes.count >= Quorum.majority(current.memberCount) {
          current.committed = true
          let second = commit(for: current)
          extra.append(OutboundMessage(to: current.groupB, message: ConsensusMessage(body: .commit(second))))
          // Its own signed ack of the second decision, to everyone: with the members of the second group it
          // makes a majority unless they refuse the decision (the equivocation guard).
          let body = CommitProofCheck.ackBody(
            chainID: chainID, shard: second.shard, epoch: second.epoch, view: second.view,
            height: second.height,
            blockHash: second.blockHash, decision: second.decision, voter: me)
          let bytes = try! body.serializedData()
          let ack = Vote(
            body: bytes,
            signature: Signature(
              publicKey: signer.publicKey, signature: signer.sign(domain: .ack, message: bytes)))
          extra.append(
            OutboundMessage(
              to: current.groupA + current.groupB,
              message: ConsensusMessage(
                body: .commitAck(
                  CommitAck(
                    shard: second.shard, epoch: second.epoch, view: second.view, height: second.height,
                    blockHash: second.blockHash, ack: ack)))))
        }
        variant = current
        return false
      }
      return true
    default:
      return true
    }
  }

  /// Rewrites a message the state machine sends; a leader equivocates only while `equivocating` (the
  /// scenario's active period, so that evidence can be recorded before the run ends).
  mutating func outgoing(_ message: OutboundMessage, equivocating: Bool) -> [OutboundMessage] {
    remember(message.message)
    switch message.message.body {
    case .vote(let vote) where behaviour.wrongVotes:
      guard var body = try? VoteBody(serializedBytes: vote.body), let count = entryCounts[body.blockHash],
        let bits = Bitmap.decode(body.valid, count: count)
      else { return [message] }
      body.valid = Bitmap.encode(bits.map { !$0 })
      return [OutboundMessage(to: message.to, message: ConsensusMessage(body: .vote(sign(body))))]
    case .proposal(let proposal) where behaviour.equivocate && equivocating && message.to.count >= 2:
      guard var header = try? TBlockHeader(serializedBytes: proposal.header),
        header.proposer == me.rawRepresentation
      else { return [message] }
      let receivers = message.to
      let half = receivers.count / 2
      let groupA = Array(receivers[..<half])
      let groupB = Array(receivers[half...])
      header.timestampMs += 1
      let bytes = try! header.serializedData()
      let second = Proposal(
        header: bytes,
        signature: Signature(
          publicKey: signer.publicKey, signature: signer.sign(domain: .tblock, message: bytes)),
        entries: proposal.entries)
      var current = Variant(
        hash: SHA256.hash(bytes).data, proposal: second, header: header, groupA: groupA, groupB: groupB,
        memberCount: receivers.count + 1)
      // Its own vote for the second proposal: everything valid.
      let own = VoteBody(
        chainID: chainID, shard: header.shard, epoch: header.epoch, view: header.view, height: header.height,
        blockHash: current.hash, valid: Bitmap.encode([Bool](repeating: true, count: proposal.entries.count)),
        voter: me.rawRepresentation)
      current.votes[me] = sign(own)
      variant = current
      variantsSent += 1
      return [
        OutboundMessage(to: groupA, message: message.message),
        OutboundMessage(to: groupB, message: ConsensusMessage(body: .proposal(second))),
      ]
    case .commit(let commit) where behaviour.equivocate:
      if let current = variant, commit.height == current.header.height, commit.certificate != nil {
        return [OutboundMessage(to: current.groupA, message: message.message)]
      }
      return [message]
    default:
      return [message]
    }
  }

  /// A Commit for the second proposal from the votes collected for it.
  private func commit(for variant: Variant) -> Commit {
    var counts = [Int](repeating: 0, count: variant.proposal.entries.count)
    let sorted: [(Address, Vote)] = variant.votes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    for (_, vote) in sorted {
      if let body = try? VoteBody(serializedBytes: vote.body),
        let bits = Bitmap.decode(body.valid, count: counts.count)
      {
        for (index, bit) in bits.enumerated() where bit { counts[index] += 1 }
      }
    }
    let decision = Bitmap.encode(counts.map { 2 * $0 > variant.memberCount })
    let header = variant.header
    let endorsementBody = VoteBody(
      chainID: chainID, shard: header.shard, epoch: header.epoch, view: header.view, height: header.height,
      blockHash: variant.hash, valid: decision, voter: me.rawRepresentation)
    let endorsementBytes = try! endorsementBody.serializedData()
    return Commit(
      shard: header.shard, height: header.height, blockHash: variant.hash, decision: decision,
      certificate: CommitCertificate(votes: sorted.map(\.1)), epoch: header.epoch, view: header.view,
      endorsement: Vote(
        body: endorsementBytes,
        signature: Signature(
          publicKey: signer.publicKey, signature: signer.sign(domain: .decision, message: endorsementBytes))))
  }

  private func sign(_ body: VoteBody) -> Vote {
    let bytes = try! body.serializedData()
    return Vote(
      body: bytes,
      signature: Signature(publicKey: signer.publicKey, signature: signer.sign(domain: .vote, message: bytes))
    )
  }

  private mutating func remember(_ message: ConsensusMessage) {
    if behaviour.wrongVotes, case .proposal(let proposal)? = message.body {
      entryCounts[SHA256.hash(proposal.header).data] = proposal.entries.count
      if entryCounts.count > 256 { entryCounts = [:] }
    }
    guard behaviour.forge || behaviour.replay else { return }
    switch message.body {
    case .receipt(let receipt): keep(&seenReceipts, receipt)
    case .commit(let commit) where commit.certificate != nil: keep(&seenCommits, commit)
    case .proposal(let proposal): keep(&seenProposals, proposal)
    case .rblockCommit(let commit): if let block = commit.block { keep(&seenRBlocks, block) }
    default: break
    }
  }

  private func keep<T>(_ list: inout [T], _ item: T) {
    list.append(item)
    if list.count > 32 { list.removeFirst() }
  }

  /// Periodic misbehaviour: forged and replayed messages to random validators.
  mutating func act(validators: [Address]) -> [OutboundMessage] {
    var messages: [OutboundMessage] = []
    let others = validators.filter { $0 != me }
    guard !others.isEmpty else { return [] }
    func anyone() -> [Address] { [others[Int(random.below(UInt64(others.count)))]] }
    if behaviour.replay {
      if !seenReceipts.isEmpty {
        var receipt = seenReceipts[Int(random.below(UInt64(seenReceipts.count)))]
        messages.append(OutboundMessage(to: others, message: ConsensusMessage(body: .receipt(receipt))))
        // A tampered copy: another target or a flipped entry byte.
        if random.chance(0.5) {
          receipt.targetShard ^= 1
        } else if !receipt.sourceEntry.isEmpty {
          receipt.sourceEntry[receipt.sourceEntry.startIndex] ^= 0x01
        }
        messages.append(OutboundMessage(to: others, message: ConsensusMessage(body: .receipt(receipt))))
      }
      if !seenProposals.isEmpty {
        let proposal = seenProposals[Int(random.below(UInt64(seenProposals.count)))]
        messages.append(OutboundMessage(to: anyone(), message: ConsensusMessage(body: .proposal(proposal))))
      }
      if !seenCommits.isEmpty {
        let commit = seenCommits[Int(random.below(UInt64(seenCommits.count)))]
        messages.append(OutboundMessage(to: anyone(), message: ConsensusMessage(body: .commit(commit))))
      }
    }
    if behaviour.forge {
      messages += forgeries(to: others)
    }
    return messages
  }

  /// Forged messages: each must be refused by every honest validator.
  private mutating func forgeries(to others: [Address]) -> [OutboundMessage] {
    var messages: [OutboundMessage] = []
    let victim = others[Int(random.below(UInt64(others.count)))]
    if var commit = seenCommits.last {
      // A certificate whose votes claim other voters but carry this validator's signatures.
      if var votes = commit.certificate?.votes, !votes.isEmpty {
        for index in votes.indices {
          if var body = try? VoteBody(serializedBytes: votes[index].body) {
            body.voter = victim.rawRepresentation
            votes[index] = sign(body)
          }
        }
        commit.certificate = CommitCertificate(votes: votes)
        messages.append(OutboundMessage(to: others, message: ConsensusMessage(body: .commit(commit))))
      }
      // The same decision with flipped decision bits.
      var flipped = commit
      flipped.decision = Data(flipped.decision.map { ~$0 })
      messages.append(OutboundMessage(to: others, message: ConsensusMessage(body: .commit(flipped))))
      // Only a minority of the votes.
      var minority = commit
      minority.certificate = CommitCertificate(votes: Array((commit.certificate?.votes ?? []).prefix(1)))
      messages.append(OutboundMessage(to: others, message: ConsensusMessage(body: .commit(minority))))
    }
    if var proposal = seenProposals.last {
      // A proposal re-signed by this validator (not the leader of its view).
      proposal.signature = Signature(
        publicKey: signer.publicKey, signature: signer.sign(domain: .tblock, message: proposal.header))
      messages.append(OutboundMessage(to: others, message: ConsensusMessage(body: .proposal(proposal))))
      // A garbage signature claiming the real proposer's key.
      var garbage = seenProposals.last!
      garbage.signature?.signature = Data(repeating: 0xAB, count: 64)
      messages.append(OutboundMessage(to: others, message: ConsensusMessage(body: .proposal(garbage))))
    }
    if var block = seenRBlocks.last, var header = try? RBlockHeader(serializedBytes: block.header) {
      // The next RBlock, made up, with the last real certificate.
      header.height += 1
      header.previousHash = SHA256.hash(block.header).data
      block.header = try! header.serializedData()
      messages.append(
        OutboundMessage(
          to: others, message: ConsensusMessage(body: .rblockCommit(RBlockCommit(block: block)))))
    }
    // A prepare vote with a garbage signature.
    messages.append(
      OutboundMessage(
        to: others,
        message: ConsensusMessage(
          body: .rblockVote(
            RBlockVote(
              height: 1, view: 0, blockHash: Data(repeating: 7, count: 32), signer: victim.rawRepresentation,
              signature: Data(repeating: 1, count: 64), prepare: true)))))
    return messages
  }
}

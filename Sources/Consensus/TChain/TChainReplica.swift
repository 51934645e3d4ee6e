import ChainCrypto
import Foundation
import Wire

/// What a TChain replica needs from the rest of its validator in each step, and what it reports back.
struct TChainEnvironment: Sendable {
  /// The shard's pending entries.
  var pool = EntryPool()
  /// The highest committed RBlock.
  var rblockHeight: UInt64 = 0
  /// The epoch is closing: leaders start no new heights (§5).
  var closing = false
  /// Validators with proven equivocation in this epoch: their views are skipped.
  var equivocators: Set<Address> = []
  /// Evidence found in this step.
  var evidence: [EquivocationEvidence] = []
  /// The highest RBlock a block of this shard needs that this validator has not committed (the validator
  /// then syncs the RChain).
  var rblocksNeeded: UInt64 = 0
  /// The highest block of this shard covered by a committed RBlock (final), and its hash.
  var final: (height: UInt64, hash: Data) = (0, Bytes.zeroHash)
}

/// The TChain of one shard in one epoch, as seen by one member (docs/protocol.md §3): a deterministic
/// state machine. Every method takes the current time and appends what must be done to a ``Ready``.
struct TChainReplica: Sendable {
  let context: TChainContext
  var hard: TChainHardState
  var head: ChainHead

  // Volatile state.
  /// Checked proposals for the next height, by block hash.
  var held: [Data: HeldBlock] = [:]
  /// The proposal being validated before voting.
  var validating: (id: UInt64, view: UInt64, height: UInt64, hash: Data)?
  /// Leader-signed statements (proposal headers and decision endorsements) by (view, height).
  var statements = StatementLog()
  /// Commits waiting out the equivocation guard.
  var guards: [PendingAcceptance] = []
  /// This validator's round as leader.
  var round: LeaderRound?
  /// View changes received, by view and sender.
  var viewChanges: [UInt64: [Address: CheckedViewChange]] = [:]
  /// What the NewView of each view (above 0) established.
  var viewStarts: [UInt64: ViewStart] = [:]
  /// As leader of the current view: waiting to catch up to this height before announcing it.
  var activationPending = false
  var electionDeadline: UInt64
  var consecutiveViewChanges = 0
  var viewEnteredAt: UInt64
  var lastSentToShard: UInt64 = 0
  /// Messages that arrived too early (a later view or height, or before the parent was applied).
  var buffered: [(body: ConsensusMessage.Body, from: Address)] = []
  /// The block sync in progress: up to which proven height and hash (with its commit proof, nil when final).
  var sync: (height: UInt64, hash: Data, proof: CommitCertificate?, requestedAt: UInt64)? {
    didSet { if sync?.height != oldValue?.height || sync?.hash != oldValue?.hash { syncedSoFar = [] } }
  }
  /// Synced blocks checked so far, waiting for the rest of the chain up to the proven tip.
  var syncedSoFar: [(block: TBlock, header: TBlockHeader, hash: Data, decision: [Bool], rejected: [Bool])] =
    []
  var nextValidationID: UInt64 = 1
  /// When this replica first saw its epoch closing.
  var closingSince: UInt64?
  /// When the head last moved (or the replica started).
  var lastCommitAt: UInt64 = 0
  /// The NewView this validator announced as leader of the current view (re-sent to silent members).
  var announced: NewView?
  /// Vote bodies seen per (voter, view, height), to prove vote equivocation.
  var seenVotes: [VoteKey: Vote] = [:]
  /// Signed acks received, by the decision they acknowledge.
  var acks: [AckSlot: [Address: Vote]] = [:]
  /// The proof that the committed head committed (nil at the epoch's start or when final by an RBlock).
  var headProof: CommitCertificate?
  /// A commit of the accepted decision waiting for the RBlocks its block credits (the proof it came with,
  /// nil when final): a leader that adopted a decision after a partition may not hold them yet.
  var deferredCommit: (height: UInt64, blockHash: Data, proof: CommitCertificate?)?

  struct AckSlot: Hashable, Sendable {
    let view: UInt64
    let height: UInt64
    let blockHash: Data
    let decision: Data
  }

  struct VoteKey: Hashable, Sendable {
    let voter: Address
    let view: UInt64
    let height: UInt64
  }

  init(context: TChainContext, head: ChainHead, hard: TChainHardState?, now: UInt64) {
    self.context = context
    self.head = head
    if let hard, hard.epoch == context.epoch, hard.shard == context.shard {
      var restored = hard
      restored.prune(committed: head.height)
      self.hard = restored
    } else {
      self.hard = TChainHardState(epoch: context.epoch, shard: context.shard)
    }
    viewEnteredAt = now
    electionDeadline = now + context.params.electionTimeoutMs
    restoreVolatileState()
  }

  /// Rebuilds what the hard state implies after a restart: held proposals and statements, and, as
  /// leader, the round of an issued decision or proposal.
  private mutating func restoreVolatileState() {
    if let slot = hard.proofs.first(where: { $0.height == head.height && $0.blockHash == head.hash }) {
      headProof = try? CommitCertificate(serializedBytes: slot.proof)
    }
    for slot in hard.votes {
      if let proposal = try? Proposal(serializedBytes: slot.proposal) { holdUnchecked(proposal) }
    }
    if let accepted = hard.accepted, let commit = try? Commit(serializedBytes: accepted.commit),
      let proposal = commit.proposal
    {
      holdUnchecked(proposal)
    }
    for slot in hard.proposed where slot.view == hard.view {
      if let proposal = try? Proposal(serializedBytes: slot.proposal) { holdUnchecked(proposal) }
    }
  }

  private mutating func holdUnchecked(_ proposal: Proposal) {
    guard let header = try? TBlockHeader(serializedBytes: proposal.header) else { return }
    let hash = SHA256.hash(proposal.header).data
    let entries = proposal.entries.map {
      EntryPrecheck.check($0, shard: context.shard, params: context.params, proof: context.proof)
    }
    held[hash] = HeldBlock(proposal: proposal, header: header, hash: hash, entries: entries)
  }

  var view: UInt64 { hard.view }

  /// The height being decided.
  var nextHeight: UInt64 { head.height + 1 }

  /// Whether this replica leads its current view.
  var isLeader: Bool { context.leader(of: view) == context.me }

  /// Whether the head's state root is known (the ledger applied it).
  var isApplied: Bool { head.stateRoot != nil }

  /// Whether this epoch's chain is closed here: the committed head is the empty block that closes the
  /// epoch, after which no block of this epoch is voted, accepted or proposed (§5).
  var isClosed: Bool { head.closesEpoch && head.epochAndView?.epoch == context.epoch }

  /// Whether the replica may take part at its next height.
  func mayParticipate(at height: UInt64) -> Bool { !isClosed }

  /// Persists the hard state.
  func persist(_ out: inout Ready) {
    out.persist.append(PersistRecord(key: TChainHardState.recordKey, value: RecordCoding.encode(hard)))
  }

  /// Sends to every other member and remembers when the shard last heard from this validator.
  mutating func broadcast(_ body: ConsensusMessage.Body, now: UInt64, _ out: inout Ready) {
    out.send(body, to: context.others)
    lastSentToShard = now
  }

  func ignore(_ out: inout Ready, _ reason: @autoclosure () -> String) {
    out.ignore(
      "tchain \(context.shard)/\(context.epoch) at \(context.me): \(reason())",
      diagnostics: context.diagnostics)
  }

  /// Buffers an early message (bounded: the oldest go first).
  mutating func buffer(_ body: ConsensusMessage.Body, from: Address) {
    buffered.append((body, from))
    if buffered.count > 64 * context.m { buffered.removeFirst(buffered.count - 64 * context.m) }
  }
}

/// A Commit waiting for the equivocation guard before it is accepted (§3.4, §3.5).
struct PendingAcceptance: Sendable {
  let commit: Commit
  let view: UInt64
  let height: UInt64
  let blockHash: Data
  let decision: [Bool]
  let leader: Address
  let until: UInt64
}

/// The leader's state for the height it is deciding in its view.
struct LeaderRound: Sendable {
  let view: UInt64
  let height: UInt64
  let blockHash: Data
  let entryCount: Int
  var votes: [Address: CheckedVote] = [:]
  var majorityAt: UInt64?
  /// The decision issued, once it is.
  var commit: Commit?
  var acks: Set<Address> = []
  /// When the proposal or decision was last re-sent to the members that did not answer.
  var lastResentAt: UInt64 = 0
}

/// A view change whose signature and embedded decision checked out.
struct CheckedViewChange: Sendable {
  let sender: Address
  let body: ViewChangeBody
  let message: ViewChange
  /// The accepted decision it reports at `committed + 1`, checked.
  let accepted: ReportedDecision?
}

/// A decision (block and certificate) reported in a view change.
struct ReportedDecision: Sendable {
  let view: UInt64
  let height: UInt64
  let blockHash: Data
  let decision: [Bool]
  /// The Commit with its proposal.
  let commit: Commit
}

/// What a NewView establishes for its view (§3.7): the highest committed height among its view
/// changes, and whether the next height must re-issue an adopted decision or is open.
struct ViewStart: Sendable {
  let view: UInt64
  let committedHeight: UInt64
  let committedHash: Data
  /// The proof of that commit, if it is above the anchor.
  let committedProof: CommitCertificate?
  /// The highest committed height's reporters (to sync from).
  let committedBy: [Address]
  /// The decision to re-issue at `committedHeight + 1`, if any.
  let adopted: ReportedDecision?

  /// The height the adoption rule is about.
  var adoptionHeight: UInt64 { committedHeight + 1 }
}

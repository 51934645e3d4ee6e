import ChainCrypto
import Foundation
import Wire

/// What a validator is configured with: the genesis, its own key, and the signature scheme.
public struct ValidatorConfiguration: Sendable {
  /// The network's genesis.
  public let genesis: Genesis
  /// This validator's key.
  public let signer: any MessageSigner
  /// How signatures are checked: ``Ed25519SignatureScheme`` in a node, ``SimulatedSignatureScheme`` in
  /// large simulations.
  public let scheme: any SignatureScheme
  /// Emit `Notification.ignored` for every message or result ignored, with the reason.
  public let diagnostics: Bool
  /// Deliberate protocol breakage, for mutation tests only.
  public let mutations: ProtocolMutations

  public init(
    genesis: Genesis, signer: any MessageSigner, scheme: any SignatureScheme, diagnostics: Bool = false,
    mutations: ProtocolMutations = .none
  ) {
    self.genesis = genesis
    self.signer = signer
    self.scheme = scheme
    self.diagnostics = diagnostics
    self.mutations = mutations
  }
}

/// What a validator restarts from: its persisted records, what the ledger holds, and the committed
/// blocks of that shard (with their application results) above the coverage of the newest RBlock among
/// the records (``Validator/restartRequirement(records:)`` tells which; more are ignored).
public struct RestartState: Sendable {
  public var records: [String: Data]
  public var ledgerHead: LedgerHead
  public var recentBlocks: [AppliedBlock]

  public init(records: [String: Data], ledgerHead: LedgerHead, recentBlocks: [AppliedBlock] = []) {
    self.records = records
    self.ledgerHead = ledgerHead
    self.recentBlocks = recentBlocks
  }
}

/// One validator's consensus (docs/protocol.md): the TChain replica of its current shard, the RChain,
/// reputation, sharding and leader order, cross-shard relay and epoch handover, composed into one
/// deterministic state machine in the style of etcd-io/raft. The driver (node or simulator) calls
/// ``step(_:now:)`` with each input and carries out the returned ``Ready`` in order; the validator never
/// touches a socket, a clock or a disk.
public struct Validator: Sendable {
  let configuration: ValidatorConfiguration
  let params: ConsensusParameters
  let validators: ValidatorSet
  let me: Address

  var chain: ChainKnowledge
  var rchain: RChainState
  var tchain: TChainReplica?
  var env = TChainEnvironment()
  var history: ShardHistory?
  var relay = RelayBook()
  /// The shard this validator serves in the epoch of the next RBlock.
  var shard: UInt32
  /// A state install in progress (the validator moved to `shard`).
  var installing: (height: UInt64, hash: Data, stateRoot: Data, requestedAt: UInt64)?
  /// Committed blocks handed to the ledger, by height, until their application result arrives.
  var applying: [UInt64: ApplyRequest] = [:]
  /// Recently committed RBlocks, to answer peers that lag.
  var recentRBlocks: [UInt64: RBlock] = [:]
  /// Messages of an epoch this validator has not reached yet.
  var early: [(message: ConsensusMessage, from: Address)] = []
  var lastForwardAt: UInt64 = 0
  var lastForwardLeader: Address?
  var lastRetryAt: UInt64 = 0
  var lastReportAt: UInt64 = 0
  var rblockSyncRequestedAt: UInt64?

  /// The address of this validator.
  public var address: Address { me }

  /// The epoch of the next RBlock (this validator's current epoch).
  public var epoch: UInt64 { chain.nextEpoch }

  /// The shard this validator serves in its current epoch.
  public var currentShard: UInt32 { shard }

  /// The height of the highest committed RBlock.
  public var rblockHeight: UInt64 { chain.height }

  /// The committed height of this validator's shard.
  public var committedHeight: UInt64 { tchain?.head.height ?? installing?.height ?? 0 }

  /// Every validator's reputation after the highest committed RBlock, in ppm.
  public var reputation: [Address: UInt32] { chain.reputation }

  /// The shard assignment of the current epoch.
  public var assignment: EpochAssignment { chain.currentAssignment }

  /// The TChain view of this validator's shard.
  public var view: UInt64 { tchain?.view ?? 0 }

  /// Validators known to have equivocated in the current epoch.
  public var knownEquivocators: Set<Address> { env.equivocators }

  /// The parameters.
  public var parameters: ConsensusParameters { params }

  /// A validator starting fresh (`ledger` at height 0) or restarting (`restart`).
  public init(configuration: ValidatorConfiguration, restart: RestartState, now: UInt64) {
    self.configuration = configuration
    let params = ConsensusParameters(genesis: configuration.genesis)
    let validators = ValidatorSet(genesis: configuration.genesis, initial: params.reputation.initial)
    let scheme = configuration.scheme
    self.params = params
    self.validators = validators
    me = configuration.signer.address
    let genesisSeed = ShardAssigner.genesisSeed(genesisBytes: (try? configuration.genesis.serializedData()) ?? Data())
    var chain = ChainKnowledge(params: params, validators: validators, genesisSeed: genesisSeed)
    // Committed RBlocks, in height order.
    var height: UInt64 = 1
    var recent: [UInt64: RBlock] = [:]
    while let data = restart.records[Validator.rblockRecordKey(height)], let block = try? RBlock(serializedBytes: data),
      let header = try? RBlockHeader(serializedBytes: block.header)
    {
      let offenders = header.evidence.compactMap {
        try? EvidenceCheck.check(
          $0, chainID: params.chainID, validators: validators, scheme: scheme, epochLength: params.epochLength
        ).get().offender
      }
      chain.commit(header, hash: SHA256.hash(block.header).data, evidenceOffenders: offenders)
      recent[height] = block
      height += 1
    }
    self.chain = chain
    recentRBlocks = recent.filter { $0.key + 16 > chain.height }
    rchain = RChainState.fresh(height: chain.nextHeight, now: now)
    if let data = restart.records[RChainHardState.recordKey],
      let hard = RecordCoding.decode(RChainHardState.self, from: data), hard.height == chain.nextHeight
    {
      rchain.hard = hard
      // Others may have moved on meanwhile: a later view waits for them (re-sending the view change).
      rchain.viewStarted = hard.view == 0
    }
    for (key, data) in restart.records.sorted(by: { $0.key < $1.key }) where key.hasPrefix("relay/") {
      if let receipt = try? Receipt(serializedBytes: data) { relay.restore(receipt) }
    }
    shard = chain.currentAssignment.shard(of: me) ?? 0
    env.rblockHeight = chain.height
    env.equivocators = chain.flaggedForNext
    env.final = (chain.coverage[Int(shard)].toHeight, chain.coverage[Int(shard)].tblockHash)
    rchain.reports = ReportBook(base: chain.height)
    let coverage = chain.coverage[Int(shard)]
    if restart.ledgerHead.shard == shard {
      let head = ChainHead(ledger: restart.ledgerHead)
      var history = ShardHistory(shard: shard, anchor: coverage, anchorEpochView: nil)
      for applied in restart.recentBlocks.sorted(by: { $0.result.height < $1.result.height }) {
        guard let header = try? TBlockHeader(serializedBytes: applied.block.header), header.height <= head.height,
          let members = chain.members(shard, header.epoch)
        else { continue }
        if header.height == coverage.toHeight {
          history = ShardHistory(
            shard: shard, anchor: coverage, anchorEpochView: ChainHead.EpochView(epoch: header.epoch, view: header.view))
        }
        history.append(
          block: applied.block, header: header, hash: SHA256.hash(applied.block.header).data, result: applied.result,
          members: members)
      }
      self.history = history
      let hard = restart.records[TChainHardState.recordKey].flatMap { RecordCoding.decode(TChainHardState.self, from: $0) }
      tchain = TChainReplica(context: makeContext(), head: head, hard: hard, now: now)
    } else {
      installing = nil
    }
  }

  /// Which committed blocks a restart needs (``RestartState/recentBlocks``): those of the returned shard
  /// above the returned height.
  public static func restartRequirement(
    records: [String: Data], genesis: Genesis, scheme: any SignatureScheme, address: Address
  ) -> (shard: UInt32, above: UInt64) {
    let params = ConsensusParameters(genesis: genesis)
    let validators = ValidatorSet(genesis: genesis, initial: params.reputation.initial)
    var chain = ChainKnowledge(
      params: params, validators: validators,
      genesisSeed: ShardAssigner.genesisSeed(genesisBytes: (try? genesis.serializedData()) ?? Data()))
    var height: UInt64 = 1
    while let data = records[rblockRecordKey(height)], let block = try? RBlock(serializedBytes: data),
      let header = try? RBlockHeader(serializedBytes: block.header)
    {
      chain.commit(header, hash: SHA256.hash(block.header).data, evidenceOffenders: [])
      height += 1
    }
    let shard = chain.currentAssignment.shard(of: address) ?? 0
    return (shard, chain.coverage[Int(shard)].toHeight)
  }

  static func rblockRecordKey(_ height: UInt64) -> String { "rblock/\(height)" }

  /// The TChain context of this validator's shard in the current epoch.
  func makeContext() -> TChainContext {
    TChainContext(
      params: params, shard: shard, epoch: chain.nextEpoch, members: chain.currentAssignment.members(of: shard),
      signer: configuration.signer, proof: chain.proofContext(scheme: configuration.scheme),
      diagnostics: configuration.diagnostics, mutations: configuration.mutations,
      anchor: (chain.epochStart[Int(shard)].toHeight, chain.epochStart[Int(shard)].tblockHash))
  }

  /// Takes one input at time `now` and returns what the driver must do.
  public mutating func step(_ input: Input, now: UInt64) -> Ready {
    var out = Ready()
    switch input {
    case .tick:
      tick(now: now, &out)
    case .message(let message, let sender):
      receive(message, from: sender, now: now, &out)
    case .submit(let transactions):
      submit(transactions, now: now, &out)
    case .validated(let result):
      tchain?.validated(result, now: now, env: &env, &out)
    case .applied(let result):
      applied(result, now: now, &out)
    case .tblocksSynced(let syncedShard, let blocks):
      if syncedShard == shard { tchain?.synced(blocks, now: now, env: &env, &out) }
    case .rblocksSynced(let blocks):
      rblocksSynced(blocks, now: now, &out)
    case .stateInstalled(let head):
      stateInstalled(head, now: now, &out)
    }
    if tchain != nil { forwardPending(now: now, &out) }
    afterStep(now: now, &out)
    return out
  }

  /// Called once after a restart, before any input: resumes what this validator was doing.
  public mutating func resume(now: UInt64) -> Ready {
    var out = Ready()
    if tchain == nil { requestStateInstall(now: now, &out) }
    tchain?.resume(now: now, env: &env, &out)
    afterStep(now: now, &out)
    return out
  }

  /// Work common to every step: evidence found, committed blocks handed out, timers.
  mutating func afterStep(now: UInt64, _ out: inout Ready) {
    if env.rblocksNeeded > chain.height {
      requestRBlocks(from: chain.currentAssignment.members(of: shard).filter { $0 != me }, now: now, &out)
    }
    env.rblocksNeeded = 0
    for request in out.applies where applying[request.header.height] == nil {
      applying[request.header.height] = request
    }
    if !env.evidence.isEmpty {
      let found = env.evidence
      env.evidence = []
      for evidence in found { learnEvidence(evidence, now: now, forward: true, &out) }
    }
    scheduleTimers(now: now, &out)
  }
}

extension RChainState {
  /// The state for deciding `height`, started at `now`.
  static func fresh(height: UInt64, now: UInt64) -> RChainState {
    RChainState(
      hard: RChainHardState(height: height), heightStartedAt: now, viewEnteredAt: now, reports: ReportBook(base: height - 1))
  }
}

/// The RChain part of a validator's state for the height being decided.
struct RChainState: Sendable {
  var hard: RChainHardState
  /// When the previous RBlock committed here (or the validator started).
  var heightStartedAt: UInt64
  /// When the current view started here: entered with view changes from more than two thirds at hand.
  var viewEnteredAt: UInt64
  /// Whether more than two thirds are known to be in the current view (view 0 always is). Only then does
  /// its timeout run: a validator alone in a later view waits there for the others instead of moving
  /// further ahead at the pace they move, which would keep it out of every view they could decide in.
  var viewStarted = true
  /// When this validator last sent its view change for the current view (re-sent while not started).
  var viewChangeSentAt: UInt64 = 0
  /// This validator's round as proposer of the current view.
  var round: RChainRound?
  /// A proposal waiting for this validator's shard to catch up before it can be checked.
  var pending: (proposal: RBlockProposal, from: Address)?
  var viewChanges: [UInt64: [Address: CheckedRViewChange]] = [:]
  var reports: ReportBook
  /// Evidence not yet recorded in an RBlock, by offender.
  var evidence: [Address: EquivocationEvidence] = [:]
  /// The first fresh header signed by the proposer of each view at this height (to prove equivocation).
  var firstProposals: [UInt64: (header: Data, signature: Signature)] = [:]

  init(hard: RChainHardState, heightStartedAt: UInt64, viewEnteredAt: UInt64, reports: ReportBook) {
    self.hard = hard
    self.heightStartedAt = heightStartedAt
    self.viewEnteredAt = viewEnteredAt
    self.reports = reports
  }
}

extension Validator {
  /// The members of `shard` in `epoch` (leader order), if this validator knows that epoch.
  public func members(of shard: UInt32, epoch: UInt64) -> [Address]? { chain.members(shard, epoch) }

  /// The RChain proposer order of the next RBlock.
  public var rchainProposerOrder: [Address] { chain.proposerOrder }
}

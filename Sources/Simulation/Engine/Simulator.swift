import ChainCrypto
import Consensus
import Foundation
import Wire

/// A deterministic discrete-event simulation of a network of validators running the real `Consensus`
/// state machines over a simulated network, with a toy application as ledger, Byzantine behaviours,
/// crashes and restarts from persisted records, and monitors of safety, liveness, exactly-once relay
/// and reputation. A run is a pure function of its scenario and seed.
public final class Simulator {
  enum Event {
    case deliver(to: Int, from: Int, message: ConsensusMessage)
    case input(node: Int, incarnation: Int, input: Input)
    case stateArrived(node: Int, incarnation: Int, shard: UInt32, ledger: ShardLedger)
    case tick(node: Int, incarnation: Int)
    case crash(node: Int)
    case restart(node: Int)
    case submitLoad
    case resubmit(txID: Data)
    case contentUploaded(txID: Data)
    case adversary(node: Int)
  }

  public let scenario: Scenario
  public let seed: UInt64
  let genesis: Genesis
  let scheme: any SignatureScheme
  let rules: ToyRules
  var nodes: [SimNode] = []
  var indexOf: [Address: Int] = [:]
  var queue = EventQueue<Event>()
  public private(set) var now: UInt64 = 0
  var network: SeededRandom
  var load: SeededRandom
  var monitor = SafetyMonitor()
  var workload: WorkloadState
  var events = 0
  /// Receives a line for every notification (and ignored message, with diagnostics) when set.
  public var trace: ((String) -> Void)?

  public init(scenario: Scenario, seed: UInt64) {
    self.scenario = scenario
    self.seed = seed
    let root = SeededRandom(seed: seed)
    network = root.fork(1)
    load = root.fork(2)
    // Keys.
    var signers: [any MessageSigner] = []
    var simulated: [SimulatedSigner] = []
    for index in 0..<scenario.validators {
      if scenario.realSignatures {
        let secret = SHA256.hash([
          Data("sehc/sim/ed25519".utf8), withUnsafeBytes(of: seed.bigEndian) { Data($0) },
          withUnsafeBytes(of: UInt64(index).bigEndian) { Data($0) },
        ]).data
        signers.append(Ed25519MessageSigner(key: try! Ed25519.PrivateKey(rawRepresentation: secret)))
      } else {
        let signer = SimulatedSigner(seed: seed, index: index)
        simulated.append(signer)
        signers.append(signer)
      }
    }
    scheme =
      scenario.realSignatures
      ? Ed25519SignatureScheme(knownKeys: signers.map(\.publicKey))
      : SimulatedSignatureScheme(signers: simulated)
    var params = ConsensusParams()
    params.shardCount = scenario.shards
    params.epochLength = scenario.epochLength
    params.rblockIntervalMs = scenario.rblockIntervalMs
    params.electionTimeoutMs = scenario.electionTimeoutMs
    params.voteWindowMs = scenario.voteWindowMs
    params.batchTimeoutMs = scenario.batchTimeoutMs
    params.maxBlockEntries = scenario.maxBlockEntries
    genesis = Genesis(
      chainID: "sehc-sim", genesisTimeMs: 0, params: params,
      validators: signers.enumerated().map {
        GenesisValidator(name: "node-\($0.offset)", publicKey: $0.element.publicKey)
      })
    workload = WorkloadState(scenario: scenario, seed: seed)
    rules = ToyRules(shardCount: scenario.shards, chainID: genesis.chainID, closed: workload.closed)
    for (index, signer) in signers.enumerated() {
      let behaviour = scenario.behaviours[index] ?? .honest
      let adversary =
        behaviour.isByzantine
        ? Adversary(
          behaviour: behaviour,
          signer: signer as? SimulatedSigner ?? SimulatedSigner(seed: seed, index: index),
          chainID: genesis.chainID, seed: seed &+ UInt64(index)) : nil
      let shard = Validator.restartRequirement(
        records: [:], genesis: genesis, scheme: scheme, address: signer.address
      ).shard
      let node = SimNode(
        index: index, signer: signer, behaviour: behaviour, adversary: adversary,
        ledger: NodeLedger(shard: shard, genesis: workload.genesisState(shard: shard, rules: rules)))
      nodes.append(node)
      indexOf[node.address] = index
    }
    contentHeldAt = Array(repeating: [:], count: nodes.count)
  }

  /// The signature scheme in use ("ed25519" or "simulated").
  public var signatureScheme: String { scheme.name }

  /// Runs the scenario to its end and checks everything.
  public func run() -> RunReport {
    for node in nodes {
      node.validator = Validator(
        configuration: ValidatorConfiguration(
          genesis: genesis, signer: node.signer, scheme: scheme, diagnostics: trace != nil,
          mutations: scenario.mutations),
        restart: RestartState(records: [:], ledgerHead: node.ledger.head), now: 0)
      schedule(.tick(node: node.index, incarnation: 0), at: 0)
      if node.adversary != nil { schedule(.adversary(node: node.index), at: 250) }
    }
    for crash in scenario.crashes {
      schedule(.crash(node: crash.node), at: crash.startMs)
      schedule(.restart(node: crash.node), at: crash.endMs)
    }
    checkHonestMajority(epoch: 0)
    monitor.tchainInModel = monitor.tchainInModel && tchainAssumptionsHold
    schedule(.submitLoad, at: 100)
    let end = scenario.endMs
    while let (time, event) = queue.pop(), time <= end {
      now = time
      events += 1
      handle(event)
      afterEvent?(self)
    }
    now = end
    return report()
  }

  /// TChain shard-commit safety relies on an honest majority per shard and, with equivocating leaders,
  /// on messages arriving within Δ (docs/protocol.md §3.5).
  var tchainAssumptionsHold: Bool {
    let equivocators = scenario.behaviours.values.contains { $0.equivocate }
    return !equivocators
      || (scenario.network.isSynchronous(boundMs: scenario.voteWindowMs) && scenario.partitions.isEmpty)
  }

  func schedule(_ event: Event, at time: UInt64) { queue.push(event, at: max(time, now)) }

  func handle(_ event: Event) {
    switch event {
    case .deliver(let to, let from, let message):
      let node = nodes[to]
      guard node.up else { return }
      if node.adversary != nil {
        var extra: [OutboundMessage] = []
        let passes = node.adversary!.incoming(message, from: nodes[from].address, extra: &extra)
        for outbound in extra { send(from: to, outbound) }
        guard passes else { return }
      }
      step(to, .message(message, from: nodes[from].address))
    case .input(let index, let incarnation, let input):
      guard nodes[index].up, nodes[index].incarnation == incarnation else { return }
      step(index, input)
    case .stateArrived(let index, let incarnation, let shard, let ledger):
      let node = nodes[index]
      guard node.up, node.incarnation == incarnation, let wanted = node.wantedState, wanted.shard == shard,
        wanted.height == ledger.height
      else { return }
      node.wantedState = nil
      node.ledger.shards[shard] = ledger
      node.ledger.current = shard
      step(index, .stateInstalled(ledger.head))
    case .tick(let index, let incarnation):
      let node = nodes[index]
      guard node.up, node.incarnation == incarnation, node.nextTick == now else { return }
      node.nextTick = nil
      step(index, .tick)
    case .crash(let index):
      trace?("\(now) n\(index) crashed")
      let node = nodes[index]
      node.up = false
      node.validator = nil
      node.incarnation += 1
      node.nextTick = nil
    case .restart(let index):
      restart(index)
    case .submitLoad:
      submitLoad()
    case .contentUploaded(let txID):
      contentUploaded(txID)
    case .resubmit(let txID):
      resubmit(txID)
    case .adversary(let index):
      let node = nodes[index]
      if node.up, node.adversary != nil {
        for outbound in node.adversary!.act(validators: nodes.map(\.address)) { send(from: index, outbound) }
      }
      if now + 300 < scenario.activeMs { schedule(.adversary(node: index), at: now + 300) }
    }
  }

  /// Restarts a crashed validator from its persisted records and its ledger.
  func restart(_ index: Int) {
    let node = nodes[index]
    node.up = true
    node.incarnation += 1
    let requirement = Validator.restartRequirement(
      records: node.disk, genesis: genesis, scheme: scheme, address: node.address)
    let recent =
      node.ledger.current == requirement.shard ? node.ledger.appliedBlocks(from: requirement.above) : []
    node.validator = Validator(
      configuration: ValidatorConfiguration(
        genesis: genesis, signer: node.signer, scheme: scheme, diagnostics: trace != nil,
        mutations: scenario.mutations),
      restart: RestartState(records: node.disk, ledgerHead: node.ledger.head, recentBlocks: recent), now: now)
    trace?(
      "\(now) n\(index) restarted at shard \(node.ledger.current) height \(node.ledger.currentLedger.height)")
    let ready = node.validator!.resume(now: now)
    process(index, ready)
  }

  func step(_ index: Int, _ input: Input) {
    guard let ready = nodes[index].validator?.step(input, now: now) else { return }
    process(index, ready)
  }

  /// Carries out a Ready in the order of the driver contract (docs/protocol.md §8).
  func process(_ index: Int, _ ready: Ready) {
    let node = nodes[index]
    for record in ready.persist {
      node.disk[record.key] = record.value
    }
    for message in ready.messages {
      let before = node.adversary?.variantsSent ?? 0
      let outgoing =
        node.adversary != nil
        ? node.adversary!.outgoing(message, equivocating: now < scenario.activeMs) : [message]
      if let trace, (node.adversary?.variantsSent ?? 0) > before {
        let header = node.adversary?.variant?.header
        trace(
          "\(now) n\(index) equivocates: a second proposal for view \(header?.view ?? 0) height \(header?.height ?? 0) to \(outgoing.last?.to.count ?? 0) of \(message.to.count) members"
        )
      }
      for outbound in outgoing { send(from: index, outbound) }
    }
    for request in ready.validations {
      guard node.ledger.current == request.shard else { continue }
      // Content this validator lacks is fetched before it votes, within the wait of `contentWaitMs`.
      var ready = now + 1
      let bits = node.ledger.currentLedger.validate(
        request, rules: rules, rblocks: node.ledger.rblocks,
        holdsContent: { [unowned self] id in
          guard let arrival = self.contentArrival(of: id, at: index), arrival <= self.now + self.contentWaitMs
          else { return false }
          ready = max(ready, arrival)
          return true
        })
      schedule(
        .input(
          node: index, incarnation: node.incarnation,
          input: .validated(ValidationResult(id: request.id, valid: bits))),
        at: ready)
    }
    for block in ready.rblocks {
      guard let header = try? RBlockHeader(serializedBytes: block.header) else { continue }
      node.ledger.rblocks[header.height] = block
      if node.isHonest { monitor.rblockCovers(header) }
    }
    for request in ready.applies {
      guard node.ledger.current == request.shard, var ledger = node.ledger.shards[request.shard],
        request.header.height == ledger.height + 1
      else {
        if node.isHonest {
          monitor.violation(
            "node \(index) was asked to apply shard \(request.shard) height \(request.header.height) out of order"
          )
        }
        continue
      }
      let credited = ledger.state.rewardsCreditedUpTo
      if request.header.rblockHeight > credited,
        let missing = (credited + 1...request.header.rblockHeight).first(where: {
          node.ledger.rblocks[$0] == nil
        })
      {
        monitor.violation(
          "node \(index) applies shard \(request.shard) height \(request.header.height) crediting RBlock \(missing) it does not hold"
        )
      }
      let result = ledger.apply(request, rules: rules, rblocks: node.ledger.rblocks)
      if let trace {
        for (i, entry) in request.entries.enumerated() {
          if case .receipt(let r)? = entry.entry?.entry {
            trace(
              "\(now) n\(index) shard \(request.shard) h\(request.header.height) receipt \(r.kind) tx \(r.txID.hexShort) from \(r.sourceShard) accepted \(request.accepted[i]) majority-rejected \(request.rejectedByMajority[i]) proof \(entry.invalidReason ?? "ok")"
            )
          }
        }
        for e in result.emitted {
          trace("\(now) n\(index) emits \(e.kind) tx \(e.txID.hexShort) to \(e.targetShard)")
        }
      }
      node.ledger.shards[request.shard] = ledger
      if node.isHonest {
        monitor.tblockCommitted(
          node: index, request: request,
          members: node.validator?.members(of: request.shard, epoch: request.header.epoch),
          scheme: scheme, chainID: genesis.chainID)
        monitor.applied(node: index, shard: request.shard, height: result.height, stateRoot: result.stateRoot)
        workload.observe(request, at: now)
      }
      schedule(.input(node: index, incarnation: node.incarnation, input: .applied(result)), at: now + 1)
    }
    for sync in ready.syncs { resolve(sync, for: index) }
    if let trace {
      for notification in ready.notifications { trace("\(now) n\(index) \(notification)") }
    }
    for notification in ready.notifications where node.isHonest {
      switch notification {
      case .rblockCommitted(let height, let hash):
        monitor.rblockCommitted(node: index, height: height, hash: hash)
        workload.rblockHeight = max(workload.rblockHeight, height)
      case .tblocksFinal(let shard, let upTo):
        workload.finalized(shard: shard, upTo: upTo)
      case .epochStarted(let epoch, _):
        checkHonestMajority(epoch: epoch)
      default:
        break
      }
    }
    if let next = ready.nextTickAt, next <= scenario.endMs {
      let at = max(next, now + 1)
      if node.nextTick == nil || at < node.nextTick! {
        node.nextTick = at
        schedule(.tick(node: index, incarnation: node.incarnation), at: at)
      }
    }
  }

  /// Whether validators `a` and `b` can talk now.
  func connected(_ a: Int, _ b: Int) -> Bool {
    scenario.partitions.allSatisfy { $0.connects(a, b, at: now) }
  }

  func latency() -> UInt64 {
    let model = scenario.network
    if model.tailProbability > 0 && network.chance(model.tailProbability) {
      return network.inRange(model.maxLatencyMs...max(model.maxLatencyMs, model.tailLatencyMs))
    }
    return network.inRange(model.minLatencyMs...model.maxLatencyMs)
  }

  /// Sends a message through the simulated network: partitions, loss, latency, duplication.
  func send(from index: Int, _ outbound: OutboundMessage) {
    var message = outbound.message
    if scenario.network.roundTripEncoding {
      guard let bytes = try? message.serializedData(),
        let decoded = try? ConsensusMessage(serializedBytes: bytes)
      else {
        monitor.violation(
          "a message does not survive its wire encoding: \(message.body.map { "\($0)".prefix(60) } ?? "")")
        return
      }
      message = decoded
    }
    let bits =
      scenario.network.bandwidthBitsPerSecond > 0 ? 8 * ((try? message.serializedData().count) ?? 0) : 0
    for receiver in outbound.to {
      guard let to = indexOf[receiver], to != index, connected(index, to) else { continue }
      let departs = bits > 0 ? departure(from: index, to: to, bits: bits) : now
      if network.chance(scenario.network.loss) { continue }
      schedule(.deliver(to: to, from: index, message: message), at: departs + latency())
      if network.chance(scenario.network.duplication) {
        schedule(.deliver(to: to, from: index, message: message), at: departs + latency())
      }
    }
  }

  /// Fetches what a sync asks for from the first reachable peer that has it.
  func resolve(_ sync: SyncRequest, for index: Int) {
    let node = nodes[index]
    func reachable(_ peer: Address) -> SimNode? {
      guard let p = indexOf[peer], p != index, nodes[p].up, connected(index, p) else { return nil }
      return nodes[p]
    }
    switch sync {
    case .tblocks(let shard, let from, let to, let peers):
      for peer in peers {
        guard let source = reachable(peer), let ledger = source.ledger.shards[shard], ledger.height >= from
        else { continue }
        let last = min(to == 0 ? ledger.height : to, ledger.height, from + 63)
        let blocks = (from...last).compactMap { ledger.blocks[$0] }
        schedule(
          .input(
            node: index, incarnation: node.incarnation, input: .tblocksSynced(shard: shard, blocks: blocks)),
          at: now + 2 * latency())
        return
      }
    case .rblocks(let from, _, let peers):
      for peer in peers {
        guard let source = reachable(peer), source.ledger.rblocks[from] != nil else { continue }
        var blocks: [RBlock] = []
        var height = from
        while let block = source.ledger.rblocks[height], blocks.count < 64 {
          blocks.append(block)
          height += 1
        }
        schedule(
          .input(node: index, incarnation: node.incarnation, input: .rblocksSynced(blocks)),
          at: now + 2 * latency())
        return
      }
    case .state(let shard, let height, let hash, _, let peers):
      node.wantedState = (shard, height)
      if height == 0 {
        schedule(
          .stateArrived(
            node: index, incarnation: node.incarnation, shard: shard,
            ledger: ShardLedger(shard: shard, genesis: workload.genesisState(shard: shard, rules: rules))),
          at: now + 1)
        return
      }
      for peer in peers {
        guard let source = reachable(peer), let ledger = source.ledger.shards[shard],
          let state = ledger.snapshot(at: height), let block = ledger.blocks[height],
          SHA256.hash(block.header).data == hash
        else { continue }
        var copy = ShardLedger(shard: shard, genesis: workload.genesisState(shard: shard, rules: rules))
        copy.install(state: state, height: height, blocks: ledger.blocks, results: ledger.results)
        schedule(
          .stateArrived(node: index, incarnation: node.incarnation, shard: shard, ledger: copy),
          at: now + 2 * latency())
        return
      }
    }
  }

  /// Records whether every shard of `epoch` has an honest majority (else TChain guarantees do not apply).
  func checkHonestMajority(epoch: UInt64) {
    guard let reference = nodes.first(where: { $0.isHonest && $0.up && $0.validator?.epoch == epoch }),
      let assignment = reference.validator?.assignment
    else { return }
    for members in assignment.shards {
      let byzantine = members.filter { indexOf[$0].map { !nodes[$0].isHonest } ?? false }.count
      if byzantine > members.count - Quorum.majority(members.count) {
        honestMajorityHeld = false
        monitor.tchainInModel = false
      }
    }
  }

  var honestMajorityHeld = true
  /// The validator each transaction was last submitted to.
  var lastSubmittedTo: [Data: Int] = [:]
  /// When each validator holds the content of each record or image (by transaction id) in its blob store.
  var contentHeldAt: [[Data: UInt64]] = []
  /// When each directed link (from · validators + to) is free again, in microseconds (with a bandwidth).
  var linkFreeAtUs: [Int: UInt64] = [:]
  /// The same for content (Simulator+Bandwidth.swift).
  var bulkLinkFreeAtUs: [Int: UInt64] = [:]
  /// Called after every event when set (`sehc simulate` samples a run through it, Experiment/).
  var afterEvent: ((Simulator) -> Void)?
}

extension Simulator {
  /// The shard of every validator in epoch 0 of `scenario` with `seed` (for choosing adversaries).
  public static func initialShards(scenario: Scenario, seed: UInt64) -> [UInt32] {
    let simulator = Simulator(scenario: scenario, seed: seed)
    return simulator.nodes.map(\.ledger.current)
  }
}

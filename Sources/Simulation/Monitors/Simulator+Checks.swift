import ChainCrypto
import Consensus
import Foundation
import Wire

extension Simulator {
  /// The end-of-run checks: exactly-once accounting, liveness after the last fault, reputation.
  func report() -> RunReport {
    var violations = monitor.violations
    var failures: [String] = []
    var notes: [String] = []
    if !monitor.tchainForks.isEmpty {
      notes.append("outside the TChain fault model: \(monitor.tchainForks.first!)")
    }
    let honest = nodes.filter(\.isHonest)
    // The most advanced honest ledger of every shard.
    var reference: [UInt32: ShardLedger] = [:]
    for node in honest {
      for (shard, ledger) in node.ledger.shards where ledger.height >= (reference[shard]?.height ?? 0) {
        reference[shard] = ledger
      }
    }
    violations += accountingViolations(reference)
    // Liveness.
    let liveness = scenario.checkLiveness && honestMajorityHeld
    if scenario.checkLiveness && !honestMajorityHeld {
      notes.append("liveness not checked: a shard had no honest majority in some epoch")
    }
    var stats = RunReport.Stats()
    stats.events = events
    stats.submitted = workload.submitted.count
    stats.rblocks = monitor.rblocks.keys.max() ?? 0
    stats.epochs = stats.rblocks / UInt64(scenario.epochLength)
    stats.tblocks = monitor.tblocks.count
    var latencies: [UInt64] = []
    for id in workload.order {
      let submitted = workload.submitted[id]!
      guard let decided = workload.homeDecided[id] else {
        if liveness {
          failures.append(
            "\(submitted.kind) \(id.hexShort) submitted at \(submitted.time) ms was never decided")
        }
        continue
      }
      stats.decided += 1
      latencies.append(decided.time - submitted.time)
      if liveness, (workload.finalUpTo[submitted.home] ?? 0) < decided.height {
        failures.append(
          "\(submitted.kind) \(id.hexShort) decided at shard \(submitted.home) height \(decided.height) is not final"
        )
      }
      guard decided.accepted, let home = reference[submitted.home], home.state.home[id] != nil else {
        continue
      }
      stats.accepted += 1
      guard submitted.home != submitted.target else { continue }
      stats.crossShard += 1
      let apply = workload.receiptDecided[WorkloadState.decisionKey(.apply, id, shard: submitted.target)]
      if apply == nil {
        if liveness {
          failures.append(
            "\(submitted.kind) \(id.hexShort): its target shard \(submitted.target) never decided it")
        }
      } else if apply?.accepted == false {
        stats.aborted += 1
        if liveness
          && workload.receiptDecided[WorkloadState.decisionKey(.abort, id, shard: submitted.home)] == nil
        {
          failures.append(
            "\(submitted.kind) \(id.hexShort): aborted by shard \(submitted.target) but never compensated")
        }
      }
    }
    latencies.sort()
    stats.medianCommitMs = latencies.isEmpty ? 0 : latencies[latencies.count / 2]
    stats.worstCommitMs = latencies.last ?? 0
    if liveness && stats.rblocks < 2 { failures.append("the RChain committed only \(stats.rblocks) RBlocks") }
    if scenario.checkReputation && honestMajorityHeld {
      failures += reputationFailures()
    } else if scenario.checkReputation {
      notes.append("reputation not checked: a shard had no honest majority in some epoch")
    }
    var table: [String] = []
    if let reference = nodes.first(where: { $0.isHonest && $0.up })?.validator {
      for node in nodes.sorted(by: {
        (reference.reputation[$0.address] ?? 0) > (reference.reputation[$1.address] ?? 0)
      }) {
        table.append(
          "n\(node.index) \(node.address.hex.prefix(8)) reputation \(reference.reputation[node.address] ?? 0) "
            + "shard \(reference.assignment.shard(of: node.address).map(String.init) ?? "-") \(node.behaviour)"
        )
      }
    }
    return RunReport(
      scenario: scenario.name, seed: seed, length: scenario.length, mutations: scenario.mutations,
      signatureScheme: scheme.name, violations: violations, failures: failures,
      notes: notes, stats: stats, reputationTable: table)
  }

  /// Exactly-once across shards: every cross-shard transaction is carried out on both sides, on neither
  /// (after an abort and its compensation), or still on its way; a target side that was carried out
  /// left its credit, record or grant copy; and the tokens add up: balances plus transfers in flight
  /// equal the initial balances plus the rewards credited.
  func accountingViolations(_ reference: [UInt32: ShardLedger]) -> [String] {
    var violations: [String] = []
    var total: UInt64 = 0
    var rewards: UInt64 = 0
    for ledger in reference.values {
      total += ledger.state.totalBalance
      rewards += ledger.state.rewardsCredited
    }
    var inFlight: UInt64 = 0
    for id in workload.order {
      let submitted = workload.submitted[id]!
      let home = reference[submitted.home]?.state.home[id]
      let target = reference[submitted.target]?.state.decided[ToyRules.receiptKey(.apply, id)]
      if submitted.home == submitted.target {
        if home == .applied, let ledger = reference[submitted.home] {
          violations += targetEffectViolations(submitted, id: id, in: ledger.state)
        }
        continue
      }
      switch (home, target) {
      case (nil, nil): break
      case (nil, .some):
        violations.append(
          "\(submitted.kind) \(id.hexShort): the target shard acted but the home shard never applied it")
      case (.applied?, nil): inFlight += submitted.amount
      case (.applied?, true?): break
      case (.applied?, false?): inFlight += submitted.amount
      case (.compensated?, false?): break
      case (.compensated?, true?):
        violations.append("\(submitted.kind) \(id.hexShort): compensated and carried out (applied twice)")
      case (.compensated?, nil):
        violations.append("\(submitted.kind) \(id.hexShort): compensated without an abort")
      }
      if target == true, let ledger = reference[submitted.target] {
        violations += targetEffectViolations(submitted, id: id, in: ledger.state)
      }
    }
    let initial = UInt64(workload.accounts.count) * workload.initialBalance
    // Shards no honest validator holds cannot be checked.
    if reference.count == Int(scenario.shards), total + inFlight != initial + rewards {
      violations.append(
        "tokens do not add up: balances \(total) + in flight \(inFlight) != initial \(initial) + rewards \(rewards)"
      )
    }
    return violations
  }

  /// What a target side carried out must have left: the credit is in the balances, a record or image
  /// is stored with its kind, a grant's copy is kept.
  func targetEffectViolations(_ submitted: WorkloadState.Submitted, id: Data, in state: ToyState) -> [String]
  {
    switch submitted.kind {
    case .transfer:
      return []
    case .record, .image:
      let isImage = submitted.kind == .image
      return state.records[id] == isImage
        ? [] : ["\(submitted.kind) \(id.hexShort): applied by shard \(submitted.target) but not stored there"]
    case .grant:
      return state.grantCopies.contains(id)
        ? [] : ["grant \(id.hexShort): applied by shard \(submitted.target) but no copy is kept there"]
    }
  }

  /// Validators that vote wrong end below every honest one; a leader that equivocated has its evidence
  /// recorded (reputation 0); no malicious validator leads a shard or the RChain at the end.
  func reputationFailures() -> [String] {
    guard let referenceNode = nodes.first(where: { $0.isHonest && $0.up }),
      let reference = referenceNode.validator
    else { return ["no honest validator"] }
    let reputation = reference.reputation
    // An equivocating leader that never led while the scenario was active behaved honestly throughout.
    let byzantine = nodes.filter { node in
      var otherwise = node.behaviour
      otherwise.equivocate = false
      return otherwise.isByzantine || (node.adversary?.variantsSent ?? 0) > 0
    }.map(\.address)
    let honest = nodes.filter(\.isHonest).map(\.address)
    var failures: [String] = []
    let worstHonest = honest.compactMap { reputation[$0] }.min() ?? 0
    for node in nodes where node.behaviour.wrongVotes && (reputation[node.address] ?? 0) >= worstHonest {
      failures.append(
        "wrong-voting validator \(node.address) has reputation \(reputation[node.address] ?? 0) ≥ \(worstHonest) of an honest one"
      )
    }
    // Evidence against every leader that equivocated, recorded with reputation 0.
    var zeroed = Set<Address>()
    for block in referenceNode.ledger.rblocks.values {
      guard let header = try? RBlockHeader(serializedBytes: block.header) else { continue }
      for update in header.reputation where update.equivocated && update.reputationPPM == 0 {
        if let address = try? Address(rawRepresentation: update.validator) { zeroed.insert(address) }
      }
    }
    for node in nodes where (node.adversary?.variantsSent ?? 0) > 0 && !zeroed.contains(node.address) {
      failures.append("validator \(node.address) equivocated but no RBlock recorded it")
    }
    for address in zeroed where !byzantine.contains(address) {
      failures.append("honest validator \(address) was recorded as equivocating")
    }
    for members in reference.assignment.shards
    where members.contains(where: { !byzantine.contains($0) }) && byzantine.contains(members[0]) {
      failures.append("malicious validator \(members[0]) leads view 0 of a shard")
    }
    if let first = reference.rchainProposerOrder.first, byzantine.contains(first) {
      failures.append("malicious validator \(first) is the first RChain proposer")
    }
    return failures
  }
}

import ChainCrypto
import Foundation
import Wire

extension Validator {
  /// A shard's coverage when the RBlock covers nothing new: the previous one, with `to_height =
  /// from_height − 1` and the empty receipts root.
  static func nothingNew(after previous: ShardCoverage) -> ShardCoverage {
    ShardCoverage(
      shard: previous.shard, fromHeight: previous.toHeight + 1, toHeight: previous.toHeight,
      tblockHash: previous.tblockHash, stateRoot: previous.stateRoot, receiptsRoot: Bytes.emptyTreeRoot,
      receiptsEmitted: previous.receiptsEmitted, receiptsDecided: previous.receiptsDecided)
  }

  /// Whether this validator's shard closed its epoch at `height`: the committed and applied head is the
  /// empty block that closes the epoch (§5).
  func shardClosed(at height: UInt64) -> Bool {
    guard let tchain, tchain.isApplied, tchain.head.height == height else { return false }
    return tchain.isClosed
  }

  /// Builds the header of the next RBlock as proposer of `view` (§4.2), or says why it cannot yet (an
  /// RBlock that ends the epoch waits for every shard's closing block).
  func buildRBlockHeader(view: UInt64, now: UInt64) -> Result<RBlockHeader, CheckFailure> {
    let assignment = chain.currentAssignment
    let endsEpoch = params.endsEpoch(rblock: chain.nextHeight)
    var shards: [ShardCoverage] = []
    var counts: [Address: ReputationCounts] = [:]
    for s in 0..<params.shardCount {
      let members = assignment.members(of: s)
      let previous = chain.coverage[Int(s)]
      var coverage = Validator.nothingNew(after: previous)
      if s == shard, let history {
        if endsEpoch && !shardClosed(at: history.topHeight) { return .failure("own shard \(s) has not closed") }
        if let report = history.report(upTo: history.topHeight, members: members) {
          coverage = report.coverage
          for (member, c) in report.counts { counts[member] = c }
        }
      } else if let report = rchain.reports.best(
        shard: s, threshold: Quorum.oneHonest(members.count), closed: endsEpoch),
        let reported = report.coverage, reported.fromHeight == previous.toHeight + 1, reported.toHeight >= previous.toHeight
      {
        coverage = reported
        for update in report.counts {
          if let member = Address(bytes: update.validator), members.contains(member) {
            counts[member] = ReputationCounts(update)
          }
        }
      } else if s == shard || endsEpoch {
        // The RBlock that ends an epoch covers every shard up to its closing block.
        return .failure("no closed report of shard \(s)")
      }
      shards.append(coverage)
    }
    var evidence: [EquivocationEvidence] = []
    var offenders = Set<Address>()
    for (offender, item) in rchain.evidence.sorted(by: { $0.key < $1.key })
    where !chain.flaggedForNext.contains(offender) {
      evidence.append(item)
      offenders.insert(offender)
    }
    let equivocated = chain.flaggedForNext.union(offenders)
    let updates = validators.addresses.sorted().map { address in
      ReputationRules.update(
        validator: address, previous: chain.reputation[address] ?? 0, counts: counts[address] ?? ReputationCounts(),
        equivocated: equivocated.contains(address), weights: params.reputation)
    }
    var next: [Address: UInt32] = [:]
    for update in updates { next[Address(bytes: update.validator)!] = update.reputationPPM }
    return .success(RBlockHeader(
      chainID: params.chainID, height: chain.nextHeight, epoch: chain.nextEpoch, view: view, previousHash: chain.hash,
      proposer: me.rawRepresentation, timestampMs: max(now, chain.timestampMs), shards: shards, reputation: updates,
      rewards: RewardRules.rewards(total: params.rewardPerRBlock, reputation: next, seed: assignment.seed),
      evidence: evidence,
      nextSeed: endsEpoch ? ShardAssigner.nextSeed(previousHash: chain.hash) : Data()))
  }

  enum RBlockVerdict {
    case ok
    case later(String)
    case invalid(String)
  }

  /// The checks a validator makes before prepare-signing an RBlock header (§4.3): everything it can
  /// recompute, and its own shard's part against its own chain.
  func checkRBlockHeader(_ header: RBlockHeader, now: UInt64) -> RBlockVerdict {
    guard header.chainID == params.chainID, header.height == chain.nextHeight, header.epoch == chain.nextEpoch,
      header.previousHash == chain.hash
    else { return .invalid("height, epoch or previous hash") }
    guard header.timestampMs >= chain.timestampMs, header.timestampMs <= now + 5_000 else {
      return .invalid("timestamp")
    }
    let endsEpoch = params.endsEpoch(rblock: header.height)
    guard header.nextSeed == (endsEpoch ? ShardAssigner.nextSeed(previousHash: chain.hash) : Data()) else {
      return .invalid("next seed")
    }
    let assignment = chain.currentAssignment
    guard header.shards.count == Int(params.shardCount) else { return .invalid("shard count") }
    for (index, coverage) in header.shards.enumerated() {
      let previous = chain.coverage[index]
      guard coverage.shard == UInt32(index), coverage.fromHeight == previous.toHeight + 1,
        coverage.toHeight >= previous.toHeight, coverage.receiptsEmitted >= previous.receiptsEmitted,
        coverage.receiptsDecided >= previous.receiptsDecided
      else { return .invalid("coverage of shard \(index) does not follow the previous one") }
      if coverage.toHeight == previous.toHeight && coverage != Validator.nothingNew(after: previous) {
        return .invalid("shard \(index) covers nothing new but changes its coverage")
      }
    }
    // Evidence.
    var offenders = Set<Address>()
    for item in header.evidence {
      guard
        case .success(let proven) = EvidenceCheck.check(
          item, chainID: params.chainID, validators: validators, scheme: configuration.scheme,
          epochLength: params.epochLength),
        !chain.flaggedForNext.contains(proven.offender), offenders.insert(proven.offender).inserted
      else { return .invalid("evidence") }
    }
    let equivocated = chain.flaggedForNext.union(offenders)
    // Reputation: every validator once, sorted, recomputed from its counts.
    let addresses = validators.addresses.sorted()
    guard header.reputation.count == addresses.count else { return .invalid("reputation list") }
    var counts: [Address: ReputationCounts] = [:]
    var next: [Address: UInt32] = [:]
    for (address, update) in zip(addresses, header.reputation) {
      guard update.validator == address.rawRepresentation else { return .invalid("reputation order") }
      let c = ReputationCounts(update)
      let expected = ReputationRules.update(
        validator: address, previous: chain.reputation[address] ?? 0, counts: c,
        equivocated: equivocated.contains(address), weights: params.reputation)
      guard update == expected else { return .invalid("reputation of \(address)") }
      counts[address] = c
      next[address] = update.reputationPPM
    }
    for (index, coverage) in header.shards.enumerated() {
      let members = assignment.members(of: UInt32(index))
      let entries = Set(members.map { counts[$0]?.entries ?? 0 })
      guard entries.count <= 1 else { return .invalid("members of shard \(index) disagree on its entries") }
      if coverage.toHeight < coverage.fromHeight, members.contains(where: { counts[$0] != ReputationCounts() }) {
        return .invalid("counts for shard \(index) that covers nothing")
      }
    }
    guard header.rewards == RewardRules.rewards(total: params.rewardPerRBlock, reputation: next, seed: assignment.seed)
    else { return .invalid("rewards") }
    // This validator's own shard.
    guard let history else { return .later("own shard state not installed") }
    let own = header.shards[Int(shard)]
    if endsEpoch {
      guard let tchain else { return .later("no TChain") }
      if own.toHeight > tchain.head.height || !tchain.isApplied || !tchain.isClosed {
        return .later("own shard has not closed the epoch at the coverage")
      }
      guard shardClosed(at: own.toHeight) else { return .invalid("own shard closed the epoch at another height") }
    }
    if own.toHeight > history.topHeight { return .later("own shard behind the coverage") }
    let members = assignment.members(of: shard)
    guard let mine = history.report(upTo: own.toHeight, members: members) else {
      return .invalid("own shard's coverage starts elsewhere")
    }
    guard mine.coverage == own else { return .invalid("own shard's coverage differs from this chain") }
    for member in members where (mine.counts[member] ?? ReputationCounts()) != counts[member] {
      return .invalid("counts of \(member) differ from this chain")
    }
    return .ok
  }
}

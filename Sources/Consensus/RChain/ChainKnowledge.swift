import ChainCrypto
import Foundation
import Wire

/// The committed RChain as one validator knows it, and what every validator derives from it alike:
/// reputations, the epochs' shard assignments, the coverage of every shard, the validators whose
/// equivocation is proven in the current epoch, and the RChain proposer order.
struct ChainKnowledge: Sendable {
  let params: ConsensusParameters
  let validators: ValidatorSet
  /// The seed of epoch 0.
  let genesisSeed: Data

  /// The highest committed RBlock (0 before the first).
  private(set) var height: UInt64 = 0
  private(set) var hash: Data = Bytes.zeroHash
  private(set) var header: RBlockHeader?
  /// Reputation after the highest committed RBlock, in ppm.
  private(set) var reputation: [Address: UInt32]
  /// The epoch of the highest committed RBlock and the validators with evidence recorded in it so far.
  private(set) var flagged: (epoch: UInt64, offenders: Set<Address>) = (0, [])
  private(set) var assignments: [UInt64: EpochAssignment] = [:]
  /// The latest coverage of every shard.
  private(set) var coverage: [ShardCoverage]
  /// The coverage of every shard by the RBlock that ended the previous epoch: where the current epoch's
  /// chains start.
  private(set) var epochStart: [ShardCoverage]

  init(params: ConsensusParameters, validators: ValidatorSet, genesisSeed: Data) {
    self.params = params
    self.validators = validators
    self.genesisSeed = genesisSeed
    var reputation: [Address: UInt32] = [:]
    for validator in validators.all { reputation[validator.address] = validator.initialReputation }
    self.reputation = reputation
    coverage = (0..<params.shardCount).map {
      ShardCoverage(shard: $0, fromHeight: 1, toHeight: 0, tblockHash: Bytes.zeroHash)
    }
    epochStart = coverage
    assignments[0] = ShardAssigner.assign(
      epoch: 0, seed: genesisSeed, validators: validators.addresses, reputation: reputation,
      shardCount: params.shardCount)
    proposerOrder = ChainKnowledge.order(validators: validators, reputation: reputation, excluded: [], seed: genesisSeed)
  }

  /// The height being decided.
  var nextHeight: UInt64 { height + 1 }

  /// The epoch of the next RBlock.
  var nextEpoch: UInt64 { params.epoch(ofRBlock: nextHeight) }

  /// The assignment of `epoch`, if known.
  func assignment(_ epoch: UInt64) -> EpochAssignment? { assignments[epoch] }

  /// The assignment of the epoch the next RBlock belongs to (always known).
  var currentAssignment: EpochAssignment { assignments[nextEpoch]! }

  /// Validators with evidence recorded in earlier RBlocks of the next RBlock's epoch.
  var flaggedForNext: Set<Address> { flagged.epoch == nextEpoch ? flagged.offenders : [] }

  /// The RChain proposer order of the next height (§4.1): every validator by reputation, ties by the
  /// epoch's seed, without those with proven equivocation in the epoch.
  private(set) var proposerOrder: [Address] = []

  private static func order(
    validators: ValidatorSet, reputation: [Address: UInt32], excluded: Set<Address>, seed: Data
  ) -> [Address] {
    let order = ShardAssigner.rank(
      validators.addresses.filter { !excluded.contains($0) }, reputation: reputation, seed: seed)
    return order.isEmpty ? ShardAssigner.rank(validators.addresses, reputation: reputation, seed: seed) : order
  }

  /// The proposer of the next height in `view`.
  func proposer(view: UInt64) -> Address {
    let order = proposerOrder
    return order[Int(view % UInt64(order.count))]
  }

  /// The previous RBlock's timestamp.
  var timestampMs: UInt64 { header?.timestampMs ?? 0 }

  /// The members of `shard` in `epoch`.
  func members(_ shard: UInt32, _ epoch: UInt64) -> [Address]? { assignments[epoch]?.members(of: shard) }

  /// A proof context over the known assignments.
  func proofContext(scheme: any SignatureScheme) -> ProofContext {
    let assignments = self.assignments
    return ProofContext(
      chainID: params.chainID, shardCount: params.shardCount, validators: validators, scheme: scheme,
      members: { shard, epoch in assignments[epoch]?.members(of: shard) })
  }

  /// Takes a committed RBlock (already checked) into account.
  mutating func commit(_ header: RBlockHeader, hash: Data, evidenceOffenders: [Address]) {
    height = header.height
    self.hash = hash
    self.header = header
    for update in header.reputation {
      if let address = Address(bytes: update.validator) { reputation[address] = update.reputationPPM }
    }
    let epoch = params.epoch(ofRBlock: header.height)
    if flagged.epoch != epoch { flagged = (epoch, []) }
    flagged.offenders.formUnion(evidenceOffenders)
    for entry in header.shards where Int(entry.shard) < coverage.count { coverage[Int(entry.shard)] = entry }
    if params.endsEpoch(rblock: header.height) {
      epochStart = coverage
      assignments[epoch + 1] = ShardAssigner.assign(
        epoch: epoch + 1, seed: header.nextSeed, validators: validators.addresses, reputation: reputation,
        shardCount: params.shardCount)
    }
    proposerOrder = ChainKnowledge.order(
      validators: validators, reputation: reputation, excluded: flaggedForNext, seed: currentAssignment.seed)
  }
}

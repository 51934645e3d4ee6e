import ChainCrypto
import Foundation
import Wire

/// What a member remembers of each block its shard committed since the last coverage: enough to build
/// and check the shard's part of an RBlock (coverage and reputation counts, docs/protocol.md §4.2, §6.1).
struct BlockSummary: Sendable, Hashable {
  let height: UInt64
  let hash: Data
  let epoch: UInt64
  let view: UInt64
  let stateRoot: Data
  /// Ids of the receipts the block emitted, in emission order.
  let emittedIDs: [Data]
  /// Receipts from other shards it decided for the first time.
  let decided: UInt64
  /// The counts of every member of the block's epoch (timeouts included).
  let counts: [Address: ReputationCounts]
}

/// The blocks of this validator's shard above the coverage of the last committed RBlock.
struct ShardHistory: Sendable {
  let shard: UInt32
  /// The last covered block (from the RBlock): height, hash, state root, cumulative receipt counts.
  private(set) var anchor: ShardCoverage
  /// The epoch and view of the anchor block's header (leader timeouts of the next block), if known.
  private(set) var anchorEpochView: ChainHead.EpochView?
  private(set) var summaries: [BlockSummary] = []

  init(shard: UInt32, anchor: ShardCoverage, anchorEpochView: ChainHead.EpochView?) {
    self.shard = shard
    self.anchor = anchor
    self.anchorEpochView = anchorEpochView
  }

  /// The highest summarized height.
  var topHeight: UInt64 { summaries.last?.height ?? anchor.toHeight }

  /// The epoch and view of the block at the top.
  var topEpochView: ChainHead.EpochView? {
    summaries.last.map { ChainHead.EpochView(epoch: $0.epoch, view: $0.view) } ?? anchorEpochView
  }

  /// Adds the summary of the next block: its vote counts, leader timeouts and application result.
  mutating func append(
    block: TBlock, header: TBlockHeader, hash: Data, result: ApplyResult, members: [Address]
  ) {
    if header.height == anchor.toHeight, summaries.isEmpty, hash == anchor.tblockHash {
      // A member that fell behind its shard learns the covered block's view only when it applies it, and
      // the leader timeouts counted for the next block start from that view (as on every other member).
      anchorEpochView = ChainHead.EpochView(epoch: header.epoch, view: header.view)
      return
    }
    guard header.height == topHeight + 1 else { return }
    var voteBits: [Address: [Bool]] = [:]
    for vote in block.certificate?.votes ?? [] {
      if let body = try? VoteBody(serializedBytes: vote.body), let voter = Address(bytes: body.voter),
        let bits = Bitmap.decode(body.valid, count: block.entries.count)
      {
        voteBits[voter] = bits
      }
    }
    let decision = Bitmap.decode(block.decision, count: block.entries.count) ?? []
    var counts = BlockVoteCounting.counts(
      members: members, proposer: Address(bytes: header.proposer), entryCount: block.entries.count,
      decision: decision, voteBits: voteBits)
    let previous = topEpochView.map { (epoch: $0.epoch, view: $0.view) }
    for leader in LeaderTimeouts.leaders(previous: previous, epoch: header.epoch, view: header.view, order: members) {
      counts[leader, default: ReputationCounts()].timeouts += 1
    }
    let ids = result.emitted.map {
      ReceiptProofCheck.receiptID(kind: $0.kind, txID: $0.txID, targetShard: $0.targetShard)
    }
    summaries.append(
      BlockSummary(
        height: header.height, hash: hash, epoch: header.epoch, view: header.view, stateRoot: result.stateRoot,
        emittedIDs: ids, decided: result.receiptsDecided, counts: counts))
  }

  /// The coverage and counts from the anchor up to `height` (≤ top), as this member would sign them.
  func report(upTo height: UInt64, members: [Address]) -> (coverage: ShardCoverage, counts: [Address: ReputationCounts])? {
    guard height >= anchor.toHeight, height <= topHeight else { return nil }
    var coverage = ShardCoverage(
      shard: shard, fromHeight: anchor.toHeight + 1, toHeight: height, tblockHash: anchor.tblockHash,
      stateRoot: anchor.stateRoot, receiptsRoot: Bytes.emptyTreeRoot, receiptsEmitted: anchor.receiptsEmitted,
      receiptsDecided: anchor.receiptsDecided)
    var counts: [Address: ReputationCounts] = [:]
    for member in members { counts[member] = ReputationCounts() }
    var ids: [Data] = []
    for summary in summaries where summary.height <= height {
      coverage.tblockHash = summary.hash
      coverage.stateRoot = summary.stateRoot
      coverage.receiptsEmitted += UInt64(summary.emittedIDs.count)
      coverage.receiptsDecided += summary.decided
      ids += summary.emittedIDs
      for (member, c) in summary.counts where counts[member] != nil { counts[member]! = counts[member]! + c }
    }
    coverage.receiptsRoot = MerkleTree.root(leaves: ids).data
    return (coverage, counts)
  }

  /// The block hash at `height`, if summarized (or the anchor).
  func hash(at height: UInt64) -> Data? {
    height == anchor.toHeight ? anchor.tblockHash : summaries.first { $0.height == height }?.hash
  }

  /// Moves the anchor to a committed RBlock's coverage of this shard, dropping what it covers.
  mutating func advance(to coverage: ShardCoverage) {
    guard coverage.toHeight >= anchor.toHeight else { return }
    if coverage.toHeight > anchor.toHeight,
      let top = summaries.first(where: { $0.height == coverage.toHeight })
    {
      anchorEpochView = ChainHead.EpochView(epoch: top.epoch, view: top.view)
    } else if coverage.toHeight > topHeight {
      anchorEpochView = nil
    }
    summaries.removeAll { $0.height <= coverage.toHeight }
    anchor = coverage
  }
}

import ChainCrypto
import Consensus
import Foundation
import Wire

/// One shard's ledger on one simulated node: its state, its committed blocks with their application
/// results, and recent states (to serve validators that move into the shard).
public struct ShardLedger: Sendable {
  public let shard: UInt32
  public private(set) var state: ToyState
  public private(set) var height: UInt64 = 0
  public private(set) var blocks: [UInt64: TBlock] = [:]
  public private(set) var results: [UInt64: ApplyResult] = [:]
  private(set) var snapshots: [UInt64: ToyState] = [:]

  init(shard: UInt32, genesis: ToyState) {
    self.shard = shard
    self.state = genesis
    snapshots[0] = genesis
  }

  /// The head as consensus sees it.
  public var head: LedgerHead { LedgerHead(shard: shard, block: blocks[height], stateRoot: state.root) }

  /// The state after `height`, if still kept.
  func snapshot(at height: UInt64) -> ToyState? { snapshots[height] }

  /// One bit per entry: valid against the state after the parent with the rewards credited and the
  /// earlier valid entries applied; a record or image also needs its content in `holdsContent` (the
  /// voter's blob store).
  func validate(
    _ request: ValidationRequest, rules: ToyRules, rblocks: [UInt64: RBlock],
    holdsContent: @escaping (Data) -> Bool
  ) -> [Bool] {
    var scratch = state
    rules.creditRewards(&scratch, shard: shard, upTo: request.header.rblockHeight, rblocks: rblocks)
    return request.entries.enumerated().map { index, entry in
      rules.execute(entry, index: index, shard: shard, state: &scratch, holdsContent: holdsContent).valid
    }
  }

  /// Applies a committed block.
  mutating func apply(_ request: ApplyRequest, rules: ToyRules, rblocks: [UInt64: RBlock]) -> ApplyResult {
    precondition(request.header.height == height + 1, "blocks are applied in height order")
    rules.creditRewards(&state, shard: shard, upTo: request.header.rblockHeight, rblocks: rblocks)
    var emitted: [EmittedReceipt] = []
    var decided: UInt64 = 0
    for (index, entry) in request.entries.enumerated() {
      let isReceipt: Bool
      if case .receipt? = entry.entry?.entry { isReceipt = true } else { isReceipt = false }
      if request.accepted[index] {
        let before = state.decided.count
        let outcome = rules.execute(entry, index: index, shard: shard, state: &state)
        if let receipt = outcome.emitted { emitted.append(receipt) }
        if isReceipt && state.decided.count > before { decided += 1 }
      } else if let abort = rules.reject(
        entry, index: index, byMajority: request.rejectedByMajority[index], state: &state)
      {
        emitted.append(abort)
        decided += 1
      }
    }
    height = request.header.height
    blocks[height] = request.block
    let result = ApplyResult(
      shard: shard, height: height, blockHash: request.blockHash, stateRoot: state.root, emitted: emitted,
      receiptsDecided: decided)
    results[height] = result
    snapshots[height] = state
    if snapshots.count > 256, let oldest = snapshots.keys.min() { snapshots[oldest] = nil }
    return result
  }

  /// Replaces the state with a snapshot taken at `height` (a validator moving into the shard), with the
  /// blocks up to it.
  mutating func install(
    state: ToyState, height: UInt64, blocks: [UInt64: TBlock], results: [UInt64: ApplyResult]
  ) {
    self.state = state
    self.height = height
    self.blocks = blocks.filter { $0.key <= height }
    self.results = results.filter { $0.key <= height }
    snapshots = [height: state]
  }
}

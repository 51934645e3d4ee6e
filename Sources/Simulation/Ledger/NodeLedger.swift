import ChainCrypto
import Consensus
import Foundation
import Wire

/// Everything a simulated node keeps on disk besides consensus records: the ledgers of the shards it
/// served (the current one and those it left, which it still serves to validators moving in) and the
/// committed RBlocks. It survives crashes.
struct NodeLedger: Sendable {
  var shards: [UInt32: ShardLedger] = [:]
  var current: UInt32
  var rblocks: [UInt64: RBlock] = [:]

  init(shard: UInt32, genesis: ToyState) {
    current = shard
    shards[shard] = ShardLedger(shard: shard, genesis: genesis)
  }

  var currentLedger: ShardLedger { shards[current]! }

  var head: LedgerHead { currentLedger.head }

  /// The committed blocks of the current shard from `height` on, with their results (for a restart).
  func appliedBlocks(from height: UInt64) -> [AppliedBlock] {
    let ledger = currentLedger
    guard ledger.height >= height else { return [] }
    return (max(height, 1)...max(ledger.height, 1)).compactMap { h in
      guard let block = ledger.blocks[h], let result = ledger.results[h] else { return nil }
      return AppliedBlock(block: block, result: result)
    }
  }
}

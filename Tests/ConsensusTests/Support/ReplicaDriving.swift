import ChainCrypto
import Foundation
import Wire

@testable import Consensus

extension TChainReplica {
  /// Handles one message and returns what the replica asks for.
  mutating func receive(_ body: ConsensusMessage.Body, from sender: Address, at now: UInt64, env: inout TChainEnvironment)
    -> Ready
  {
    var out = Ready()
    handle(body, from: sender, now: now, env: &env, &out)
    return out
  }

  /// Ticks once.
  mutating func tick(at now: UInt64, env: inout TChainEnvironment) -> Ready {
    var out = Ready()
    tick(now: now, env: &env, &out)
    return out
  }

  /// Answers the pending validation request with `bits`.
  mutating func answer(_ request: ValidationRequest, bits: [Bool], at now: UInt64, env: inout TChainEnvironment) -> Ready {
    var out = Ready()
    validated(ValidationResult(id: request.id, valid: bits), now: now, env: &env, &out)
    return out
  }

  /// Reports the ledger applied the head with `root`.
  mutating func applyHead(root: Data, at now: UInt64, env: inout TChainEnvironment) -> Ready {
    var out = Ready()
    applied(
      ApplyResult(shard: context.shard, height: head.height, blockHash: head.hash, stateRoot: root, emitted: [], receiptsDecided: 0),
      now: now, env: &env, &out)
    return out
  }
}

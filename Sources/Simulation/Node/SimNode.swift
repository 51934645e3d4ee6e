import ChainCrypto
import Consensus
import Foundation
import Wire

/// One simulated validator: its state machine (gone while crashed), what it persisted, its ledger, and
/// its behaviour.
final class SimNode {
  let index: Int
  let address: Address
  let signer: any MessageSigner
  let behaviour: Behaviour
  var adversary: Adversary?
  var validator: Validator?
  var up = true
  /// Bumped at every crash, so that results of work started before it are dropped.
  var incarnation = 0
  /// The persisted records (consensus's disk).
  var disk: [String: Data] = [:]
  var ledger: NodeLedger
  var nextTick: UInt64?
  /// The latest state install consensus asked for: only a snapshot answering it is installed.
  var wantedState: (shard: UInt32, height: UInt64)?

  init(index: Int, signer: any MessageSigner, behaviour: Behaviour, adversary: Adversary?, ledger: NodeLedger) {
    self.index = index
    self.signer = signer
    self.address = signer.address
    self.behaviour = behaviour
    self.adversary = adversary
    self.ledger = ledger
  }

  var isHonest: Bool { !behaviour.isByzantine }
}

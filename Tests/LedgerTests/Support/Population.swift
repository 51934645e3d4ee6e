import ChainCrypto
import Foundation
import Wire

@testable import Ledger

/// A network with registered participants in both shards: patients, clinicians, an auditor and an
/// admin per shard (shard 0's admin is the genesis admin).
struct Population {
  var net: TestNetwork
  let patient0: Ed25519.PrivateKey
  let patient1: Ed25519.PrivateKey
  let clinician0: Ed25519.PrivateKey
  let clinician1: Ed25519.PrivateKey
  let auditor0: Ed25519.PrivateKey
  let admin1: Ed25519.PrivateKey
  var admin0: Ed25519.PrivateKey { net.admin }

  init() throws {
    var net = try TestNetwork()
    patient0 = net.newKey("patient0", shard: 0)
    patient1 = net.newKey("patient1", shard: 1)
    clinician0 = net.newKey("clinician0", shard: 0)
    clinician1 = net.newKey("clinician1", shard: 1)
    auditor0 = net.newKey("auditor0", shard: 0)
    admin1 = net.newKey("admin1", shard: 1)
    let shard0 = [
      net.register(patient0, .patient), net.register(clinician0, .clinician),
      net.register(auditor0, .auditor),
    ]
    let shard1 = [
      net.register(patient1, .patient), net.register(clinician1, .clinician), net.register(admin1, .admin),
    ]
    let results0 = try net.commit(shard: 0, entries: shard0.map(TestNetwork.entry)).outcome.results
    let results1 = try net.commit(shard: 1, entries: shard1.map(TestNetwork.entry)).outcome.results
    precondition((results0 + results1).allSatisfy { $0.status == .applied }, "\(results0 + results1)")
    self.net = net
  }

  /// Commits `tx` in its home shard and relays its receipts (if any) to the target shard; returns the
  /// home result and the target outcome.
  @discardableResult
  mutating func runAndRelay(_ tx: SignedTransaction) throws -> (home: EntryResult, target: BlockOutcome?) {
    let shard = try net.senderShard(tx)
    let (block, outcome) = try net.commit(shard: shard, entries: [TestNetwork.entry(tx)])
    let targets = try net.relay(block, outcome)
    return (outcome.results[0], targets.first)
  }

  /// Puts a record for `patient` written by `author`, relayed if needed; returns the record id.
  mutating func putRecord(
    _ author: Ed25519.PrivateKey, for patient: Ed25519.PrivateKey, content: String = "report"
  )
    throws -> Data
  {
    let tx = net.sign(author, TestNetwork.record(patient: patient, content: content))
    let (home, _) = try runAndRelay(tx)
    precondition(home.status == .applied, "\(home)")
    return SHA256.hash(tx.body).data
  }
}

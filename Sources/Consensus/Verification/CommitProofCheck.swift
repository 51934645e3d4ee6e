import ChainCrypto
import Foundation
import Wire

/// What a commit proof establishes: the block committed with this decision, acknowledged in `view`.
public struct ProvenCommit: Sendable, Hashable {
  public let height: UInt64
  public let blockHash: Data
  public let view: UInt64
  /// The decision bitmap the members acknowledged.
  public let decision: Data
}

/// Commit proofs (docs/protocol.md §3.4): the signed acknowledgements (`CommitAck.ack`, VoteBodies
/// signed over "sehc/v1/ack") of more than half of a shard's members for one decision, which therefore
/// committed. Carried in `Status.commit_proof` and `ViewChange.committed_proof`.
public enum CommitProofCheck {
  /// The body a member signs to acknowledge a decision.
  public static func ackBody(
    chainID: String, shard: UInt32, epoch: UInt64, view: UInt64, height: UInt64, blockHash: Data, decision: Data,
    voter: Address
  ) -> VoteBody {
    VoteBody(
      chainID: chainID, shard: shard, epoch: epoch, view: view, height: height, blockHash: blockHash, valid: decision,
      voter: voter.rawRepresentation)
  }

  /// Checks one ack for a block of `shard` in `epoch`: its fields, its voter's membership and signature.
  public static func checkAck(
    _ ack: Vote, chainID: String, shard: UInt32, epoch: UInt64, members: Set<Address>, publicKey: (Address) -> Data?,
    scheme: any SignatureScheme
  ) -> Result<(voter: Address, body: VoteBody), CheckFailure> {
    guard let body = try? VoteBody(serializedBytes: ack.body), body.chainID == chainID, body.shard == shard,
      body.epoch == epoch, body.blockHash.count == 32, let voter = Address(bytes: body.voter), members.contains(voter),
      let key = publicKey(voter), scheme.isValid(ack.signature, by: key, domain: .ack, message: ack.body)
    else { return .failure("an ack that is malformed, by a non-member, or badly signed") }
    return .success((voter, body))
  }

  /// Checks that `proof` holds acks of more than half of `members` for one decision on the block
  /// (`height`, `blockHash`) of `shard` in `epoch`, one per member, sorted by voter.
  public static func verify(
    _ proof: CommitCertificate?, chainID: String, shard: UInt32, epoch: UInt64, height: UInt64, blockHash: Data,
    members: [Address], publicKey: (Address) -> Data?, scheme: any SignatureScheme
  ) -> Result<ProvenCommit, CheckFailure> {
    let memberSet = Set(members)
    var previous: Address?
    var slot: (view: UInt64, decision: Data)?
    var count = 0
    for ack in proof?.votes ?? [] {
      switch checkAck(
        ack, chainID: chainID, shard: shard, epoch: epoch, members: memberSet, publicKey: publicKey, scheme: scheme)
      {
      case .failure(let reason): return .failure(reason)
      case .success(let (voter, body)):
        guard body.height == height, body.blockHash == blockHash else { return .failure("an ack for another block") }
        if let previous, !(previous < voter) { return .failure("acks must be sorted by voter, one per voter") }
        previous = voter
        if let slot, slot.view != body.view || slot.decision != body.valid {
          return .failure("acks for different decisions")
        }
        slot = (body.view, body.valid)
        count += 1
      }
    }
    guard let slot, count >= Quorum.majority(members.count) else {
      return .failure("\(count) acks of \(members.count) members: a commit proof needs more than half")
    }
    return .success(ProvenCommit(height: height, blockHash: blockHash, view: slot.view, decision: slot.decision))
  }
}

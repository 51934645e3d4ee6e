import ChainCrypto
import Foundation
import Wire

/// What a valid piece of equivocation evidence proves.
public struct ProvenEquivocation: Sendable, Hashable {
  /// The validator that signed twice.
  public let offender: Address
  /// What it signed twice.
  public let kind: EvidenceKind
  /// The shard (TChain kinds; 0 for RBlock proposals).
  public let shard: UInt32
  /// The epoch (TChain kinds; the RBlock's epoch otherwise).
  public let epoch: UInt64
  /// The view.
  public let view: UInt64
  /// The height.
  public let height: UInt64
}

/// Equivocation evidence (docs/protocol.md §6.3): two different byte strings of one kind, signed by one
/// validator's key over the kind's domain, agreeing on (chain, shard, epoch, view, height) (TChain
/// proposals, votes and decisions) or (chain, height, view) (RBlock proposals).
public enum EvidenceCheck {
  /// The equivocation `evidence` proves, or why it proves nothing.
  public static func check(
    _ evidence: EquivocationEvidence, chainID: String, validators: ValidatorSet, scheme: any SignatureScheme,
    epochLength: UInt64
  ) -> Result<ProvenEquivocation, CheckFailure> {
    guard evidence.first != evidence.second else { return .failure("the two signed messages are equal") }
    guard let key = evidence.firstSignature?.publicKey, evidence.secondSignature?.publicKey == key,
      let offender = validators.validator(withPublicKey: key)?.address
    else { return .failure("the two signatures are not by one validator's key") }
    func signed(_ domain: SigningDomain, _ first: Data, _ second: Data) -> Bool {
      scheme.isValid(evidence.firstSignature, by: key, domain: domain, message: first)
        && scheme.isValid(evidence.secondSignature, by: key, domain: domain, message: second)
    }
    switch evidence.kind {
    case .tblockProposal:
      guard let a = try? TBlockHeader(serializedBytes: evidence.first),
        let b = try? TBlockHeader(serializedBytes: evidence.second),
        a.chainID == chainID, b.chainID == chainID, a.shard == b.shard, a.epoch == b.epoch, a.view == b.view,
        a.height == b.height
      else { return .failure("the headers do not decode or are for different slots") }
      guard signed(.tblock, evidence.first, evidence.second) else { return .failure("a header signature is invalid") }
      return .success(
        ProvenEquivocation(
          offender: offender, kind: .tblockProposal, shard: a.shard, epoch: a.epoch, view: a.view, height: a.height))
    case .vote, .decision:
      guard let a = try? VoteBody(serializedBytes: evidence.first), let b = try? VoteBody(serializedBytes: evidence.second),
        a.chainID == chainID, b.chainID == chainID, a.shard == b.shard, a.epoch == b.epoch, a.view == b.view,
        a.height == b.height, a.voter == offender.rawRepresentation, b.voter == offender.rawRepresentation
      else { return .failure("the votes do not decode, are for different slots or name another voter") }
      let domain: SigningDomain = evidence.kind == .vote ? .vote : .decision
      guard signed(domain, evidence.first, evidence.second) else { return .failure("a vote signature is invalid") }
      return .success(
        ProvenEquivocation(
          offender: offender, kind: evidence.kind, shard: a.shard, epoch: a.epoch, view: a.view, height: a.height))
    case .rblockProposal:
      guard let a = try? RBlockHeader(serializedBytes: evidence.first),
        let b = try? RBlockHeader(serializedBytes: evidence.second),
        a.chainID == chainID, b.chainID == chainID, a.height == b.height, a.view == b.view, a.height > 0
      else { return .failure("the RBlock headers do not decode or are for different slots") }
      let first = SHA256.hash(evidence.first).data + Bytes.u64be(a.view)
      let second = SHA256.hash(evidence.second).data + Bytes.u64be(b.view)
      guard signed(.rblockPrepare, first, second) else { return .failure("a proposal signature is invalid") }
      return .success(
        ProvenEquivocation(
          offender: offender, kind: .rblockProposal, shard: 0, epoch: (a.height - 1) / epochLength, view: a.view,
          height: a.height))
    case .unspecified, .unrecognized:
      return .failure("unknown evidence kind")
    }
  }
}

import ChainCrypto
import Foundation
import Wire

/// RChain certificates (docs/protocol.md §4): a signer bitmap over the genesis validators and their
/// signatures in bit order. Quorum: more than two thirds of all validators and more than half of every
/// shard's members in the RBlock's epoch.
public enum RBlockCertificateCheck {
  /// The message an RChain prepare signature covers: `SHA-256(header) || u64be(view)`.
  public static func prepareMessage(blockHash: Data, view: UInt64) -> Data { blockHash + Bytes.u64be(view) }

  /// Whether `signers` form a quorum: more than `2n/3` validators and more than half of each shard.
  public static func isQuorum(_ signers: Set<Address>, validatorCount: Int, assignment: EpochAssignment) -> Bool {
    guard signers.count >= Quorum.twoThirds(validatorCount) else { return false }
    for members in assignment.shards where !members.isEmpty {
      if members.filter(signers.contains).count < Quorum.majority(members.count) { return false }
    }
    return true
  }

  /// Checks `certificate`: every listed signature valid over `domain || message`, and a quorum for
  /// `assignment`. Returns the signers.
  public static func verify(
    _ certificate: RBlockCertificate?, domain: SigningDomain, message: Data, validators: ValidatorSet,
    assignment: EpochAssignment, scheme: any SignatureScheme
  ) -> Result<Set<Address>, CheckFailure> {
    guard let certificate, let bits = Bitmap.decode(certificate.signers, count: validators.count) else {
      return .failure("the signer bitmap does not fit the validator set")
    }
    let indices = bits.indices.filter { bits[$0] }
    guard indices.count == certificate.signatures.count else {
      return .failure("\(indices.count) signers but \(certificate.signatures.count) signatures")
    }
    var signers = Set<Address>()
    for (index, signature) in zip(indices, certificate.signatures) {
      let validator = validators.all[index]
      guard scheme.isValid(signature: signature, publicKey: validator.publicKey, domain: domain, message: message) else {
        return .failure("the signature of \(validator.address) does not verify")
      }
      signers.insert(validator.address)
    }
    guard isQuorum(signers, validatorCount: validators.count, assignment: assignment) else {
      return .failure("\(signers.count) signers are not a quorum")
    }
    return .success(signers)
  }

  /// A certificate of `signatures` (by address) in genesis bit order.
  public static func make(_ signatures: [Address: Data], validators: ValidatorSet) -> RBlockCertificate {
    var bits = [Bool](repeating: false, count: validators.count)
    var ordered: [Data] = []
    for validator in validators.all {
      if let signature = signatures[validator.address] {
        bits[validator.index] = true
        ordered.append(signature)
      }
    }
    return RBlockCertificate(signers: Bitmap.encode(bits), signatures: ordered)
  }
}

import ChainCrypto
import Foundation

/// A cheap deterministic stand-in for Ed25519 in large simulations: a signature is
/// `SHA-256(secret || domain || message)` padded to 64 bytes, and the verifier looks the secret up by
/// public key in a directory fixed when the simulation starts. It is unforgeable inside a simulation
/// because simulated adversaries are only ever given their own ``SimulatedSigner``; it is not a
/// signature scheme for anything else.
public struct SimulatedSignatureScheme: SignatureScheme {
  public let name = "simulated"
  private let secrets: [Data: Data]

  /// A scheme that knows the secrets of `signers`.
  public init(signers: [SimulatedSigner]) {
    var secrets: [Data: Data] = [:]
    for signer in signers { secrets[signer.publicKey] = signer.secret }
    self.secrets = secrets
  }

  public func isValid(signature: Data, publicKey: Data, domain: SigningDomain, message: Data) -> Bool {
    guard let secret = secrets[publicKey], signature.count == 64 else { return false }
    return signature == SimulatedSigner.signature(secret: secret, domain: domain, message: message)
  }
}

/// A simulated validator key (see ``SimulatedSignatureScheme``).
public struct SimulatedSigner: MessageSigner {
  let secret: Data
  public let publicKey: Data

  /// The key number `index` of the simulation seeded by `seed`.
  public init(seed: UInt64, index: Int) {
    secret = SHA256.hash([Data("sehc/sim/secret".utf8), Bytes.u64be(seed), Bytes.u64be(UInt64(index))]).data
    publicKey = SHA256.hash([Data("sehc/sim/public".utf8), secret]).data
  }

  public func sign(domain: SigningDomain, message: Data) -> Data {
    SimulatedSigner.signature(secret: secret, domain: domain, message: message)
  }

  static func signature(secret: Data, domain: SigningDomain, message: Data) -> Data {
    var signature = SHA256.hash([secret, domain.bytes, message]).data
    signature.append(Data(count: 32))
    return signature
  }
}

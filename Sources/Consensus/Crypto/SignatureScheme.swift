import ChainCrypto
import Wire
import Foundation

/// How signatures are checked. Consensus never calls a signature primitive directly: the node injects
/// the real one (``Ed25519SignatureScheme``) and large simulations a cheap deterministic stand-in
/// (``SimulatedSignatureScheme``), so that the protocol code is the same in both.
public protocol SignatureScheme: Sendable {
  /// A name for reports ("ed25519", "simulated").
  var name: String { get }

  /// Whether `signature` is the signature of `domain || message` by the holder of `publicKey`.
  func isValid(signature: Data, publicKey: Data, domain: SigningDomain, message: Data) -> Bool
}

/// A validator's own signing key, as the state machine sees it.
public protocol MessageSigner: Sendable {
  /// The raw public key (32 bytes); its address is the validator id.
  var publicKey: Data { get }

  /// The signature of `domain || message`.
  func sign(domain: SigningDomain, message: Data) -> Data
}

extension MessageSigner {
  /// The signer's address.
  public var address: Address { Address(publicKeyBytes: publicKey) }

  /// A wire `Signature` of `domain || message`.
  func wireSignature(domain: SigningDomain, message: Data) -> Signature {
    Signature(publicKey: publicKey, signature: sign(domain: domain, message: message))
  }
}

extension SignatureScheme {
  /// Whether the wire signature `signature` is valid for `domain || message` and made by `publicKey`.
  func isValid(_ signature: Signature?, by publicKey: Data, domain: SigningDomain, message: Data) -> Bool {
    guard let signature, signature.publicKey == publicKey else { return false }
    return isValid(signature: signature.signature, publicKey: publicKey, domain: domain, message: message)
  }
}

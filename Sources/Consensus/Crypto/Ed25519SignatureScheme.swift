import ChainCrypto
import Foundation

/// Real Ed25519 signatures (ChainCrypto over OpenSSL). Public keys of the validator set are parsed once.
public struct Ed25519SignatureScheme: SignatureScheme {
  public let name = "ed25519"
  private let known: [Data: Ed25519.PublicKey]

  /// A scheme that has already parsed `knownKeys` (the validators' keys); other keys are parsed on use.
  public init(knownKeys: [Data] = []) {
    var known: [Data: Ed25519.PublicKey] = [:]
    for raw in knownKeys { known[raw] = try? Ed25519.PublicKey(rawRepresentation: raw) }
    self.known = known
  }

  public func isValid(signature: Data, publicKey: Data, domain: SigningDomain, message: Data) -> Bool {
    guard let key = known[publicKey] ?? (try? Ed25519.PublicKey(rawRepresentation: publicKey)) else { return false }
    return key.isValidSignature(signature, domain: domain, message: message)
  }
}

/// A validator's Ed25519 key.
public struct Ed25519MessageSigner: MessageSigner {
  private let key: Ed25519.PrivateKey
  public let publicKey: Data

  public init(key: Ed25519.PrivateKey) {
    self.key = key
    self.publicKey = key.publicKey.rawRepresentation
  }

  public func sign(domain: SigningDomain, message: Data) -> Data {
    // Ed25519 signing with a loaded key fails only when OpenSSL cannot allocate memory.
    try! key.sign(domain: domain, message: message)
  }
}

import ChainCrypto
import Foundation

/// Encrypts users' custodial Ed25519 keys at rest: AES-256-GCM under a key derived with HKDF-SHA256
/// from the node's validator key, with the user name as associated data, so a sealed key opens only
/// on the node that sealed it and only for the user it belongs to (a row copied to another user
/// does not decrypt).
struct CustodialKeyCipher: Sendable {
  /// HKDF `info`: names this key's one purpose.
  static let info = Data("sehc/v1/custodial-key".utf8)

  private let key: SymmetricKey

  init(nodeKey: Ed25519.PrivateKey) throws {
    key = try HKDF.deriveKey(
      inputKeyMaterial: SymmetricKey(data: nodeKey.rawRepresentation), info: Self.info,
      outputByteCount: AES256GCM.keyByteCount)
  }

  /// `nonce || ciphertext || tag` of the key's 32-byte seed.
  func seal(_ userKey: Ed25519.PrivateKey, username: String) throws -> Data {
    try AES256GCM.seal(userKey.rawRepresentation, using: key, authenticating: Data(username.utf8)).combined
  }

  /// The key sealed by ``seal(_:username:)``; throws `CryptoError.authenticationFailed` for another
  /// node key, another user name or modified bytes.
  func open(_ sealed: Data, username: String) throws -> Ed25519.PrivateKey {
    let seed = try AES256GCM.open(
      AES256GCM.SealedBox(combined: sealed), using: key, authenticating: Data(username.utf8))
    return try Ed25519.PrivateKey(rawRepresentation: seed)
  }
}

internal import COpenSSL
import Foundation

/// X25519 key agreement (RFC 7748) through OpenSSL. The shared secret is raw curve output: derive
/// keys from it with `HKDF` rather than using it directly.
public enum X25519 {
  /// The length of raw public and private keys and of the shared secret.
  public static let keyByteCount = 32

  /// An X25519 private key. Its secret is wiped from memory when the key is released.
  public final class PrivateKey: Sendable {
    let key: PKey
    /// The matching public key.
    public let publicKey: PublicKey

    init(key: PKey) throws {
      guard key.isA("X25519") else {
        throw CryptoError.unsupportedKey("expected an X25519 key, found \(key.typeDescription)")
      }
      self.key = key
      self.publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
    }

    /// A new random key.
    public convenience init() throws {
      try self.init(key: PKey.generate("X25519"))
    }

    /// A key from its 32-byte scalar (clamped by X25519 itself, as RFC 7748 says).
    public convenience init(rawRepresentation: Data) throws {
      guard rawRepresentation.count == X25519.keyByteCount else {
        throw CryptoError.invalidLength(
          what: "an X25519 private key", expected: X25519.keyByteCount, actual: rawRepresentation.count)
      }
      let key = try rawRepresentation.withUnsafeBytes { buffer in
        try PKey.rawPrivate("X25519", buffer)
      }
      try self.init(key: key)
    }

    /// The 32-byte scalar, as an ordinary `Data` copy that is not wiped.
    public var rawRepresentation: Data {
      get throws { try key.rawPrivateKey().data }
    }

    /// The shared secret with `peer`. Fails for a peer key of small order (an all-zero result),
    /// which OpenSSL refuses.
    public func sharedSecret(with peer: PublicKey) throws -> SymmetricKey {
      OpenSSLErrors.clear()
      let context = try checkNotNull(
        "creating an X25519 context", EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil))
      defer { EVP_PKEY_CTX_free(context) }
      try check("starting X25519 key agreement", EVP_PKEY_derive_init(context))
      try check("setting the X25519 peer key", EVP_PKEY_derive_set_peer_ex(context, peer.key.pointer, 1))
      let secret = SecureBuffer(count: X25519.keyByteCount)
      var length = X25519.keyByteCount
      try check("deriving the X25519 shared secret", EVP_PKEY_derive(context, secret.pointer, &length))
      guard length == X25519.keyByteCount else {
        throw CryptoError.invalidLength(
          what: "an X25519 shared secret", expected: X25519.keyByteCount, actual: length)
      }
      return SymmetricKey(storage: secret)
    }
  }

  /// An X25519 public key (a u-coordinate).
  public struct PublicKey: Sendable, Hashable {
    let key: PKey
    /// The 32 raw bytes.
    public let rawRepresentation: Data

    /// A key from its 32 raw bytes.
    public init(rawRepresentation: Data) throws {
      guard rawRepresentation.count == X25519.keyByteCount else {
        throw CryptoError.invalidLength(
          what: "an X25519 public key", expected: X25519.keyByteCount, actual: rawRepresentation.count)
      }
      key = try PKey.rawPublic("X25519", rawRepresentation)
      self.rawRepresentation = Data(rawRepresentation)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
      lhs.rawRepresentation == rhs.rawRepresentation
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }
  }
}

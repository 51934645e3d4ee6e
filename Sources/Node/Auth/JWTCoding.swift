import ChainCrypto
import Foundation
import JWTKit

/// The JSON coders and key conversions shared by ``TokenIssuer`` and ``TokenVerifier``.
enum JWTCoding {
  /// The only accepted algorithm (RFC 8037 `EdDSA` with Ed25519).
  static let algorithm = "EdDSA"
  /// Longest token accepted, in bytes.
  static let maxTokenBytes = 8192

  /// Writes NumericDates as whole seconds, as RFC 7519 readers expect.
  static var serializer: DefaultJWTSerializer {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .integerSecondsSince1970
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return DefaultJWTSerializer(jsonEncoder: encoder)
  }

  /// Reads NumericDates as integer or fractional seconds.
  static var parser: DefaultJWTParser { DefaultJWTParser() }

  /// jwt-kit's form of a node's private key.
  static func privateKey(_ key: Ed25519.PrivateKey) throws -> EdDSA.PrivateKey {
    try EdDSA.PrivateKey(d: base64URL(key.rawRepresentation), curve: .ed25519)
  }

  /// jwt-kit's form of a validator's public key.
  static func publicKey(_ key: Ed25519.PublicKey) throws -> EdDSA.PublicKey {
    try EdDSA.PublicKey(x: base64URL(key.rawRepresentation), curve: .ed25519)
  }

  static func base64URL(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
      of: "/", with: "_"
    )
    .replacingOccurrences(of: "=", with: "")
  }
}

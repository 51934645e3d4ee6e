import Foundation

/// Why a session token was refused. Each description is the message of the UNAUTHENTICATED status.
public enum TokenError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Not three base64url parts with JSON header and payload, or a claim of the wrong form.
  case malformed(String)
  /// The header's `alg` is not EdDSA (`none`, HS256, ...).
  case unsupportedAlgorithm(String)
  /// The header names no issuing key (`kid`).
  case missingKeyID
  /// The issuing key is not a validator of this network's genesis.
  case unknownIssuer(String)
  /// The signature does not verify with the issuer's key.
  case badSignature
  /// The `iss` claim differs from the key that signed.
  case issuerMismatch(kid: String, iss: String)
  /// The token is for another network (`aud`).
  case wrongAudience(found: [String], expected: String)
  /// A required claim is missing.
  case missingClaim(String)
  /// `exp` has passed.
  case expired(Date)
  /// `nbf` is in the future.
  case notYetValid(Date)

  public var description: String {
    switch self {
    case .malformed(let detail):
      return "malformed token: \(detail); log in again with sehc.v1.HealthChain/Login"
    case .unsupportedAlgorithm(let alg):
      return "token algorithm \"\(alg)\" is not accepted; only EdDSA tokens issued by a validator are"
    case .missingKeyID:
      return "token header has no \"kid\" naming the issuing validator; log in again"
    case .unknownIssuer(let kid):
      return "token issued by \(kid), which is not a validator of this network; log in at one of its nodes"
    case .badSignature:
      return "token signature does not verify (forged or modified token); log in again"
    case .issuerMismatch(let kid, let iss):
      return "token claims issuer \(iss) but was signed by \(kid)"
    case .wrongAudience(let found, let expected):
      return
        "token is for network \(found.joined(separator: ", ")), not \(expected); log in at a node of \(expected)"
    case .missingClaim(let claim):
      return "token has no \"\(claim)\" claim; log in again"
    case .expired(let date):
      return "token expired at \(Self.format(date)); log in again"
    case .notYetValid(let date):
      return "token is not valid before \(Self.format(date)); check this client's and the node's clocks"
    }
  }

  private static func format(_ date: Date) -> String {
    date.formatted(.iso8601)
  }
}

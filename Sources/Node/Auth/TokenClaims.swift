import Foundation
import JWTKit

/// The claims of a session token (a JWT signed with EdDSA by a validator's key).
///
/// Registered claims: `iss` the issuing validator's address (hex), `sub` the user name, `aud` the
/// chain id, `exp`, `iat`, `nbf` (whole seconds since 1970), `jti` a random id. Private claims:
/// `role` (`patient`, `clinician`, `hospital`, `lab`, `auditor` or `admin`), `address` (the user's
/// participant address, hex) and `shard` (that address's shard). Every claim is optional when
/// decoding so that ``TokenVerifier`` can name the one that is missing.
struct TokenClaims: JWTPayload, Equatable {
  var iss: IssuerClaim?
  var sub: SubjectClaim?
  var aud: AudienceClaim?
  var exp: ExpirationClaim?
  var iat: IssuedAtClaim?
  var nbf: NotBeforeClaim?
  var jti: IDClaim?
  var role: String?
  var address: String?
  var shard: UInt32?

  /// Claims are checked by ``TokenVerifier`` with its own clock and leeway after jwt-kit has
  /// checked the signature.
  func verify(using algorithm: some JWTAlgorithm) async throws {}
}

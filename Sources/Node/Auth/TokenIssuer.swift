import ChainCrypto
import Foundation
import JWTKit
import Ledger
import Wire

/// A session token and what it says.
public struct IssuedToken: Sendable {
  /// The JWT, to send as `authorization: Bearer <token>`.
  public var token: String
  /// The caller it identifies, as the verifier will see it.
  public var principal: Principal
  /// When it expires.
  public var expiresAt: Date { principal.expiresAt }
}

/// Issues session tokens after a successful login: JWTs signed with EdDSA by the node's validator
/// key (jwt-kit), with `kid` and `iss` = the validator's address, so that any node of the network
/// can verify them against the genesis.
public final class TokenIssuer: Sendable {
  private let keys: JWTKeyCollection
  private let issuer: Address
  private let chainID: String
  private let shardCount: UInt32
  private let lifetime: TimeInterval

  /// An issuer for the validator `nodeKey` of network `chainID` with `shardCount` shards; tokens
  /// live `lifetimeSeconds`.
  public init(nodeKey: Ed25519.PrivateKey, chainID: String, shardCount: UInt32, lifetimeSeconds: Int)
    async throws
  {
    issuer = nodeKey.address
    self.chainID = chainID
    self.shardCount = shardCount
    lifetime = TimeInterval(lifetimeSeconds)
    keys = JWTKeyCollection(defaultJWTSerializer: JWTCoding.serializer)
    await keys.add(
      eddsa: try JWTCoding.privateKey(nodeKey), kid: JWKIdentifier(string: issuer.hex),
      serializer: JWTCoding.serializer)
  }

  /// A token for `user`, valid from `now` (rounded down to a second) for the issuer's lifetime.
  public func issue(for user: StoredUser, now: Date = Date()) async throws -> IssuedToken {
    let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
    let principal = Principal(
      username: user.username, role: user.role, address: user.address,
      shard: Ledger.shard(of: user.address, shardCount: shardCount), issuer: issuer,
      tokenID: try SecureRandom.bytes(count: 16).hexString, issuedAt: issuedAt,
      expiresAt: issuedAt.addingTimeInterval(lifetime))
    let claims = TokenClaims(
      iss: IssuerClaim(value: issuer.hex), sub: SubjectClaim(value: principal.username),
      aud: AudienceClaim(value: [chainID]), exp: ExpirationClaim(value: principal.expiresAt),
      iat: IssuedAtClaim(value: issuedAt), nbf: NotBeforeClaim(value: issuedAt),
      jti: IDClaim(value: principal.tokenID), role: principal.role.name, address: principal.address.hex,
      shard: principal.shard)
    let token = try await keys.sign(claims, kid: JWKIdentifier(string: issuer.hex))
    return IssuedToken(token: token, principal: principal)
  }
}

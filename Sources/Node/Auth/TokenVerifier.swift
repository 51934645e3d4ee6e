import ChainCrypto
import Foundation
import JWTKit
import Ledger
import Synchronization
import Wire

/// Verifies session tokens issued by any validator of the network, so that a client logged in at
/// one node can call another.
///
/// Order of checks: size and form; `alg` must be `EdDSA` (so `none`, HS256 and the like are refused
/// before any key is chosen); `kid` must be the address of a genesis validator (each validator has a
/// key collection of its own, so an unknown `kid` never falls back to another key); the signature
/// (jwt-kit); then the claims with this verifier's clock: `iss` = `kid`, `aud` contains the chain id,
/// `nbf` − leeway ≤ now < `exp` + leeway, and the user claims (`sub`, `role`, `address`, `shard`,
/// `jti`, `iat`) are present and well formed.
///
/// A token whose signature checked out is remembered (by its SHA-256, at most ``cacheLimit`` of
/// them): a client sends the same token with every call, and its Ed25519 check cost as much as the
/// rest of a small call. The claims are checked again, with the clock of each call, every time.
public final class TokenVerifier: Sendable {
  /// How many verified tokens are remembered; the oldest goes first.
  static let cacheLimit = 4096

  private struct Verified: Sendable {
    var claims: TokenClaims
    var kid: String
    var issuer: Address
  }

  private struct Cache: Sendable {
    var verified: [Data: Verified] = [:]
    var order: [Data] = []
  }

  private let cache = Mutex(Cache())
  private let collections: [String: (address: Address, keys: JWTKeyCollection)]
  private let chainID: String
  private let shardCount: UInt32
  private let leeway: TimeInterval

  /// A verifier for the validators of `genesis`, tolerating `leewaySeconds` of clock difference.
  public convenience init(genesis: ValidatedGenesis, leewaySeconds: Int) async throws {
    try await self.init(
      validators: genesis.validators.map(\.publicKey), chainID: genesis.chainID,
      shardCount: genesis.shardCount,
      leewaySeconds: leewaySeconds)
  }

  /// A verifier for tokens signed by `validators` for network `chainID`.
  public init(validators: [Ed25519.PublicKey], chainID: String, shardCount: UInt32, leewaySeconds: Int)
    async throws
  {
    var collections: [String: (address: Address, keys: JWTKeyCollection)] = [:]
    for key in validators {
      let kid = key.address.hex
      let collection = JWTKeyCollection(defaultJWTParser: JWTCoding.parser)
      await collection.add(eddsa: try JWTCoding.publicKey(key), kid: JWKIdentifier(string: kid))
      collections[kid] = (key.address, collection)
    }
    self.collections = collections
    self.chainID = chainID
    self.shardCount = shardCount
    leeway = TimeInterval(leewaySeconds)
  }

  /// The caller `token` identifies, at time `now`.
  public func verify(_ token: String, now: Date = Date()) async throws(TokenError) -> Principal {
    guard token.utf8.count <= JWTCoding.maxTokenBytes else {
      throw .malformed("\(token.utf8.count) bytes, more than \(JWTCoding.maxTokenBytes)")
    }
    let digest = SHA256.hash(Data(token.utf8)).data
    if let known = cache.withLock({ $0.verified[digest] }) {
      return try check(known.claims, kid: known.kid, issuer: known.issuer, now: now)
    }
    let header: JWTHeader
    do {
      header = try JWTCoding.parser.parse(Array(token.utf8), as: TokenClaims.self).header
    } catch {
      throw .malformed(Self.reason(error))
    }
    guard let alg = header.alg, alg == JWTCoding.algorithm else {
      throw .unsupportedAlgorithm(header.alg ?? "(none given)")
    }
    guard let kid = header.kid else { throw .missingKeyID }
    guard let issuer = collections[kid] else { throw .unknownIssuer(kid) }
    let claims: TokenClaims
    do {
      claims = try await issuer.keys.verify(token, as: TokenClaims.self)
    } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
      throw .badSignature
    } catch {
      throw .malformed(Self.reason(error))
    }
    let principal = try check(claims, kid: kid, issuer: issuer.address, now: now)
    cache.withLock { cache in
      guard
        cache.verified.updateValue(Verified(claims: claims, kid: kid, issuer: issuer.address), forKey: digest)
          == nil
      else { return }
      cache.order.append(digest)
      if cache.order.count > Self.cacheLimit { cache.verified[cache.order.removeFirst()] = nil }
    }
    return principal
  }

  private func check(_ claims: TokenClaims, kid: String, issuer: Address, now: Date) throws(TokenError)
    -> Principal
  {
    guard let iss = claims.iss?.value else { throw .missingClaim("iss") }
    guard iss == kid else { throw .issuerMismatch(kid: kid, iss: iss) }
    guard let aud = claims.aud?.value else { throw .missingClaim("aud") }
    guard aud.contains(chainID) else { throw .wrongAudience(found: aud, expected: chainID) }
    guard let exp = claims.exp?.value else { throw .missingClaim("exp") }
    guard let nbf = claims.nbf?.value else { throw .missingClaim("nbf") }
    guard let iat = claims.iat?.value else { throw .missingClaim("iat") }
    guard now < exp.addingTimeInterval(leeway) else { throw .expired(exp) }
    guard nbf <= now.addingTimeInterval(leeway) else { throw .notYetValid(nbf) }
    guard let jti = claims.jti?.value, !jti.isEmpty else { throw .missingClaim("jti") }
    guard let sub = claims.sub?.value else { throw .missingClaim("sub") }
    guard Credentials.usernameProblem(sub) == nil else { throw .malformed("\"sub\" is not a user name") }
    guard let roleName = claims.role else { throw .missingClaim("role") }
    guard let role = Role(name: roleName) else { throw .malformed("\"role\" \"\(roleName)\" is not a role") }
    guard let addressHex = claims.address else { throw .missingClaim("address") }
    guard let address = try? Address(hex: addressHex) else {
      throw .malformed("\"address\" is not an address")
    }
    guard let shard = claims.shard else { throw .missingClaim("shard") }
    guard shard == Ledger.shard(of: address, shardCount: shardCount) else {
      throw .malformed("\"shard\" \(shard) is not the shard of \(address.hex)")
    }
    return Principal(
      username: sub, role: role, address: address, shard: shard, issuer: issuer, tokenID: jti,
      issuedAt: iat, expiresAt: exp)
  }

  /// jwt-kit's reason without its type name noise.
  private static func reason(_ error: any Error) -> String {
    if let error = error as? JWTError, let reason = error.reason { return reason }
    return "\(error)"
  }
}

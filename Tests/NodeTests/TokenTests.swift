import ChainCrypto
import Foundation
import JWTKit
import Ledger
import Testing
import Wire

@testable import Node

@Suite("Session tokens: EdDSA JWTs issued by any validator")
struct TokenTests {
  static let validators = try! Fixtures.validators(3)
  static let genesis = try! Fixtures.genesis(validators)
  static let user = StoredUser(
    username: "alice", role: .clinician, publicKey: try! Ed25519.PrivateKey().publicKey,
    organisation: "General",
    displayName: "Alice", custodial: true, createdAtMs: 0)
  let now = Date(timeIntervalSince1970: 1_800_000_000)

  func issuer(_ index: Int = 0, chainID: String = "sehc-test", lifetime: Int = 3600) async throws
    -> TokenIssuer
  {
    try await TokenIssuer(
      nodeKey: Self.validators[index].key, chainID: chainID, shardCount: 2, lifetimeSeconds: lifetime)
  }

  func verifier(leeway: Int = 30) async throws -> TokenVerifier {
    try await TokenVerifier(genesis: Self.genesis, leewaySeconds: leeway)
  }

  func refusal(_ token: String, at date: Date? = nil) async throws -> TokenError? {
    let verifier = try await verifier()
    return await caught(TokenError.self) { _ = try await verifier.verify(token, now: date ?? now) }
  }

  static func base64URL(_ text: String) -> String { JWTCoding.base64URL(Data(text.utf8)) }

  static func decodePart(_ part: Substring) -> [String: Any] {
    var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while text.count % 4 != 0 { text += "=" }
    return try! JSONSerialization.jsonObject(with: Data(base64Encoded: text)!) as! [String: Any]
  }

  @Test("a token from one validator verifies at every node, with all its claims")
  func valid() async throws {
    let issued = try await issuer(1).issue(for: Self.user, now: now)
    let principal = try await verifier().verify(issued.token, now: now.addingTimeInterval(60))
    #expect(principal == issued.principal)
    #expect(
      principal.username == "alice" && principal.role == .clinician && principal.address == Self.user.address)
    #expect(principal.issuer == Self.validators[1].key.address)
    #expect(principal.shard == Ledger.shard(of: Self.user.address, shardCount: 2))
    #expect(principal.expiresAt == now.addingTimeInterval(3600) && issued.expiresAt == principal.expiresAt)

    let parts = issued.token.split(separator: ".")
    #expect(parts.count == 3)
    let header = Self.decodePart(parts[0])
    #expect(
      header["alg"] as? String == "EdDSA" && header["kid"] as? String == Self.validators[1].key.address.hex)
    let claims = Self.decodePart(parts[1])
    #expect(claims["iss"] as? String == Self.validators[1].key.address.hex)
    #expect(claims["sub"] as? String == "alice" && claims["aud"] as? String == "sehc-test")
    #expect(claims["exp"] as? Int == 1_800_003_600 && claims["iat"] as? Int == 1_800_000_000)
    #expect(claims["nbf"] as? Int == 1_800_000_000 && (claims["jti"] as? String)?.count == 32)
    #expect(claims["role"] as? String == "clinician" && claims["address"] as? String == Self.user.address.hex)
    #expect(claims["shard"] as? Int == Int(principal.shard))

    let signature = Data(base64Encoded: Self.padded(String(parts[2])))!
    let signingInput = Data(issued.token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
    #expect(
      Self.validators[1].key.publicKey.isValidSignature(signature, for: signingInput),
      "plain Ed25519 over header.payload")
  }

  static func padded(_ base64URL: String) -> String {
    var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while text.count % 4 != 0 { text += "=" }
    return text
  }

  @Test("expired, and the leeway")
  func expiry() async throws {
    let issued = try await issuer(lifetime: 600).issue(for: Self.user, now: now)
    let late = now.addingTimeInterval(600 + 31)
    #expect(try await refusal(issued.token, at: late) == .expired(now.addingTimeInterval(600)))
    #expect(try await refusal(issued.token, at: now.addingTimeInterval(600 + 29)) == nil, "within the leeway")
    let message = TokenError.expired(now.addingTimeInterval(600)).description
    #expect(message == "token expired at 2027-01-15T08:10:00Z; log in again")
  }

  @Test("a remembered token is still checked against the clock, and a re-signed copy is checked afresh")
  func rememberedTokens() async throws {
    let verifier = try await verifier()
    let issued = try await issuer(lifetime: 600).issue(for: Self.user, now: now)
    _ = try await verifier.verify(issued.token, now: now)
    let again = try await verifier.verify(issued.token, now: now.addingTimeInterval(60))
    #expect(again.username == "alice" && again.role == .clinician)
    let late = now.addingTimeInterval(600 + 31)
    let expired = await caught(TokenError.self) { _ = try await verifier.verify(issued.token, now: late) }
    #expect(expired == .expired(now.addingTimeInterval(600)), "the expiry holds for a remembered token")
    // The same header and claims with another signature are another token: its signature is checked.
    let parts = issued.token.split(separator: ".")
    var signature = Array(parts[2])
    signature[3] = signature[3] == "A" ? "B" : "A"
    let altered = "\(parts[0]).\(parts[1]).\(String(signature))"
    let refused = await caught(TokenError.self) { _ = try await verifier.verify(altered, now: now) }
    #expect(refused == .badSignature)
  }

  @Test("not yet valid, and the leeway")
  func notBefore() async throws {
    let issued = try await issuer().issue(for: Self.user, now: now.addingTimeInterval(3600))
    #expect(try await refusal(issued.token) == .notYetValid(now.addingTimeInterval(3600)))
    #expect(try await refusal(issued.token, at: now.addingTimeInterval(3600 - 29)) == nil)
  }

  @Test("forged: signed by another key under a validator's kid")
  func forged() async throws {
    let forger = try await TokenIssuer(
      nodeKey: try Ed25519.PrivateKey(), chainID: "sehc-test", shardCount: 2, lifetimeSeconds: 3600)
    let token = try await forger.issue(for: Self.user, now: now).token
    let parts = token.split(separator: ".")
    var header = Self.decodePart(parts[0])
    header["kid"] = Self.validators[0].key.address.hex
    let headerJSON = try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)
    let relabelled = "\(JWTCoding.base64URL(headerJSON)).\(parts[1]).\(parts[2])"
    #expect(try await refusal(relabelled) == .badSignature)
    #expect(
      TokenError.badSignature.description
        == "token signature does not verify (forged or modified token); log in again")
  }

  @Test("unknown issuer: a well-signed token from a key outside the genesis")
  func unknownIssuer() async throws {
    let stranger = try Ed25519.PrivateKey()
    let forger = try await TokenIssuer(
      nodeKey: stranger, chainID: "sehc-test", shardCount: 2, lifetimeSeconds: 3600)
    let token = try await forger.issue(for: Self.user, now: now).token
    #expect(try await refusal(token) == .unknownIssuer(stranger.address.hex))
  }

  @Test("another chain: a genesis validator's token for another network")
  func otherChain() async throws {
    let token = try await issuer(chainID: "other-net").issue(for: Self.user, now: now).token
    #expect(try await refusal(token) == .wrongAudience(found: ["other-net"], expected: "sehc-test"))
  }

  @Test("tampered claims: role changed to admin keeps the old signature")
  func tampered() async throws {
    let token = try await issuer().issue(for: Self.user, now: now).token
    let parts = token.split(separator: ".")
    var claims = Self.decodePart(parts[1])
    claims["role"] = "admin"
    let payload = JWTCoding.base64URL(
      try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
    #expect(try await refusal("\(parts[0]).\(payload).\(parts[2])") == .badSignature)
  }

  @Test("alg none and HS256 are refused before any key is chosen")
  func algorithms() async throws {
    let token = try await issuer().issue(for: Self.user, now: now).token
    let parts = token.split(separator: ".")
    let kid = Self.validators[0].key.address.hex
    let none = Self.base64URL(#"{"alg":"none","kid":"\#(kid)","typ":"JWT"}"#) + ".\(parts[1])."
    #expect(try await refusal(none) == .unsupportedAlgorithm("none"))

    let hmac = JWTKeyCollection()
    await hmac.add(hmac: HMACKey(from: kid), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
    let claims = try JWTCoding.parser.parse(Array(token.utf8), as: TokenClaims.self).payload
    let hs256 = try await hmac.sign(claims, kid: JWKIdentifier(string: kid))
    #expect(try await refusal(hs256) == .unsupportedAlgorithm("HS256"))

    let noAlg = Self.base64URL(#"{"kid":"\#(kid)"}"#) + ".\(parts[1]).\(parts[2])"
    #expect(try await refusal(noAlg) == .unsupportedAlgorithm("(none given)"))
    let noKid = Self.base64URL(#"{"alg":"EdDSA"}"#) + ".\(parts[1]).\(parts[2])"
    #expect(try await refusal(noKid) == .missingKeyID)
  }

  @Test(
    "malformed tokens",
    arguments: ["", "abc", "a.b", "a.b.c.d", "!!!.@@@.###", String(repeating: "a", count: 9000)])
  func malformed(token: String) async throws {
    let error = try await refusal(token)
    guard case .malformed = error else {
      Issue.record("expected malformed, got \(String(describing: error))")
      return
    }
  }

  @Test("a well-signed token missing a claim is refused by name")
  func missingClaim() async throws {
    let key = Self.validators[0].key
    let kid = key.address.hex
    let keys = JWTKeyCollection(defaultJWTSerializer: JWTCoding.serializer)
    await keys.add(eddsa: try JWTCoding.privateKey(key), kid: JWKIdentifier(string: kid))
    var claims = try JWTCoding.parser.parse(
      Array(try await issuer().issue(for: Self.user, now: now).token.utf8), as: TokenClaims.self
    ).payload
    claims.role = nil
    let token = try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    #expect(try await refusal(token) == .missingClaim("role"))
    claims.role = "overlord"
    let bad = try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    #expect(try await refusal(bad) == .malformed("\"role\" \"overlord\" is not a role"))
  }
}

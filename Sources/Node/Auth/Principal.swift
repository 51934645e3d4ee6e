import ChainCrypto
import Foundation
import GRPCCore
import Wire

/// The authenticated caller of a client API call, from its session token.
///
/// ``AuthInterceptor`` sets ``Principal/current`` for the rest of the call, including the body of a
/// streaming response, so handlers read the caller with `Principal.current` (or
/// ``Principal/required()``, which throws UNAUTHENTICATED when there is none).
public struct Principal: Sendable, Hashable {
  /// The user name.
  public var username: String
  /// The role.
  public var role: Role
  /// The user's participant address.
  public var address: Address
  /// The shard of that address.
  public var shard: UInt32
  /// The validator that issued the token.
  public var issuer: Address
  /// The token's id (`jti`).
  public var tokenID: String
  /// When the token was issued.
  public var issuedAt: Date
  /// When the token expires.
  public var expiresAt: Date

  /// A principal (tests and the token verifier).
  public init(
    username: String, role: Role, address: Address, shard: UInt32, issuer: Address, tokenID: String,
    issuedAt: Date, expiresAt: Date
  ) {
    self.username = username
    self.role = role
    self.address = address
    self.shard = shard
    self.issuer = issuer
    self.tokenID = tokenID
    self.issuedAt = issuedAt
    self.expiresAt = expiresAt
  }

  /// The caller of the current call, set by ``AuthInterceptor``; nil outside authenticated calls.
  @TaskLocal public static var current: Principal?

  /// The caller of the current call; UNAUTHENTICATED when there is none (a handler reached without
  /// the interceptor, which is a wiring mistake, must not serve anonymous callers).
  public static func required() throws -> Principal {
    guard let current else {
      throw RPCError(code: .unauthenticated, message: "this call needs \"authorization: Bearer <token>\"")
    }
    return current
  }

  /// The user as the client API shows it, from the token alone (organisation and display name are
  /// not in tokens: the node that holds the user, or the chain, has them).
  public var user: User {
    User(username: username, role: role, address: address.rawRepresentation, shard: shard)
  }
}

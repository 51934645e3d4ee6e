import Foundation
import GRPCCore
import Wire

/// Login and password changes for the client API: a ``UserStore`` and a ``TokenIssuer`` together,
/// with failures as gRPC statuses. The HealthChain handlers call it for Login, WhoAmI and
/// ChangePassword.
public struct Authenticator: Sendable {
  /// The node's users.
  public let users: UserStore
  /// The node's token issuer.
  public let issuer: TokenIssuer
  /// The network's number of shards.
  public let shardCount: UInt32

  /// An authenticator over `users` and `issuer`.
  public init(users: UserStore, issuer: TokenIssuer, shardCount: UInt32) {
    self.users = users
    self.issuer = issuer
    self.shardCount = shardCount
  }

  /// Checks the credentials and returns a session token; UNAUTHENTICATED for a wrong user name or
  /// password, RESOURCE_EXHAUSTED when too many logins are in progress.
  public func login(_ request: LoginRequest, now: Date = Date()) async throws -> LoginResponse {
    let user: StoredUser
    do {
      user = try await users.authenticate(username: request.username, password: request.password)
    } catch {
      throw error.rpcError
    }
    let issued = try await issuer.issue(for: user, now: now)
    return LoginResponse(
      accessToken: issued.token, tokenType: "Bearer",
      expiresAtMs: UInt64(issued.expiresAt.timeIntervalSince1970 * 1000),
      user: user.wire(shardCount: shardCount))
  }

  /// The caller: from this node's store when the user is here, else from the token.
  public func whoAmI() throws -> User {
    let principal = try Principal.required()
    if let user = try? users.user(named: principal.username), user.address == principal.address {
      return user.wire(shardCount: shardCount)
    }
    return principal.user
  }

  /// Changes the caller's password (a user of this node).
  public func changePassword(_ request: ChangePasswordRequest) async throws {
    let principal = try Principal.required()
    guard let user = try? users.user(named: principal.username), user.address == principal.address else {
      throw RPCError(
        code: .failedPrecondition,
        message: "user \"\(principal.username)\" belongs to another node; change the password there")
    }
    do {
      try await users.changePassword(
        username: user.username, currentPassword: request.currentPassword, newPassword: request.newPassword)
    } catch {
      throw error.rpcError
    }
  }
}

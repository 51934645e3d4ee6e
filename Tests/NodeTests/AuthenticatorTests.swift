import ChainCrypto
import Foundation
import GRPCCore
import Testing
import Wire

@testable import Node

@Suite("Authenticator: Login, WhoAmI, ChangePassword as gRPC statuses")
struct AuthenticatorTests {
  static let validators = try! Fixtures.validators(2)
  static let genesis = try! Fixtures.genesis(validators)
  let directory = Fixtures.temporaryDirectory()

  func authenticator() async throws -> Authenticator {
    let users = try UserStore(
      directory: directory, nodeKey: Self.validators[0].key, passwordParameters: .testing)
    try await users.create(
      NewUser(
        username: "admin", password: "admin password", role: .admin, organisation: "Consortium",
        displayName: "Ada"))
    let issuer = try await TokenIssuer(
      nodeKey: Self.validators[0].key, chainID: "sehc-test", shardCount: 2, lifetimeSeconds: 600)
    return Authenticator(users: users, issuer: issuer, shardCount: 2)
  }

  @Test("login returns a token every validator accepts; WhoAmI and ChangePassword use the principal")
  func login() async throws {
    let auth = try await authenticator()
    let now = Date()
    let response = try await auth.login(LoginRequest(username: "admin", password: "admin password"), now: now)
    #expect(
      response.tokenType == "Bearer" && response.user?.username == "admin"
        && response.user?.organisation == "Consortium")
    #expect(response.expiresAtMs == UInt64(now.timeIntervalSince1970.rounded(.down) + 600) * 1000)
    let verifier = try await TokenVerifier(genesis: Self.genesis, leewaySeconds: 30)
    let principal = try await verifier.verify(response.accessToken)
    #expect(principal.role == .admin)

    let me = try Principal.$current.withValue(principal) { try auth.whoAmI() }
    #expect(me == response.user)
    try await Principal.$current.withValue(principal) {
      try await auth.changePassword(
        ChangePasswordRequest(currentPassword: "admin password", newPassword: "new password"))
    }
    _ = try await auth.login(LoginRequest(username: "admin", password: "new password"))
  }

  @Test("statuses: wrong credentials, no principal, a user of another node")
  func statuses() async throws {
    let auth = try await authenticator()
    for request in [
      LoginRequest(username: "admin", password: "nope nope"), LoginRequest(username: "ghost", password: "x"),
    ] {
      let error = await caught(RPCError.self) { _ = try await auth.login(request) }
      #expect(error?.code == .unauthenticated && error?.message == "wrong user name or password")
    }
    #expect(caught(RPCError.self) { _ = try auth.whoAmI() }?.code == .unauthenticated)
    let stranger = Principal(
      username: "bob", role: .patient, address: try Ed25519.PrivateKey().address, shard: 1,
      issuer: Self.validators[1].key.address, tokenID: "t", issuedAt: Date(), expiresAt: Date())
    let user = try Principal.$current.withValue(stranger) { try auth.whoAmI() }
    #expect(user.username == "bob" && user.shard == 1 && user.organisation == "")
    let error = await caught(RPCError.self) {
      try await Principal.$current.withValue(stranger) {
        try await auth.changePassword(
          ChangePasswordRequest(currentPassword: "12345678", newPassword: "87654321"))
      }
    }
    #expect(error?.code == .failedPrecondition)
    #expect(error?.message == "user \"bob\" belongs to another node; change the password there")
  }

  @Test("store errors map to statuses without leaking storage details")
  func mapping() {
    #expect(UserStoreError.invalidInput("x").rpcError.code == .invalidArgument)
    #expect(UserStoreError.userExists("a").rpcError.code == .alreadyExists)
    #expect(UserStoreError.busy.rpcError.code == .resourceExhausted)
    let storage = UserStoreError.storage("/var/lib/sehc/users.sqlite: disk I/O error").rpcError
    #expect(storage.code == .internalError && !storage.message.contains("/var/lib"))
  }

  @Test("users.sqlite is created with mode 0600")
  func fileMode() async throws {
    let auth = try await authenticator()
    let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/users.sqlite")
    #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o600)
    let wal = try FileManager.default.attributesOfItem(atPath: directory + "/users.sqlite-wal")
    #expect((wal[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
    withExtendedLifetime(auth) {}
  }
}

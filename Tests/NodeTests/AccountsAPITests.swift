import ChainCrypto
import Foundation
import GRPCCore
import Testing
import Wire

@testable import Node

@Suite("HealthChain API: login, current user, users")
struct AccountsAPITests {
  @Test("login returns a token; WhoAmI names its user; bad credentials and tokens are refused")
  func login() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      #expect(admin.user.role == .admin && admin.user.custodial && admin.user.organisation == "consortium")
      let me = try await api.client.whoAmI(WhoAmIRequest(), metadata: admin.metadata)
      #expect(me.username == "admin" && me.address == APIHarness.adminKey.address.rawRepresentation)

      let wrong = await status { _ = try await api.login("admin", "wrong password") }
      #expect(wrong?.code == .unauthenticated && wrong?.message == "wrong user name or password")
      let anonymous = await status { _ = try await api.client.whoAmI(WhoAmIRequest()) }
      #expect(anonymous?.code == .unauthenticated)
      var forged: Metadata = [:]
      forged.addString("Bearer abc.def.ghi", forKey: "authorization")
      let bad = await status { _ = try await api.client.getNodeInfo(GetNodeInfoRequest(), metadata: forged) }
      #expect(bad?.code == .unauthenticated && bad?.message.hasPrefix("malformed token") == true)
    }
  }

  @Test("CreateUser registers a custodial user on chain, co-signed by the admin")
  func createUser() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let patient = try await api.newUser("alice", .patient, admin: admin)
      #expect(patient.user.role == .patient && patient.user.custodial)
      let account = try await api.client.getAccount(
        GetAccountRequest(address: patient.address), metadata: patient.metadata)
      #expect(account.nonce == 1 && account.participant?.role == .patient)
      #expect(account.participant?.organisation == "org-alice")
      let me = try await api.client.whoAmI(WhoAmIRequest(), metadata: patient.metadata)
      #expect(me.displayName == "alice")
    }
  }

  @Test("CreateUser refusals store and submit nothing")
  func createUserRefusals() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let chain = api.chain
      func create(
        _ name: String, _ role: Role, organisation: String = "org", password: String = APIHarness.password
      )
        async throws
      {
        _ = try await api.client.createUser(
          CreateUserRequest(username: name, password: password, role: role, organisation: organisation),
          metadata: admin.metadata)
      }
      await expectRefusal(.invalidArgument, "user name \"A\"", chain: chain) {
        try await create("A", .patient)
      }
      await expectRefusal(.invalidArgument, "at least 8", chain: chain) {
        try await create("bob", .patient, password: "short")
      }
      await expectRefusal(.invalidArgument, "invalid_role", chain: chain) {
        try await create("bob", .unspecified)
      }
      await expectRefusal(.invalidArgument, "invalid_text", chain: chain) {
        try await create("bob", .patient, organisation: "")
      }
      await expectRefusal(.alreadyExists, "already exists", chain: chain) {
        try await create("stmary", .patient)
      }
      let stmary = try await api.login("stmary")
      let forbidden = await status {
        _ = try await api.client.createUser(
          CreateUserRequest(
            username: "carol", password: APIHarness.password, role: .patient, organisation: "x"),
          metadata: stmary.metadata)
      }
      #expect(forbidden?.code == .permissionDenied)
      #expect(
        forbidden?.message
          == "role hospital may not call sehc.v1.HealthChain/CreateUser; allowed roles: admin")
      let login = await status { _ = try await api.login("bob") }
      #expect(login?.code == .unauthenticated, "no refused user was stored")
    }
  }

  @Test("ChangePassword needs the current password")
  func changePassword() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let wrong = await status {
        _ = try await api.client.changePassword(
          ChangePasswordRequest(currentPassword: "not it at all", newPassword: "new password"),
          metadata: admin.metadata)
      }
      #expect(wrong?.code == .unauthenticated)
      _ = try await api.client.changePassword(
        ChangePasswordRequest(currentPassword: APIHarness.password, newPassword: "new password"),
        metadata: admin.metadata)
      _ = try await api.login("admin", "new password")
    }
  }
}

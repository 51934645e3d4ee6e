import ChainCrypto
import Foundation
import GRPCCore
import GRPCInProcessTransport
import Ledger
import Testing
import Wire

@testable import Node

/// The client API over a ``SingleMemberChain``, served in process behind the real ``AuthInterceptor``,
/// with two genesis authorities as users of the node: `admin` (admin) and `stmary` (hospital).
struct APIHarness {
  static let validator = try! Fixtures.validator("node-1")
  static let adminKey = try! Ed25519.PrivateKey()
  static let hospitalKey = try! Ed25519.PrivateKey()
  static let password = "correct horse"

  let directory: String
  let chain: SingleMemberChain
  let users: UserStore
  let service: HealthChainService

  init(configuration: HealthChainConfiguration = HealthChainConfiguration(defaultTimeoutMs: 3000))
    async throws
  {
    directory = Fixtures.temporaryDirectory()
    let genesis = try Fixtures.builder(
      [Self.validator], shards: 1,
      participants: [
        GenesisParticipant(
          publicKey: Self.adminKey.publicKey.rawRepresentation, role: .admin, organisation: "consortium",
          displayName: "Ada", balance: 1_000),
        GenesisParticipant(
          publicKey: Self.hospitalKey.publicKey.rawRepresentation, role: .hospital, organisation: "st-mary",
          displayName: "St Mary", balance: 50),
      ]
    ).build()
    chain = try SingleMemberChain(directory: directory, genesis: genesis, nodeKey: Self.validator.key)
    users = try UserStore(
      directory: directory + "/users", nodeKey: Self.validator.key, passwordParameters: .testing)
    try await users.create(
      NewUser(
        username: "admin", password: Self.password, role: .admin, organisation: "consortium",
        displayName: "Ada",
        key: .custodial(Self.adminKey)))
    try await users.create(
      NewUser(
        username: "stmary", password: Self.password, role: .hospital, organisation: "st-mary",
        key: .custodial(Self.hospitalKey)))
    let issuer = try await TokenIssuer(
      nodeKey: Self.validator.key, chainID: genesis.chainID, shardCount: 1, lifetimeSeconds: 3600)
    service = try HealthChainService(
      backend: chain, authenticator: Authenticator(users: users, issuer: issuer, shardCount: 1),
      uploadDirectory: directory + "/uploads", configuration: configuration)
  }

  /// Runs `body` with a client of the service.
  func run(_ body: (API) async throws -> Void) async throws {
    let verifier = try await TokenVerifier(genesis: chain.genesis, leewaySeconds: 30)
    let transport = InProcessTransport()
    try await withGRPCServer(
      transport: transport.server, services: [service], interceptors: [AuthInterceptor(verifier: verifier)]
    ) { _ in
      try await withGRPCClient(transport: transport.client) { client in
        // Watch streams end with the events, so that the server can shut down even after a failure.
        do {
          try await body(API(client: HealthChain.Client(wrapping: client), chain: chain))
        } catch {
          chain.finishEvents()
          throw error
        }
        chain.finishEvents()
      }
    }
  }
}

/// A client of the service, and the chain behind it.
struct API {
  let client: HealthChain.Client<InProcessTransport.Client>
  let chain: SingleMemberChain

  /// Logs in.
  func login(_ username: String, _ password: String = APIHarness.password) async throws -> Session {
    let response = try await client.login(LoginRequest(username: username, password: password))
    var metadata: Metadata = [:]
    metadata.addString("Bearer \(response.accessToken)", forKey: "authorization")
    return Session(client: client, metadata: metadata, user: response.user ?? User())
  }

  /// Creates and registers a user as `admin`, and logs it in.
  func newUser(_ username: String, _ role: Role, admin: Session) async throws -> Session {
    let request = CreateUserRequest(
      username: username, password: APIHarness.password, role: role, organisation: "org-\(username)",
      displayName: username, waitFor: .shardCommitted)
    let created: CreateUserResponse = try await admin.client.createUser(request, metadata: admin.metadata)
    let state = created.registration?.status?.state
    #expect(state == .shardCommitted)
    return try await login(username)
  }
}

/// A logged-in user: its token as metadata.
struct Session {
  let client: HealthChain.Client<InProcessTransport.Client>
  let metadata: Metadata
  let user: User

  var address: Data { user.address }
}

/// The status `body` fails with (nil when it succeeds).
func status(_ body: () async throws -> Void) async -> (code: RPCError.Code, message: String)? {
  do {
    try await body()
    return nil
  } catch let error as RPCError {
    return (error.code, error.message)
  } catch {
    return (.unknown, "\(error)")
  }
}

/// Expects `body` to fail with `code` and a message containing `fragment`, having submitted nothing.
func expectRefusal(
  _ code: RPCError.Code, _ fragment: String, chain: SingleMemberChain,
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
  let before = chain.submittedCount
  let result = await status(body)
  #expect(result?.code == code, "\(String(describing: result))", sourceLocation: sourceLocation)
  #expect(
    result?.message.contains(fragment) == true, "\(result?.message ?? "succeeded")",
    sourceLocation: sourceLocation)
  #expect(
    chain.submittedCount == before, "a refused call submitted a transaction", sourceLocation: sourceLocation)
}

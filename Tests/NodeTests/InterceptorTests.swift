import ChainCrypto
import Foundation
import GRPCCore
import GRPCInProcessTransport
import Testing
import Wire

@testable import Node

/// A few HealthChain and Peer methods, enough to exercise the interceptor: each answers with what
/// `Principal.current` says inside the handler (and, for the streaming one, inside the producer).
struct ProbeService: RegistrableRPCService {
  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    func unary<Input: WireMessage>(_ descriptor: MethodDescriptor, _ input: Input.Type) -> Void {
      router.registerHandler(
        forMethod: descriptor, deserializer: ProtobufCDeserializer<Input>(),
        serializer: ProtobufCSerializer<User>(),
        handler: { request, _ in
          for try await _ in request.messages {}
          let principal = Principal.current
          return StreamingServerResponse(
            single: ServerResponse(
              message: User(username: principal?.username ?? "", role: principal?.role ?? .unspecified)))
        })
    }
    unary(HealthChain.Method.Login.descriptor, LoginRequest.self)
    unary(HealthChain.Method.WhoAmI.descriptor, WhoAmIRequest.self)
    unary(HealthChain.Method.CreateUser.descriptor, CreateUserRequest.self)
    unary(HealthChain.Method.GrantAccess.descriptor, GrantAccessRequest.self)
    unary(Peer.Method.FetchChunk.descriptor, FetchChunkRequest.self)
    router.registerHandler(
      forMethod: HealthChain.Method.ListTBlocks.descriptor,
      deserializer: ProtobufCDeserializer<ListTBlocksRequest>(),
      serializer: ProtobufCSerializer<User>(),
      handler: { request, _ in
        for try await _ in request.messages {}
        return StreamingServerResponse { writer in
          try await Task.sleep(for: .milliseconds(5))
          for _ in 0..<2 {
            try await writer.write(User(username: Principal.current?.username ?? ""))
          }
          return [:]
        }
      })
  }
}

@Suite("AuthInterceptor: statuses and the principal, in process")
struct InterceptorTests {
  static let validators = try! Fixtures.validators(2)
  static let genesis = try! Fixtures.genesis(validators)
  static func user(_ role: Role, _ name: String = "alice") -> StoredUser {
    StoredUser(
      username: name, role: role, publicKey: try! Ed25519.PrivateKey().publicKey, organisation: "Org",
      displayName: "",
      custodial: true, createdAtMs: 0)
  }

  /// Runs `body` with a client of a server that has the probe service behind the interceptor.
  func withServer(_ body: (GRPCClient<InProcessTransport.Client>) async throws -> Void) async throws {
    let verifier = try await TokenVerifier(genesis: Self.genesis, leewaySeconds: 30)
    let interceptor = AuthInterceptor(verifier: verifier)
    let registry = HealthStatusRegistry(["": .serving])
    let transport = InProcessTransport()
    try await withGRPCServer(
      transport: transport.server,
      services: [ProbeService(), HealthService(registry: registry), ReflectionService(services: [])],
      interceptors: [interceptor]
    ) { _ in
      try await withGRPCClient(transport: transport.client) { client in try await body(client) }
    }
  }

  func token(_ role: Role, issuer: Int = 0, chainID: String = "sehc-test", at date: Date = Date())
    async throws -> String
  {
    let issuer = try await TokenIssuer(
      nodeKey: Self.validators[issuer].key, chainID: chainID, shardCount: 2, lifetimeSeconds: 3600)
    return try await issuer.issue(for: Self.user(role), now: date).token
  }

  func call<Input: WireMessage>(
    _ client: GRPCClient<InProcessTransport.Client>, _ method: MethodDescriptor, _ input: Input,
    authorization: [String] = []
  ) async throws -> User {
    var metadata: Metadata = [:]
    for value in authorization { metadata.addString(value, forKey: "authorization") }
    return try await client.unary(
      request: ClientRequest(message: input, metadata: metadata), descriptor: method,
      serializer: ProtobufCSerializer<Input>(), deserializer: ProtobufCDeserializer<User>(),
      options: .defaults
    ) { try $0.message }
  }

  func status<Input: WireMessage>(
    _ client: GRPCClient<InProcessTransport.Client>, _ method: MethodDescriptor, _ input: Input,
    authorization: [String] = []
  ) async -> (RPCError.Code, String)? {
    do {
      _ = try await call(client, method, input, authorization: authorization)
      return nil
    } catch let error as RPCError {
      return (error.code, error.message)
    } catch {
      return (.unknown, "\(error)")
    }
  }

  @Test("Login, health and reflection need no token")
  func open() async throws {
    try await withServer { client in
      let user = try await call(
        client, HealthChain.Method.Login.descriptor, LoginRequest(username: "a", password: "b"))
      #expect(user.username == "", "no principal on open methods")
      let health = try await Health.Client(wrapping: client).check(
        request: ClientRequest(message: HealthCheckRequest()))
      #expect(health.status == .serving)
    }
  }

  @Test("a valid token reaches the handler as Principal.current; tokens of other validators work too")
  func valid() async throws {
    try await withServer { client in
      for issuer in 0..<2 {
        let token = try await token(.clinician, issuer: issuer)
        let user = try await call(
          client, HealthChain.Method.WhoAmI.descriptor, WhoAmIRequest(), authorization: ["Bearer \(token)"])
        #expect(user.username == "alice" && user.role == .clinician)
      }
      let lower = try await token(.admin)
      let user = try await call(
        client, HealthChain.Method.CreateUser.descriptor, CreateUserRequest(),
        authorization: ["bearer  \(lower)"])
      #expect(user.role == .admin)
    }
  }

  @Test("the principal reaches the producer of a streaming response")
  func streaming() async throws {
    try await withServer { client in
      let token = try await token(.auditor)
      var metadata: Metadata = [:]
      metadata.addString("Bearer \(token)", forKey: "authorization")
      let names = try await client.serverStreaming(
        request: ClientRequest(message: ListTBlocksRequest(), metadata: metadata),
        descriptor: HealthChain.Method.ListTBlocks.descriptor,
        serializer: ProtobufCSerializer<ListTBlocksRequest>(),
        deserializer: ProtobufCDeserializer<User>(), options: .defaults
      ) { response in
        var names: [String] = []
        for try await user in response.messages { names.append(user.username) }
        return names
      }
      #expect(names == ["alice", "alice"])
    }
  }

  @Test("UNAUTHENTICATED with a precise message")
  func unauthenticated() async throws {
    let expired = try await token(.patient, at: Date().addingTimeInterval(-7200))
    let early = try await token(.patient, at: Date().addingTimeInterval(3600))
    let foreign = try await token(.patient, chainID: "other-net")
    let good = try await token(.patient)
    let parts = good.split(separator: ".")
    let forged = "\(parts[0]).\(parts[1]).\(String(parts[2].reversed()))"
    let cases: [([String], String)] = [
      (
        [],
        "missing authorization metadata: call sehc.v1.HealthChain/Login and send \"authorization: Bearer <token>\""
      ),
      (["Basic YWxpY2U6cHc="], "authorization metadata must be \"Bearer <token>\""),
      (["Bearer"], "authorization metadata must be \"Bearer <token>\""),
      (["Bearer \(good)", "Bearer \(good)"], "2 authorization entries; send exactly one"),
      (["Bearer not-a-token"], "malformed token: "),
      (["Bearer \(expired)"], "token expired at "),
      (["Bearer \(early)"], "token is not valid before "),
      (["Bearer \(forged)"], "token signature does not verify"),
      (["Bearer \(foreign)"], "token is for network other-net, not sehc-test"),
    ]
    try await withServer { client in
      for (authorization, expected) in cases {
        let result = await status(
          client, HealthChain.Method.WhoAmI.descriptor, WhoAmIRequest(), authorization: authorization)
        #expect(result?.0 == .unauthenticated, "\(authorization): \(String(describing: result))")
        #expect(result?.1.hasPrefix(expected) == true, "\(authorization): \(result?.1 ?? "ok")")
      }
    }
  }

  @Test("PERMISSION_DENIED for a role the table forbids, and for methods outside the table")
  func forbidden() async throws {
    try await withServer { client in
      let clinician = try await token(.clinician)
      var result = await status(
        client, HealthChain.Method.CreateUser.descriptor, CreateUserRequest(),
        authorization: ["Bearer \(clinician)"])
      #expect(result?.0 == .permissionDenied)
      #expect(result?.1 == "role clinician may not call sehc.v1.HealthChain/CreateUser; allowed roles: admin")
      result = await status(
        client, HealthChain.Method.GrantAccess.descriptor, GrantAccessRequest(),
        authorization: ["Bearer \(clinician)"])
      #expect(
        result?.1 == "role clinician may not call sehc.v1.HealthChain/GrantAccess; allowed roles: patient")
      let patient = try await token(.patient)
      _ = try await call(
        client, HealthChain.Method.GrantAccess.descriptor, GrantAccessRequest(),
        authorization: ["Bearer \(patient)"])

      result = await status(
        client, Peer.Method.FetchChunk.descriptor, FetchChunkRequest(), authorization: ["Bearer \(patient)"])
      #expect(result?.0 == .permissionDenied)
      #expect(result?.1 == "no role may call sehc.v1.Peer/FetchChunk on this port")
      result = await status(client, Peer.Method.FetchChunk.descriptor, FetchChunkRequest())
      #expect(result?.0 == .unauthenticated, "authentication comes first")
    }
  }

  @Test("the role table covers every HealthChain method and nothing else")
  func table() {
    let methods = Set(HealthChain.Method.descriptors.map(\.method))
    #expect(Set(AccessPolicy.healthChain.keys) == methods)
    #expect(AccessPolicy.access(for: HealthChain.Method.Login.descriptor) == .open)
    #expect(AccessPolicy.access(for: Health.Method.Watch.descriptor) == .open)
    #expect(AccessPolicy.access(for: ServerReflection.Method.ServerReflectionInfo.descriptor) == .open)
    #expect(AccessPolicy.access(for: Peer.Method.FetchChunk.descriptor) == nil)
    let open = AccessPolicy.healthChain.filter { $0.value == .open }.map(\.key)
    #expect(open == ["Login"])
  }
}

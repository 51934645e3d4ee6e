import Foundation
import GRPCCore
import GRPCInProcessTransport
import Testing
import Wire

@testable import Node

@Suite("Health service and status registry")
struct HealthTests {
  func withHealth(
    _ registry: HealthStatusRegistry, _ body: (Health.Client<InProcessTransport.Client>) async throws -> Void
  ) async throws {
    let transport = InProcessTransport()
    try await withGRPCServer(transport: transport.server, services: [HealthService(registry: registry)]) {
      _ in
      try await withGRPCClient(transport: transport.client) { client in
        try await body(Health.Client(wrapping: client))
      }
    }
  }

  @Test("Check: the registered status, NOT_FOUND for an unknown service")
  func check() async throws {
    let registry = HealthStatusRegistry(["": .serving, "sehc.v1.HealthChain": .notServing])
    try await withHealth(registry) { health in
      #expect(
        try await health.check(request: ClientRequest(message: HealthCheckRequest())).status == .serving)
      let service = HealthCheckRequest(service: "sehc.v1.HealthChain")
      #expect(try await health.check(request: ClientRequest(message: service)).status == .notServing)
      registry.setStatus(.serving, for: "sehc.v1.HealthChain")
      #expect(try await health.check(request: ClientRequest(message: service)).status == .serving)
      do {
        _ = try await health.check(request: ClientRequest(message: HealthCheckRequest(service: "no.Such")))
        Issue.record("expected NOT_FOUND")
      } catch let error as RPCError {
        #expect(error.code == .notFound && error.message == "unknown service \"no.Such\"")
      }
    }
  }

  @Test("Watch: the current status, then every change; unknown services start as SERVICE_UNKNOWN")
  func watch() async throws {
    let registry = HealthStatusRegistry(["": .notServing])
    try await withHealth(registry) { health in
      let seen = try await health.watch(request: ClientRequest(message: HealthCheckRequest())) { response in
        var seen: [HealthCheckResponse.ServingStatus] = []
        for try await message in response.messages {
          seen.append(message.status)
          switch seen.count {
          case 1: registry.setStatus(.serving, for: "")
          case 2:
            registry.setStatus(.serving, for: "")  // no change: not sent
            registry.setStatus(.notServing, for: "")
          default: return seen
          }
        }
        return seen
      }
      #expect(seen == [.notServing, .serving, .notServing])

      let unknown = try await health.watch(
        request: ClientRequest(message: HealthCheckRequest(service: "later"))
      ) { response in
        var seen: [HealthCheckResponse.ServingStatus] = []
        for try await message in response.messages {
          seen.append(message.status)
          if seen.count == 1 { registry.setStatus(.serving, for: "later") } else { return seen }
        }
        return seen
      }
      #expect(unknown == [.serviceUnknown, .serving])
    }
    #expect(registry.watcherCount == 0, "cancelled watches are forgotten")
  }

  @Test("shutDown: NOT_SERVING everywhere, then the watches end")
  func shutDown() async throws {
    let registry = HealthStatusRegistry(["": .serving, "a": .serving])
    try await withHealth(registry) { health in
      let seen = try await health.watch(request: ClientRequest(message: HealthCheckRequest(service: "a"))) {
        response in
        var seen: [HealthCheckResponse.ServingStatus] = []
        for try await message in response.messages {
          seen.append(message.status)
          if seen.count == 1 { registry.shutDown() }
        }
        return seen
      }
      #expect(seen == [.serving, .notServing])
      #expect(registry.status(for: "") == .notServing)
    }
  }
}

@Suite("Server reflection v1")
struct ReflectionTests {
  static let served = ["sehc.v1.HealthChain", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]
  let service = ReflectionService(services: served)

  func descriptor(_ name: String) -> Data {
    WireSchema.fileDescriptors.first { $0.name == name }!.bytes
  }

  func files(_ response: ServerReflectionResponse) -> [Data]? {
    guard case .fileDescriptorResponse(let files) = response.messageResponse else { return nil }
    return files.fileDescriptorProto
  }

  func errorOf(_ response: ServerReflectionResponse) -> ErrorResponse? {
    guard case .errorResponse(let error) = response.messageResponse else { return nil }
    return error
  }

  @Test("list_services: the served services, sorted")
  func listServices() {
    let response = service.answer(ServerReflectionRequest(host: "h", messageRequest: .listServices("*")))
    guard case .listServicesResponse(let list) = response.messageResponse else {
      Issue.record("no list")
      return
    }
    #expect(list.service.map(\.name) == Self.served.sorted())
    #expect(response.validHost == "h" && response.originalRequest?.host == "h")
  }

  @Test("file_by_filename: the file first, then each transitive dependency once")
  func byFilename() {
    let response = service.answer(
      ServerReflectionRequest(messageRequest: .fileByFilename("sehc/v1/healthchain.proto")))
    let expected = [
      "sehc/v1/healthchain.proto", "sehc/v1/common.proto", "sehc/v1/transaction.proto", "sehc/v1/block.proto",
      "sehc/v1/genesis.proto", "sehc/v1/state.proto",
    ].map(descriptor)
    #expect(files(response) == expected)
    let health = service.answer(
      ServerReflectionRequest(messageRequest: .fileByFilename("grpc/health/v1/health.proto")))
    #expect(files(health) == [descriptor("grpc/health/v1/health.proto")])
  }

  @Test("file_containing_symbol: messages, enums, services, methods")
  func bySymbol() {
    for (symbol, file) in [
      ("sehc.v1.HealthChain", "sehc/v1/healthchain.proto"),
      ("sehc.v1.HealthChain.Login", "sehc/v1/healthchain.proto"),
      ("sehc.v1.Role", "sehc/v1/common.proto"),
      ("grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"),
      ("sehc.v1.TBlock", "sehc/v1/block.proto"),
    ] {
      let response = service.answer(ServerReflectionRequest(messageRequest: .fileContainingSymbol(symbol)))
      #expect(files(response)?.first == descriptor(file), "\(symbol)")
      #expect(Set(files(response) ?? []).count == files(response)?.count, "each file once")
    }
    let block = service.answer(
      ServerReflectionRequest(messageRequest: .fileContainingSymbol("sehc.v1.TBlock")))
    #expect(
      files(block)
        == ["sehc/v1/block.proto", "sehc/v1/common.proto", "sehc/v1/transaction.proto"].map(descriptor))
  }

  @Test("errors: NOT_FOUND and INVALID_ARGUMENT")
  func errors() {
    let cases: [(ServerReflectionRequest.MessageRequest?, RPCError.Code, String)] = [
      (.fileByFilename("nope.proto"), .notFound, "no file \"nope.proto\" in this server's schema"),
      (
        .fileContainingSymbol("sehc.v1.Nope"), .notFound, "no symbol \"sehc.v1.Nope\" in this server's schema"
      ),
      (
        .fileContainingExtension(ExtensionRequest(containingType: "sehc.v1.TBlock", extensionNumber: 100)),
        .notFound, "no extension 100"
      ),
      (.allExtensionNumbersOfType("sehc.v1.Nope"), .notFound, "no message type \"sehc.v1.Nope\""),
      (nil, .invalidArgument, "the request sets none of"),
    ]
    for (request, code, message) in cases {
      let error = errorOf(service.answer(ServerReflectionRequest(messageRequest: request)))
      #expect(error?.errorCode == Int32(code.rawValue), "\(String(describing: request))")
      #expect(error?.errorMessage.hasPrefix(message) == true, "\(error?.errorMessage ?? "no error")")
    }
    let numbers = service.answer(
      ServerReflectionRequest(messageRequest: .allExtensionNumbersOfType("sehc.v1.TBlock")))
    #expect(
      numbers.messageResponse
        == .allExtensionNumbersResponse(ExtensionNumberResponse(baseTypeName: "sehc.v1.TBlock")))
  }

  @Test("over gRPC: one stream, several requests, errors do not end it")
  func overGRPC() async throws {
    let transport = InProcessTransport()
    let service = self.service
    try await withGRPCServer(transport: transport.server, services: [service]) { _ in
      try await withGRPCClient(transport: transport.client) { client in
        let reflection = ServerReflection.Client(wrapping: client)
        let requests: [ServerReflectionRequest] = [
          ServerReflectionRequest(messageRequest: .listServices("")),
          ServerReflectionRequest(messageRequest: .fileContainingSymbol("sehc.v1.Nope")),
          ServerReflectionRequest(messageRequest: .fileByFilename("sehc/v1/genesis.proto")),
        ]
        let responses = try await reflection.serverReflectionInfo(
          request: StreamingClientRequest { writer in try await writer.write(contentsOf: requests) }
        ) { response in
          var all: [ServerReflectionResponse] = []
          for try await message in response.messages { all.append(message) }
          return all
        }
        #expect(responses.count == 3)
        #expect(responses.map(\.originalRequest) == requests)
        #expect(errorOf(responses[1])?.errorCode == Int32(RPCError.Code.notFound.rawValue))
        #expect(files(responses[2]) == ["sehc/v1/genesis.proto", "sehc/v1/common.proto"].map(descriptor))
      }
    }
  }
}

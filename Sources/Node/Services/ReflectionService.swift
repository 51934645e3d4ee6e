import Foundation
import GRPCCore
import Wire

/// gRPC server reflection, version 1 (`grpc.reflection.v1.ServerReflection`), over the schema
/// compiled into `Wire` (``WireSchema``).
///
/// - `list_services`: the services this server offers (given at init), sorted.
/// - `file_by_filename`, `file_containing_symbol`: the file's serialized `FileDescriptorProto`
///   first, then each of its transitive dependencies once, dependencies before their dependents.
///   Symbols are messages, enums, services and methods (`package.Service.Method`).
/// - `file_containing_extension`, `all_extension_numbers_of_type`: the schema has no extensions, so
///   NOT_FOUND, and an empty list for a known message type.
/// - Unknown files and symbols get an `ErrorResponse` with NOT_FOUND, a request with nothing set
///   INVALID_ARGUMENT; the stream goes on.
public struct ReflectionService: ServerReflection.SimpleServiceProtocol {
  private let services: [String]
  private let files: [String: Data]
  private let order: [String: Int]
  private let dependencies: [String: [String]]
  private let symbols: [String: String]

  /// The services of the client port: HealthChain, health and reflection.
  public static let clientPortServices = [
    HealthChain.descriptor.fullyQualifiedService, Health.descriptor.fullyQualifiedService,
    ServerReflection.descriptor.fullyQualifiedService,
  ]

  /// Reflection for a server offering `services` (fully qualified names).
  public init(services: [String] = clientPortServices) {
    self.services = services.sorted()
    var files: [String: Data] = [:]
    var order: [String: Int] = [:]
    for (index, file) in WireSchema.fileDescriptors.enumerated() {
      files[file.name] = file.bytes
      order[file.name] = index
    }
    self.files = files
    self.order = order
    dependencies = WireSchema.fileDependencies
    symbols = WireSchema.symbolFiles
  }

  public func serverReflectionInfo(
    request: RPCAsyncSequence<ServerReflectionRequest, any Error>,
    response: RPCWriter<ServerReflectionResponse>,
    context: ServerContext
  ) async throws {
    for try await message in request {
      try await response.write(answer(message))
    }
  }

  /// The response to one request.
  func answer(_ request: ServerReflectionRequest) -> ServerReflectionResponse {
    var reply = ServerReflectionResponse(validHost: request.host, originalRequest: request)
    switch request.messageRequest {
    case .listServices:
      reply.messageResponse = .listServicesResponse(
        ListServiceResponse(service: services.map { ServiceResponse(name: $0) }))
    case .fileByFilename(let name):
      reply.messageResponse =
        files[name] == nil
        ? error(.notFound, "no file \"\(name)\" in this server's schema")
        : .fileDescriptorResponse(FileDescriptorResponse(fileDescriptorProto: withDependencies(name)))
    case .fileContainingSymbol(let symbol):
      if let name = symbols[symbol] {
        reply.messageResponse = .fileDescriptorResponse(
          FileDescriptorResponse(fileDescriptorProto: withDependencies(name)))
      } else {
        reply.messageResponse = error(.notFound, "no symbol \"\(symbol)\" in this server's schema")
      }
    case .fileContainingExtension(let extensionRequest):
      reply.messageResponse = error(
        .notFound,
        "no extension \(extensionRequest.extensionNumber) of \"\(extensionRequest.containingType)\"; "
          + "this server's schema has no extensions")
    case .allExtensionNumbersOfType(let type):
      reply.messageResponse =
        WireSchema.registry.types[type] == nil
        ? error(.notFound, "no message type \"\(type)\" in this server's schema")
        : .allExtensionNumbersResponse(ExtensionNumberResponse(baseTypeName: type, extensionNumber: []))
    case nil:
      reply.messageResponse = error(
        .invalidArgument,
        "the request sets none of list_services, file_by_filename, file_containing_symbol, "
          + "file_containing_extension, all_extension_numbers_of_type")
    }
    return reply
  }

  /// `name`'s descriptor, then its transitive dependencies (each once, in the schema's dependency
  /// order).
  func withDependencies(_ name: String) -> [Data] {
    var seen: Set<String> = [name]
    var stack = [name]
    while let next = stack.popLast() {
      for dependency in dependencies[next] ?? [] where !seen.contains(dependency) {
        seen.insert(dependency)
        stack.append(dependency)
      }
    }
    let rest = seen.subtracting([name]).sorted { (order[$0] ?? .max, $0) < (order[$1] ?? .max, $1) }
    return ([name] + rest).compactMap { files[$0] }
  }

  private func error(_ code: RPCError.Code, _ message: String) -> ServerReflectionResponse.MessageResponse {
    .errorResponse(ErrorResponse(errorCode: Int32(code.rawValue), errorMessage: message))
  }
}

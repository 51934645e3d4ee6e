import GRPCCore
import Wire

/// `grpc.health.v1.Health` over a ``HealthStatusRegistry``.
///
/// Check answers the registered status, or NOT_FOUND for a service the registry does not know.
/// Watch sends the current status (SERVICE_UNKNOWN for an unknown service) and then every change,
/// until the client cancels or ``HealthStatusRegistry/shutDown()`` ends the watches (call it before
/// a graceful server shutdown, which waits for open calls).
public struct HealthService: Health.SimpleServiceProtocol {
  private let registry: HealthStatusRegistry

  /// A service answering from `registry`.
  public init(registry: HealthStatusRegistry) {
    self.registry = registry
  }

  public func check(request: HealthCheckRequest, context: ServerContext) async throws -> HealthCheckResponse {
    guard let status = registry.status(for: request.service) else {
      throw RPCError(code: .notFound, message: "unknown service \"\(request.service)\"")
    }
    return HealthCheckResponse(status: status)
  }

  public func watch(
    request: HealthCheckRequest, response: RPCWriter<HealthCheckResponse>, context: ServerContext
  ) async throws {
    let updates = registry.updates(for: request.service)
    // gRPC reports a cancelled call through the context's handle, not by cancelling this task: race
    // the updates against it so that a client hanging up ends the watch.
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        var last: HealthCheckResponse.ServingStatus?
        for await status in updates where status != last {
          try await response.write(HealthCheckResponse(status: status))
          last = status
        }
      }
      group.addTask { try await context.cancellation.cancelled }
      try await group.next()
      group.cancelAll()
    }
  }
}

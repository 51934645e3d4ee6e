import Foundation
import GRPCCore
import Wire

/// The client API of a node: every RPC of `sehc.v1.HealthChain` (healthchain.proto, docs/api.md) over
/// a ``ChainBackend``.
///
/// Serve it behind an ``AuthInterceptor``, which authenticates every call but Login and applies the
/// role table; the handlers read the caller from ``Principal/current`` and apply the ledger's rules
/// (grants, patients, authors) on top:
///
/// ```swift
/// let service = try HealthChainService(
///   backend: runtime, authenticator: Authenticator(users: users, issuer: issuer, shardCount: k),
///   uploadDirectory: dataDirectory + "/uploads")
/// let interceptor = AuthInterceptor(verifier: try await TokenVerifier(genesis: genesis, leewaySeconds: 30))
/// try await withGRPCServer(transport: transport, services: [service, health, reflection],
///                          interceptors: [interceptor]) { _ in ... }
/// ```
///
/// Every refused call fails with a precise status (INVALID_ARGUMENT with the ledger's reason for a
/// transaction its rules refuse, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION, RESOURCE_EXHAUSTED,
/// UNAVAILABLE) and submits nothing.
public struct HealthChainService: HealthChain.SimpleServiceProtocol {
  let context: APIContext

  /// The service over `backend`, with the node's users and token issuer in `authenticator`, keeping
  /// upload sessions' tickets in `uploadDirectory`.
  public init(
    backend: any ChainBackend, authenticator: Authenticator, uploadDirectory: String,
    configuration: HealthChainConfiguration = HealthChainConfiguration(),
    clock: @escaping @Sendable () -> Date = { Date() }
  ) throws {
    context = try APIContext(
      backend: backend, authenticator: authenticator, uploads: UploadRegistry(directory: uploadDirectory),
      configuration: configuration, clock: clock)
  }

  var pipeline: TransactionPipeline { TransactionPipeline(context: context) }
  var waiter: TransactionWaiter { TransactionWaiter(context: context) }

  /// Runs a handler body, turning store and backend errors into statuses.
  func handle<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw APIError.map(error, doing: what) }
  }
}

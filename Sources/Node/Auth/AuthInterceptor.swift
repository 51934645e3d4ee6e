import Foundation
import GRPCCore
import Metrics

/// Authenticates and authorizes every call on the client port.
///
/// Open methods (``AccessPolicy``: Login, health, reflection) pass untouched. Every other call must
/// carry exactly one `authorization: Bearer <token>` metadata entry with a token that
/// ``TokenVerifier`` accepts; otherwise the call ends with UNAUTHENTICATED and a message that says
/// what is wrong. A valid token whose role the table does not allow for the method ends with
/// PERMISSION_DENIED. Accepted calls run with ``Principal/current`` set, including the producer of
/// a streaming response, which runs after this interceptor has returned.
public struct AuthInterceptor: ServerInterceptor {
  private let verifier: TokenVerifier
  private let clock: @Sendable () -> Date
  private let access: @Sendable (MethodDescriptor) -> MethodAccess?

  /// An interceptor checking tokens with `verifier` at the time `clock` gives, against the role
  /// table `access` (``AccessPolicy/access(for:)`` unless a test supplies another).
  public init(
    verifier: TokenVerifier, clock: @escaping @Sendable () -> Date = { Date() },
    access: @escaping @Sendable (MethodDescriptor) -> MethodAccess? = AccessPolicy.access(for:)
  ) {
    self.verifier = verifier
    self.clock = clock
    self.access = access
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next:
      @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let method = context.descriptor
    guard let rule = access(method) else {
      _ = try await authenticate(request.metadata, method: method)
      throw deny("no role may call \(method.fullyQualifiedMethod) on this port")
    }
    if rule == .open { return try await next(request, context) }
    let principal = try await authenticate(request.metadata, method: method)
    guard rule.allows(principal.role) else {
      var allowed = ""
      if case .roles(let roles) = rule { allowed = roles.map(\.name).sorted().joined(separator: ", ") }
      throw deny(
        "role \(principal.role.name) may not call \(method.fullyQualifiedMethod); allowed roles: \(allowed)")
    }
    var response = try await Principal.$current.withValue(principal) { try await next(request, context) }
    if case .success(var contents) = response.accepted {
      let producer = contents.producer
      contents.producer = { writer in
        try await Principal.$current.withValue(principal) { try await producer(writer) }
      }
      response.accepted = .success(contents)
    }
    return response
  }

  /// The principal of the single `authorization: Bearer` entry of `metadata`.
  private func authenticate(_ metadata: Metadata, method: MethodDescriptor) async throws -> Principal {
    let values = Array(metadata[stringValues: "authorization"])
    guard !values.isEmpty else {
      throw refuse(
        "missing authorization metadata: call sehc.v1.HealthChain/Login and send \"authorization: Bearer <token>\"",
        reason: "missing")
    }
    guard values.count == 1 else {
      throw refuse("\(values.count) authorization entries; send exactly one", reason: "malformed")
    }
    let parts = values[0].split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
      throw refuse("authorization metadata must be \"Bearer <token>\"", reason: "malformed")
    }
    do {
      return try await verifier.verify(String(parts[1]).trimmingCharacters(in: .whitespaces), now: clock())
    } catch {
      throw refuse(error.description, reason: Self.metricReason(error))
    }
  }

  private func refuse(_ message: String, reason: String) -> RPCError {
    Counter(label: "sehc_auth_refused_total", dimensions: [("reason", reason)]).increment()
    return RPCError(code: .unauthenticated, message: message)
  }

  private func deny(_ message: String) -> RPCError {
    Counter(label: "sehc_auth_refused_total", dimensions: [("reason", "forbidden")]).increment()
    return RPCError(code: .permissionDenied, message: message)
  }

  private static func metricReason(_ error: TokenError) -> String {
    switch error {
    case .expired: return "expired"
    case .notYetValid: return "not_yet_valid"
    case .badSignature, .issuerMismatch: return "bad_signature"
    case .unknownIssuer, .missingKeyID: return "unknown_issuer"
    case .wrongAudience: return "wrong_chain"
    case .unsupportedAlgorithm: return "bad_algorithm"
    case .malformed, .missingClaim: return "malformed"
    }
  }
}

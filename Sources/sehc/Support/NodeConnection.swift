import Foundation
import GRPCCore
import RPC
import TLS
import Wire

/// A TLS connection to a node's client port (`HealthChain`), trusting the consortium CA.
struct NodeConnection {
  /// The node's `host:port`.
  var endpoint: String
  /// The CA certificate file.
  var caFile: String
  /// The server name checked against the node's certificate (default: the host).
  var serverName: String?

  /// Runs `body` with a client of the node; the connection closes when `body` returns.
  func withClient<Result: Sendable>(
    _ body: @Sendable (HealthChain.Client<RPCClientTransport>) async throws -> Result
  ) async throws -> Result {
    try await withGRPCClient { client in try await body(HealthChain.Client(wrapping: client)) }
  }

  /// Runs `body` with a gRPC client of the node (for calls made by descriptor).
  func withGRPCClient<Result: Sendable>(
    _ body: @Sendable (GRPCClient<RPCClientTransport>) async throws -> Result
  ) async throws -> Result {
    guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...])
    else {
      throw CommandFailure.usage("\(endpoint) is not HOST:PORT")
    }
    let host = String(endpoint[..<colon])
    let tls: TLSConfiguration
    do {
      tls = try TLSConfiguration.fromPEMFiles(certificateChain: nil, privateKey: nil, trustRoots: caFile)
    } catch {
      throw CommandFailure.noInput("cannot use the CA certificate \(caFile): \(error.reason)")
    }
    let transport = try RPCClientTransport(
      host: host, port: port, tls: tls, serverHostname: serverName ?? host)
    return try await GRPCCore.withGRPCClient(transport: transport) { client in try await body(client) }
  }
}

/// Call metadata carrying a session token.
func bearer(_ token: String) -> Metadata {
  ["authorization": "Bearer \(token)"]
}

import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import RPC
import TLS
import TransportTestSupport

let pki = TestPKI.shared

/// Method descriptors of the raw-bytes test service `sehc.test.Echo`.
enum Echo {
  static let service = ServiceDescriptor(fullyQualifiedService: "sehc.test.Echo")
  static let unary = MethodDescriptor(service: service, method: "Unary")
  static let collect = MethodDescriptor(service: service, method: "Collect")
  static let expand = MethodDescriptor(service: service, method: "Expand")
  static let chat = MethodDescriptor(service: service, method: "Chat")
  static let sleep = MethodDescriptor(service: service, method: "Sleep")
  static let big = MethodDescriptor(service: service, method: "Big")
  static let peer = MethodDescriptor(service: service, method: "Peer")
  static let fail = MethodDescriptor(service: service, method: "Fail")
  static let unknown = MethodDescriptor(service: service, method: "NoSuchMethod")
}

/// What the server's handlers observed (cancellations, peers), for assertions.
final class ServerObservations: Sendable {
  let cancelled = LockedBox<[String]>([])
  let started = LockedBox<[String]>([])
  let peers = LockedBox<[AuthenticatedPeer?]>([])
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The raw-bytes test service:
/// - Unary: echoes the message; echoes `x-*` request metadata as initial metadata and adds a
///   binary trailer `x-trailer-bin` = [1, 2, 255].
/// - Collect: client streaming, answers the concatenation.
/// - Expand: server streaming, the request is "count,size[,pause ms]": count messages of size bytes.
/// - Chat: bidirectional echo.
/// - Sleep: sleeps the number of milliseconds in the request (records cancellation).
/// - Big: answers a message of the requested size.
/// - Peer: answers the client's leaf certificate (DER) from the peer registry.
/// - Fail: throws RPCError with the code and message "code:message".
struct EchoService: RegistrableRPCService {
  let registry: PeerRegistry
  let observations: ServerObservations

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    let de = RawBytesDeserializer()
    let se = RawBytesSerializer()
    let observations = self.observations
    let registry = self.registry
    router.registerHandler(forMethod: Echo.unary, deserializer: de, serializer: se) { request, _ in
      var echoed = Metadata()
      for (key, value) in request.metadata where key.hasPrefix("x-") {
        switch value {
        case .string(let text): echoed.addString(text, forKey: key)
        case .binary(let bytes): echoed.addBinary(bytes, forKey: key)
        }
      }
      let initial = echoed
      return StreamingServerResponse(metadata: initial) { writer in
        for try await message in request.messages { try await writer.write(message) }
        return ["x-trailer-bin": .binary([1, 2, 255])]
      }
    }
    router.registerHandler(forMethod: Echo.collect, deserializer: de, serializer: se) { request, _ in
      StreamingServerResponse { writer in
        var all: [UInt8] = []
        for try await message in request.messages { all += message }
        try await writer.write(all)
        return [:]
      }
    }
    router.registerHandler(forMethod: Echo.expand, deserializer: de, serializer: se) { request, _ in
      StreamingServerResponse { writer in
        for try await message in request.messages {
          let parts = text(message).split(separator: ",").compactMap { Int($0) }
          do {
            for i in 0..<parts[0] {
              try await writer.write([UInt8](repeating: UInt8(truncatingIfNeeded: i), count: parts[1]))
              if parts.count > 2 { try await Task.sleep(for: .milliseconds(parts[2])) }
            }
          } catch {
            observations.cancelled.withValue { $0.append("Expand") }
            throw error
          }
        }
        return [:]
      }
    }
    router.registerHandler(forMethod: Echo.chat, deserializer: de, serializer: se) { request, _ in
      StreamingServerResponse { writer in
        for try await message in request.messages { try await writer.write(message) }
        return [:]
      }
    }
    router.registerHandler(forMethod: Echo.sleep, deserializer: de, serializer: se) { request, _ in
      StreamingServerResponse { writer in
        for try await message in request.messages {
          // grpc-swift does not cancel the handler's task when the RPC is cancelled (deadline,
          // RST_STREAM): a handler that waits has to listen for it.
          observations.started.withValue { $0.append("Sleep") }
          let sleep = Task { try await Task.sleep(for: .milliseconds(Int(text(message)) ?? 0)) }
          do {
            try await withRPCCancellationHandler {
              try await sleep.value
            } onCancelRPC: {
              sleep.cancel()
            }
          } catch {
            observations.cancelled.withValue { $0.append("Sleep") }
            // Cancelled by the deadline (grpc-timeout) or by the client's RST_STREAM: in the
            // second case nobody reads the status.
            throw RPCError(code: .deadlineExceeded, message: "cancelled while sleeping")
          }
          try await writer.write(message)
        }
        return [:]
      }
    }
    router.registerHandler(forMethod: Echo.big, deserializer: de, serializer: se) { request, _ in
      StreamingServerResponse { writer in
        for try await message in request.messages {
          try await writer.write([UInt8](repeating: 7, count: Int(text(message)) ?? 0))
        }
        return [:]
      }
    }
    router.registerHandler(forMethod: Echo.peer, deserializer: de, serializer: se) { request, context in
      let peer = registry.peer(for: context)
      observations.peers.withValue { $0.append(peer) }
      return StreamingServerResponse { writer in
        for try await _ in request.messages {}
        try await writer.write(peer?.leafCertificate ?? [])
        return [:]
      }
    }
    router.registerHandler(forMethod: Echo.fail, deserializer: de, serializer: se) { request, _ in
      StreamingServerResponse { writer in
        for try await message in request.messages {
          let parts = text(message).split(separator: ":", maxSplits: 1)
          throw RPCError(
            code: RPCError.Code(Status.Code(rawValue: Int(parts[0]) ?? 2) ?? .unknown) ?? .unknown,
            message: parts.count > 1 ? String(parts[1]) : "")
        }
        return [:]
      }
    }
  }
}

func serverTLS(clientCertificate: PeerCertificateVerification = .required) throws -> TLSConfiguration {
  try TLSConfiguration.fromPEMFiles(
    certificateChain: pki.serverCertificate, privateKey: pki.serverKey, trustRoots: pki.caCertificate,
    peerVerification: clientCertificate)
}

func clientTLS(certificate: String? = pki.clientCertificate, key: String? = pki.clientKey) throws
  -> TLSConfiguration
{
  try TLSConfiguration.fromPEMFiles(
    certificateChain: certificate, privateKey: key, trustRoots: pki.caCertificate)
}

/// Runs `body` with a gRPC server over our TLS on an ephemeral loopback port, then stops it.
func withTestServer<R: Sendable>(
  port: Int = 0,
  tls: TLSConfiguration? = nil,
  config: RPCServerTransport.Config = .defaults,
  _ body: (_ port: Int, _ observations: ServerObservations) async throws -> R
) async throws -> R {
  let transport = try RPCServerTransport(
    host: "127.0.0.1", port: port, tls: tls ?? serverTLS(), config: config)
  let observations = ServerObservations()
  return try await withGRPCServer(
    transport: transport, services: [EchoService(registry: transport.peers, observations: observations)]
  ) { _ in
    guard let port = await transport.listeningPort else {
      throw RPCError(code: .internalError, message: "no port")
    }
    return try await body(port, observations)
  }
}

/// Like `withTestServer(port:)` on a fixed port, retrying the bind for a while: a parallel test's
/// outgoing connection may hold that port number for a moment.
func withTestServerRetryingBind(port: Int, _ body: () async throws -> Void) async throws {
  for attempt in 1...50 {
    do {
      try await withTestServer(port: port) { _, _ in try await body() }
      return
    } catch let error as RPCError where error.message == "no port" && attempt < 50 {
      try await Task.sleep(for: .milliseconds(100))
    } catch is IOError where attempt < 50 {  // EADDRINUSE from bind
      try await Task.sleep(for: .milliseconds(100))
    }
  }
}

/// Runs `body` with a client over our TLS connected to `port`.
func withTestClient<R: Sendable>(
  port: Int,
  tls: TLSConfiguration? = nil,
  config: RPCClientTransport.Config = .defaults,
  _ body: (GRPCClient<RPCClientTransport>, RPCClientTransport) async throws -> R
) async throws -> R {
  let transport = try RPCClientTransport(
    host: "127.0.0.1", port: port, tls: tls ?? clientTLS(), serverHostname: "localhost", config: config)
  return try await withGRPCClient(transport: transport) { client in try await body(client, transport) }
}

extension GRPCClient {
  /// A unary raw-bytes call that returns the response message (throwing the RPCError otherwise).
  func call(
    _ method: MethodDescriptor, _ message: [UInt8], metadata: Metadata = [:], options: CallOptions = .defaults
  ) async throws -> [UInt8] {
    try await unary(
      request: ClientRequest(message: message, metadata: metadata), descriptor: method,
      serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(), options: options
    ) { try $0.message }
  }
}

/// The RPCError that `body` throws (nil if it succeeds or throws something else).
func rpcError(_ body: () async throws -> some Any) async -> RPCError? {
  do {
    _ = try await body()
    return nil
  } catch let error as RPCError {
    return error
  } catch {
    return RPCError(code: .unknown, message: "not an RPCError: \(error)")
  }
}

/// The root of the package (for the Python interop scripts and the virtual environment).
let packageRoot: URL = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url
}()

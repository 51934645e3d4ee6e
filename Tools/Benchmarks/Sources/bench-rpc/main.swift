// bench-rpc: our gRPC server and client over OpenSSL (RPC + TLS modules) against grpc-swift's
// stock HTTP2ServerTransport.Posix / HTTP2ClientTransport.Posix over NIOSSL, in the same process,
// with the same certificates (mutual TLS 1.3), the same raw-bytes serializer and the same service.
//
//   unary: calls per second, 32-byte messages, 64 concurrent calls on one connection
//   streaming: client-streaming upload of 1 MiB messages, MB/s
//
// Environment: BENCH_SECONDS (default 2) is the length of one timed round; the best of
// BENCH_ROUNDS (default 3) rounds is reported, ours and the anchor alternating.
import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import RPC
import TLS

let environment = ProcessInfo.processInfo.environment
let roundSeconds = Double(environment["BENCH_SECONDS"] ?? "") ?? 2
let rounds = Int(environment["BENCH_ROUNDS"] ?? "") ?? 3
let concurrency = 64
let smallMessage = [UInt8](repeating: 0x2A, count: 32)
let bigMessage = [UInt8](repeating: 0x5A, count: 1 << 20)

let service = ServiceDescriptor(fullyQualifiedService: "sehc.bench.Bench")
let unaryMethod = MethodDescriptor(service: service, method: "Unary")
let uploadMethod = MethodDescriptor(service: service, method: "Upload")

/// Echo for unary; byte count for uploads.
struct BenchService: RegistrableRPCService {
  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerHandler(
      forMethod: unaryMethod, deserializer: RawBytesDeserializer(), serializer: RawBytesSerializer()
    ) { request, _ in
      StreamingServerResponse { writer in
        for try await message in request.messages { try await writer.write(message) }
        return [:]
      }
    }
    router.registerHandler(
      forMethod: uploadMethod, deserializer: RawBytesDeserializer(), serializer: RawBytesSerializer()
    ) { request, _ in
      StreamingServerResponse { writer in
        var total = 0
        for try await message in request.messages { total += message.count }
        try await writer.write(Array(String(total).utf8))
        return [:]
      }
    }
  }
}

// MARK: Certificates (openssl CLI, like `sehc cert issue` would make them)

func openssl(_ arguments: [String], in directory: String) throws {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["openssl"] + arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw RPCError(code: .internalError, message: "openssl \(arguments.first ?? "") failed")
  }
}

func makePKI() throws -> String {
  let directory = NSTemporaryDirectory() + "sehc-bench-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  let key = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"]
  try openssl(key + ["ca.key"], in: directory)
  try openssl(
    ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Bench CA", "-days", "2", "-out", "ca.pem"],
    in: directory)
  for (name, san) in [("server", "DNS:localhost,IP:127.0.0.1"), ("client", "DNS:bench-client")] {
    try openssl(key + ["\(name).key"], in: directory)
    try openssl(
      ["req", "-new", "-key", "\(name).key", "-subj", "/CN=\(name)", "-out", "\(name).csr"], in: directory)
    try "subjectAltName=\(san)\nextendedKeyUsage=serverAuth,clientAuth\n".write(
      toFile: directory + "/\(name).ext", atomically: true, encoding: .utf8)
    try openssl(
      [
        "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days",
        "2",
        "-extfile", "\(name).ext", "-out", "\(name).pem",
      ], in: directory)
  }
  return directory
}

// MARK: Workloads

/// Unary calls completed per second by `concurrency` concurrent callers during `roundSeconds`.
func unaryRate<T: ClientTransport>(_ client: GRPCClient<T>) async throws -> Double {
  let deadline = ContinuousClock.now + .milliseconds(Int(roundSeconds * 1000))
  let start = ContinuousClock.now
  let total = try await withThrowingTaskGroup(of: Int.self) { group in
    for _ in 0..<concurrency {
      group.addTask {
        var calls = 0
        while ContinuousClock.now < deadline {
          let reply = try await client.unary(
            request: ClientRequest(message: smallMessage), descriptor: unaryMethod,
            serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(), options: .defaults
          ) { try $0.message }
          precondition(reply.count == smallMessage.count)
          calls += 1
        }
        return calls
      }
    }
    return try await group.reduce(0, +)
  }
  return Double(total) / (ContinuousClock.now - start).seconds
}

/// MB/s of 1 MiB messages uploaded on one client-streaming call during `roundSeconds`.
func uploadRate<T: ClientTransport>(_ client: GRPCClient<T>) async throws -> Double {
  let deadline = ContinuousClock.now + .milliseconds(Int(roundSeconds * 1000))
  let start = ContinuousClock.now
  let received = try await client.clientStreaming(
    request: StreamingClientRequest { writer in
      while ContinuousClock.now < deadline { try await writer.write(bigMessage) }
    },
    descriptor: uploadMethod, serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(),
    options: .defaults
  ) { Int(String(decoding: try $0.message, as: UTF8.self)) ?? 0 }
  return Double(received) / (ContinuousClock.now - start).seconds / 1_000_000
}

struct Figures: Sendable {
  var unary: Double = 0
  var upload: Double = 0

  mutating func keepBest(_ other: Figures) {
    unary = max(unary, other.unary)
    upload = max(upload, other.upload)
  }
}

/// Runs both workloads once against a server on `transport` with a client made by `makeClient`.
func run<S: ServerTransport, C: ClientTransport>(
  server transport: S, port: @escaping @Sendable () async -> Int?, client makeClient: (Int) throws -> C
) async throws -> Figures {
  var figures = Figures()
  let server = GRPCServer(transport: transport, services: [BenchService()])
  try await withThrowingDiscardingTaskGroup { group in
    group.addTask { try await server.serve() }
    guard let port = await port() else {
      throw RPCError(code: .internalError, message: "server did not start")
    }
    let clientTransport = try makeClient(port)
    let client = GRPCClient(transport: clientTransport)
    group.addTask { try await client.runConnections() }
    _ = try await unaryRate(client)  // warm-up: connection, TLS, HTTP/2 windows
    figures.unary = try await unaryRate(client)
    figures.upload = try await uploadRate(client)
    client.beginGracefulShutdown()
    server.beginGracefulShutdown()
  }
  return figures
}

func main() async throws {
  let pki = try makePKI()
  defer { try? FileManager.default.removeItem(atPath: pki) }
  let ours = try TLSConfiguration.fromPEMFiles(
    certificateChain: pki + "/server.pem", privateKey: pki + "/server.key", trustRoots: pki + "/ca.pem")
  let oursClient = try TLSConfiguration.fromPEMFiles(
    certificateChain: pki + "/client.pem", privateKey: pki + "/client.key", trustRoots: pki + "/ca.pem")

  var oursFigures = Figures()
  var clientConfig = RPCClientTransport.Config.defaults
  if let delay = environment["BENCH_CLIENT_FLUSH_DELAY_US"].flatMap(Int.init) {
    clientConfig.flushCoalescingDelay = delay > 0 ? .microseconds(delay) : nil
  }
  var stockFigures = Figures()
  for round in 1...rounds {
    print("round \(round)/\(rounds): ours (OpenSSL)...", terminator: " ")
    let server = try RPCServerTransport(host: "127.0.0.1", port: 0, tls: ours)
    oursFigures.keepBest(
      try await run(
        server: server, port: { await server.listeningPort },
        client: { port in
          try RPCClientTransport(
            host: "127.0.0.1", port: port, tls: oursClient, serverHostname: "localhost", config: clientConfig)
        }))
    print("stock (NIOSSL)...")
    let stockServer = HTTP2ServerTransport.Posix(
      address: .ipv4(host: "127.0.0.1", port: 0),
      transportSecurity: .mTLS(
        certificateChain: [.file(path: pki + "/server.pem", format: .pem)],
        privateKey: .file(path: pki + "/server.key", format: .pem)
      ) { config in
        config.trustRoots = .certificates([.file(path: pki + "/ca.pem", format: .pem)])
        config.requireALPN = true
      })
    stockFigures.keepBest(
      try await run(
        server: stockServer, port: { try? await stockServer.listeningAddress.ipv4?.port },
        client: { port in
          try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port),
            transportSecurity: .mTLS(
              certificateChain: [.file(path: pki + "/client.pem", format: .pem)],
              privateKey: .file(path: pki + "/client.key", format: .pem)
            ) { config in
              config.trustRoots = .certificates([.file(path: pki + "/ca.pem", format: .pem)])
            })
        }))
  }

  let anchor = "grpc-swift Posix/NIOSSL"
  let met = report(
    "gRPC over TLS 1.3 with mutual TLS, loopback (ours: RPC over OpenSSL; anchor: \(anchor))",
    [
      Comparison(
        name: "unary calls/s (32 B, \(concurrency) concurrent)", unit: "calls/s", ours: oursFigures.unary,
        anchor: stockFigures.unary, anchorName: anchor, target: 1.0),
      Comparison(
        name: "client streaming (1 MiB messages)", unit: "MB/s", ours: oursFigures.upload,
        anchor: stockFigures.upload, anchorName: anchor, target: 1.0),
    ])
  if !met { print("(a target was missed)") }
}

try await main()

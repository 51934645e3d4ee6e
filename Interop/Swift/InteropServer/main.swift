// interop-server: the grpc.testing TestService (InteropCases.InteropTestService) on our gRPC server
// transport over OpenSSL TLS, for grpc's interop clients.
//
//   interop-server --port N --use_tls=true --cert FILE --key FILE [--ca FILE --require_client_cert=true]
//                  [--host ADDRESS] [--server_id ID]
//
// Prints `listening on N` once it serves (N is the bound port; --port 0 picks a free one) and stops
// cleanly on SIGINT or SIGTERM: new calls are refused, open ones get 5 seconds to finish. Errors are
// one line on standard error with a sysexits(3) status: 64 usage, 66 an unreadable file, 69 a port
// that cannot be bound, 78 certificates or keys that do not work.
import Dispatch
import Foundation
import GRPCCore
import InteropCases
import RPC
import TLS

let command = "interop-server"
let usage = """
  usage: interop-server --port N --use_tls=true --cert FILE --key FILE \
  [--ca FILE --require_client_cert=true] [--host ADDRESS] [--server_id ID]
  """

/// What the command line asks for.
struct ServerOptions {
  var host: String
  var port: Int
  var tls: TLSConfiguration
  var serverID: String
}

func parseOptions(_ arguments: [String]) throws(CommandLineFailure) -> ServerOptions {
  let flags = try CommandLineFlags(
    arguments, known: ["port", "host", "use_tls", "cert", "key", "ca", "require_client_cert", "server_id"])
  guard let port = try flags.port("port") else { throw .usage("--port is required (0 picks a free port)") }
  guard try flags.bool("use_tls", default: true) else {
    throw .usage("--use_tls=false is not supported: the RPC server transport only serves TLS")
  }
  guard let certificate = try flags.inputFile("cert"), let key = try flags.inputFile("key") else {
    throw .usage("--cert and --key are required")
  }
  let ca = try flags.inputFile("ca")
  let requireClientCertificate = try flags.bool("require_client_cert", default: false)
  if requireClientCertificate && ca == nil {
    throw .usage("--require_client_cert=true needs --ca, the CA that client certificates must chain to")
  }
  // Like grpc's servers: with a CA, a client certificate is asked for and verified when one is sent.
  let verification: PeerCertificateVerification =
    requireClientCertificate ? .required : (ca == nil ? .none : .optional)
  let tls: TLSConfiguration
  do {
    tls = try TLSConfiguration.fromPEMFiles(
      certificateChain: certificate, privateKey: key, trustRoots: ca, peerVerification: verification)
  } catch {
    throw .noInput(error.reason)
  }
  return ServerOptions(
    host: flags.string("host") ?? "0.0.0.0", port: port, tls: tls,
    serverID: flags.string("server_id") ?? "sehc-interop-server")
}

/// Calls `handler` on SIGINT and SIGTERM (a parent may have started us with them blocked).
func onTerminationSignals(_ handler: @escaping @Sendable (String) -> Void) -> [any DispatchSourceSignal] {
  var unblock = sigset_t()
  sigemptyset(&unblock)
  sigaddset(&unblock, SIGINT)
  sigaddset(&unblock, SIGTERM)
  pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
  let queue = DispatchQueue(label: "interop-server.signals")
  return [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
    source.setEventHandler { handler(name) }
    source.resume()
    return source
  }
}

func serve(_ options: ServerOptions) async throws(CommandLineFailure) {
  let transport: RPCServerTransport
  do {
    transport = try RPCServerTransport(host: options.host, port: options.port, tls: options.tls)
  } catch {
    throw .configuration("cannot use the certificate, key or CA: \(error.reason)")
  }
  let server = GRPCServer(transport: transport, services: [InteropTestService(serverID: options.serverID)])
  let serving = Task { try await server.serve() }
  let signals = onTerminationSignals { name in
    FileHandle.standardError.write(Data("\(command): \(name): stopping\n".utf8))
    server.beginGracefulShutdown()
    Task {
      try? await Task.sleep(for: .seconds(5))
      serving.cancel()
    }
  }
  defer { signals.forEach { $0.cancel() } }
  if let port = await transport.listeningPort {
    FileHandle.standardOutput.write(Data("listening on \(port)\n".utf8))
  }
  do {
    try await serving.value
  } catch {
    throw .unavailable("cannot serve on \(options.host):\(options.port): \(error)")
  }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
  print(usage)
  exit(0)
}
do {
  try await serve(try parseOptions(arguments))
} catch {
  error.exit(command: command)
}

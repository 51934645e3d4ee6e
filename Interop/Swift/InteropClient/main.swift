// interop-client: grpc's portable interop cases (InteropCases.InteropClient) on our gRPC client
// transport over OpenSSL TLS, with the flags of grpc's interop clients.
//
//   interop-client --server_host=HOST --server_port=N --test_case=all|NAME[,NAME...]
//                  --use_tls=true (--ca_file=FILE | --use_test_ca=true --ca_file=FILE)
//                  [--server_host_override=NAME] [--client_cert_file=FILE --client_key_file=FILE]
//
// Prints `PASS name` or `FAIL name: why` per case and exits 0 only if every requested case passed
// (1 otherwise). Command-line errors are one line on standard error with a sysexits(3) status: 64
// usage, 66 an unreadable file, 78 certificates or keys that do not work.
import Foundation
import GRPCCore
import InteropCases
import RPC
import TLS

let command = "interop-client"
let usage = """
  usage: interop-client --server_host=HOST --server_port=N --test_case=all|NAME[,NAME...] \
  --use_tls=true --ca_file=FILE [--use_test_ca=true] [--server_host_override=NAME] \
  [--client_cert_file=FILE --client_key_file=FILE]
  cases: \(InteropCase.allCases.map(\.rawValue).joined(separator: ", "))
  """

/// What the command line asks for.
struct ClientOptions {
  var host: String
  var port: Int
  var serverName: String
  var tls: TLSConfiguration
  var cases: [InteropCase]
}

func parseOptions(_ arguments: [String]) throws(CommandLineFailure) -> ClientOptions {
  let flags = try CommandLineFlags(
    arguments,
    known: [
      "server_host", "server_port", "test_case", "use_tls", "use_test_ca", "ca_file", "server_host_override",
      "client_cert_file", "client_key_file",
    ])
  guard let port = try flags.port("server_port") else { throw .usage("--server_port is required") }
  let host = flags.string("server_host") ?? "localhost"
  guard try flags.bool("use_tls", default: true) else {
    throw .usage("--use_tls=false is not supported: the RPC client transport only speaks TLS")
  }
  // grpc's --use_test_ca picks its bundled test CA over the system store; this client never uses
  // the system store, so the CA always comes from --ca_file.
  _ = try flags.bool("use_test_ca", default: false)
  guard let ca = try flags.inputFile("ca_file") else {
    throw .usage("--ca_file is required: the server's certificate is verified against that CA only")
  }
  let certificate = try flags.inputFile("client_cert_file")
  let key = try flags.inputFile("client_key_file")
  guard (certificate == nil) == (key == nil) else {
    throw .usage("--client_cert_file and --client_key_file go together")
  }
  let names = (flags.string("test_case") ?? "all").split(separator: ",").map(String.init)
  var cases: [InteropCase] = []
  for name in names {
    if name == "all" {
      cases += InteropCase.allCases
    } else if let testCase = InteropCase(rawValue: name) {
      cases.append(testCase)
    } else {
      throw .usage("unknown test case '\(name)'")
    }
  }
  guard !cases.isEmpty else { throw .usage("--test_case names no case") }
  let tls: TLSConfiguration
  do {
    tls = try TLSConfiguration.fromPEMFiles(certificateChain: certificate, privateKey: key, trustRoots: ca)
  } catch {
    throw .noInput(error.reason)
  }
  return ClientOptions(
    host: host, port: port, serverName: flags.string("server_host_override") ?? host, tls: tls, cases: cases)
}

/// Runs every case (each limited to 30 seconds) and returns how many failed.
func runCases(_ options: ClientOptions) async throws(CommandLineFailure) -> Int {
  let transport: RPCClientTransport
  do {
    transport = try RPCClientTransport(
      host: options.host, port: options.port, tls: options.tls, serverHostname: options.serverName)
  } catch {
    throw .configuration("cannot use the CA or the client certificate and key: \(error.reason)")
  }
  do {
    return try await withGRPCClient(transport: transport) { client in
      let runner = InteropClient(client: client)
      var failures = 0
      for testCase in options.cases {
        do {
          try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run(testCase) }
            group.addTask {
              try await Task.sleep(for: .seconds(30))
              throw InteropCaseFailure("timed out after 30 s")
            }
            try await group.next()
            group.cancelAll()
          }
          say("PASS \(testCase.rawValue)")
        } catch {
          failures += 1
          say("FAIL \(testCase.rawValue): \(oneLine(error))")
        }
      }
      return failures
    }
  } catch {
    throw .unavailable("the client stopped: \(error)")
  }
}

/// Writes one line to standard output at once (unbuffered, for a reading parent process).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// An error's description on one line.
func oneLine(_ error: any Error) -> String {
  let text = (error as? RPCError).map { "\($0.code): \($0.message)" } ?? "\(error)"
  return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
  print(usage)
  exit(0)
}
do {
  let failures = try await runCases(try parseOptions(arguments))
  exit(failures == 0 ? 0 : 1)
} catch {
  error.exit(command: command)
}

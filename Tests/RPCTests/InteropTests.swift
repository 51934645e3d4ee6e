import Foundation
import GRPCCore
import InteropCases
import InteropWire
import RPC
import TLS
import Testing
import TransportTestSupport

let interopClientScript = packageRoot.appendingPathComponent("Interop/python/interop_client.py").path
let interopServerScript = packageRoot.appendingPathComponent("Interop/python/interop_server.py").path

@Suite(
  "The 14 portable interop cases, Swift ↔ stock grpcio",
  .enabled(
    if: FileManager.default.fileExists(atPath: venvPython), "needs .venv: Tools/scripts/setup.sh venv"),
  .timeLimit(.minutes(3)))
struct InteropTests {
  @Test(
    "grpcio interop client (Interop/python/interop_client.py) against our server", arguments: [false, true])
  func pythonClientAgainstSwiftServer(mutual: Bool) async throws {
    let transport = try RPCServerTransport(
      host: "127.0.0.1", port: 0, tls: try serverTLS(clientCertificate: mutual ? .required : .none))
    try await withGRPCServer(transport: transport, services: [InteropTestService()]) { _ in
      let port = try #require(await transport.listeningPort)
      var arguments = [
        interopClientScript, "--server_host=127.0.0.1", "--server_port=\(port)", "--test_case=all",
        "--use_tls=true", "--use_test_ca=true", "--ca_file=\(pki.caCertificate)",
        "--server_host_override=foo.test.google.fr",
      ]
      if mutual {
        arguments += ["--client_cert_file=\(pki.clientCertificate)", "--client_key_file=\(pki.clientKey)"]
      }
      let output = try await runPython(arguments, allowFailure: true)
      for name in InteropCase.allCases.map(\.rawValue) {
        #expect(output.contains("PASS \(name)\n"), "\(name): \(output)")
      }
    }
  }

  @Test(
    "Our client against the grpcio interop server (Interop/python/interop_server.py)",
    arguments: [false, true])
  func swiftClientAgainstPythonServer(mutual: Bool) async throws {
    var arguments = [
      interopServerScript, "--port", "0", "--use_tls=true", "--cert", pki.serverCertificate, "--key",
      pki.serverKey,
      "--ca", pki.caCertificate,
    ]
    if mutual { arguments.append("--require_client_cert=true") }
    let server = try await PythonServer(arguments)
    defer { server.stop() }
    let tls = mutual ? try clientTLS() : try clientTLS(certificate: nil, key: nil)
    let transport = try RPCClientTransport(
      host: "127.0.0.1", port: server.port, tls: tls, serverHostname: "foo.test.google.fr")
    try await withGRPCClient(transport: transport) { client in
      let runner = InteropClient(client: client)
      for testCase in InteropCase.allCases {
        do {
          // Each case gets 20 s: a hang is reported as a failure of that case, not of the suite.
          try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run(testCase) }
            group.addTask {
              try await Task.sleep(for: .seconds(20))
              throw InteropCaseFailure("timed out")
            }
            try await group.next()
            group.cancelAll()
          }
        } catch {
          Issue.record("\(testCase.rawValue): \(error)")
        }
      }
    }
  }
}

@Suite(
  "The grpc.testing TestService and client cases in process, on the generated types", .timeLimit(.minutes(2)))
struct InProcessInteropTests {
  @Test("Our interop client against our interop server: the 14 cases", arguments: [false, true])
  func swiftClientAgainstSwiftServer(mutual: Bool) async throws {
    let transport = try RPCServerTransport(
      host: "127.0.0.1", port: 0, tls: try serverTLS(clientCertificate: mutual ? .required : .none))
    try await withGRPCServer(transport: transport, services: [InteropTestService()]) { _ in
      let port = try #require(await transport.listeningPort)
      let tls = mutual ? try clientTLS() : try clientTLS(certificate: nil, key: nil)
      try await withTestClient(port: port, tls: tls) { client, _ in
        let runner = InteropClient(client: client)
        for testCase in InteropCase.allCases {
          do {
            try await runner.run(testCase)
          } catch {
            Issue.record("\(testCase.rawValue): \(error)")
          }
        }
      }
    }
  }

  @Test("UnimplementedCall is not registered; every other TestService method is")
  func registeredMethods() {
    var router = RPCRouter<RPCServerTransport>()
    InteropTestService().registerMethods(with: &router)
    let registered = Set(router.methods)
    #expect(!registered.contains(TestService.Method.UnimplementedCall.descriptor))
    #expect(
      registered
        == Set(
          TestService.Method.descriptors.filter { $0 != TestService.Method.UnimplementedCall.descriptor }))
  }

  @Test("The generated messages use the published field numbers")
  func encoding() throws {
    let request = SimpleRequest(
      responseSize: 3, payload: Payload(body: Data([0, 0])), responseStatus: EchoStatus(code: 2, message: "x")
    )
    #expect(
      Array(try request.serializedData())
        == [0x10, 0x03, 0x1A, 0x04, 0x12, 0x02, 0, 0, 0x3A, 0x05, 0x08, 0x02, 0x12, 0x01, 0x78])
    let streaming = StreamingOutputCallRequest(responseParameters: [
      ResponseParameters(size: 1, intervalUs: 2)
    ])
    #expect(Array(try streaming.serializedData()) == [0x12, 0x04, 0x08, 0x01, 0x10, 0x02])
    let aggregated = try StreamingInputCallResponse(serializedBytes: [0x08, 0xAA, 0xC9, 0x04])
    #expect(aggregated.aggregatedPayloadSize == 74922)
    #expect(try Empty().serializedData().isEmpty)
  }
}

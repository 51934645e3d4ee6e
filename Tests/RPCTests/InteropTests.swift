import Foundation
import GRPCCore
import RPC
import TLS
import Testing
import TransportTestSupport

let interopClientScript = packageRoot.appendingPathComponent("Interop/python/interop_client.py").path
let interopServerScript = packageRoot.appendingPathComponent("Interop/python/interop_server.py").path

let interopCases = [
  "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
  "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server",
  "status_code_and_message",
  "special_status_message", "custom_metadata", "unimplemented_method", "unimplemented_service",
]

struct InteropFailure: Error, CustomStringConvertible {
  var description: String
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
  if !condition { throw InteropFailure(description: message()) }
}

/// The 14 portable interop cases, run by our Swift client (raw bytes + InteropWire).
struct SwiftInteropClient {
  let client: GRPCClient<RPCClientTransport>
  let requestSizes = [27182, 8, 1828, 45904]
  let responseSizes = [31415, 9, 2653, 58979]
  let special = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"

  func unary(
    _ method: MethodDescriptor, _ message: [UInt8], metadata: Metadata = [:], options: CallOptions = .defaults
  ) async throws -> ([UInt8], Metadata, Metadata) {
    try await client.unary(
      request: ClientRequest(message: message, metadata: metadata), descriptor: method,
      serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(), options: options
    ) { (try $0.message, $0.metadata, $0.trailingMetadata) }
  }

  /// A FullDuplexCall that sends `requests` one at a time, each after the previous response.
  func lockStep(
    _ requests: [[UInt8]], metadata: Metadata = [:], options: CallOptions = .defaults, cancelAfter: Int? = nil
  )
    async throws -> (sizes: [Int], initial: Metadata, trailing: Metadata)
  {
    let (turns, turn) = AsyncStream.makeStream(of: Void.self)
    return try await client.bidirectionalStreaming(
      request: StreamingClientRequest(metadata: metadata) { writer in
        // Each request waits for the answer to the previous one; then half-close.
        var iterator = turns.makeAsyncIterator()
        for request in requests {
          try await writer.write(request)
          guard await iterator.next() != nil else { return }
        }
      },
      descriptor: TestService.fullDuplexCall, serializer: RawBytesSerializer(),
      deserializer: RawBytesDeserializer(),
      options: options
    ) { response in
      var sizes: [Int] = []
      var trailing: Metadata = [:]
      for try await part in response.bodyParts {
        switch part {
        case .message(let message):
          sizes.append(InteropWire.payloadSize(message))
          if let cancelAfter, sizes.count == cancelAfter { throw CancellationError() }
          turn.yield()
        case .trailingMetadata(let metadata):
          trailing = metadata
        }
      }
      turn.finish()
      return (sizes, response.metadata, trailing)
    }
  }

  func isCancelled(_ error: any Error) -> Bool {
    error is CancellationError || (error as? RPCError)?.code == .cancelled
  }

  func run(_ name: String) async throws {
    switch name {
    case "empty_unary":
      let (response, _, _) = try await unary(TestService.emptyCall, [])
      try require(response.isEmpty, "non-empty Empty")
    case "large_unary":
      let (response, _, _) = try await unary(
        TestService.unaryCall, InteropWire.simpleRequest(responseSize: 314159, payloadSize: 271828))
      try require(InteropWire.payloadSize(response) == 314159, "wrong response size")
    case "client_streaming":
      let total = try await client.clientStreaming(
        request: StreamingClientRequest { writer in
          for size in requestSizes {
            try await writer.write(InteropWire.streamingInputRequest(payloadSize: size))
          }
        },
        descriptor: TestService.streamingInputCall, serializer: RawBytesSerializer(),
        deserializer: RawBytesDeserializer(), options: .defaults
      ) { try InteropWire.decode(try $0.message).int(1) }
      try require(total == 74922, "aggregated \(total)")
    case "server_streaming":
      let sizes = try await client.serverStreaming(
        request: ClientRequest(message: InteropWire.streamingOutputRequest(sizes: responseSizes)),
        descriptor: TestService.streamingOutputCall, serializer: RawBytesSerializer(),
        deserializer: RawBytesDeserializer(), options: .defaults
      ) { response in
        var sizes: [Int] = []
        for try await message in response.messages { sizes.append(InteropWire.payloadSize(message)) }
        return sizes
      }
      try require(sizes == responseSizes, "sizes \(sizes)")
    case "ping_pong":
      let requests = zip(requestSizes, responseSizes).map {
        InteropWire.streamingOutputRequest(sizes: [$1], payloadSize: $0)
      }
      let (sizes, _, _) = try await lockStep(requests)
      try require(sizes == responseSizes, "sizes \(sizes)")
    case "empty_stream":
      let (sizes, _, _) = try await lockStep([])
      try require(sizes.isEmpty, "responses to an empty stream")
    case "cancel_after_begin":
      let call = Task {
        try await client.clientStreaming(
          request: StreamingClientRequest { _ in try await Task.sleep(for: .seconds(30)) },
          descriptor: TestService.streamingInputCall, serializer: RawBytesSerializer(),
          deserializer: RawBytesDeserializer(), options: .defaults
        ) { try $0.message }
      }
      try await Task.sleep(for: .milliseconds(50))
      call.cancel()
      switch await call.result {
      case .success: throw InteropFailure(description: "the call succeeded")
      case .failure(let error): try require(isCancelled(error), "\(error)")
      }
    case "cancel_after_first_response":
      do {
        _ = try await lockStep(
          [InteropWire.streamingOutputRequest(sizes: [31415], payloadSize: 27182)], cancelAfter: 1)
        throw InteropFailure(description: "the call succeeded")
      } catch {
        try require(isCancelled(error), "\(error)")
      }
    case "timeout_on_sleeping_server":
      var options = CallOptions.defaults
      options.timeout = .milliseconds(1)
      do {
        _ = try await lockStep(
          [InteropWire.streamingOutputRequest(sizes: [], payloadSize: 27182)], options: options)
        throw InteropFailure(description: "the call succeeded")
      } catch let error as RPCError {
        try require(error.code == .deadlineExceeded, "\(error)")
      }
    case "status_code_and_message", "special_status_message":
      let message = name == "special_status_message" ? special : "test status message"
      do {
        _ = try await unary(
          TestService.unaryCall,
          InteropWire.simpleRequest(responseSize: 0, payloadSize: 0, status: (2, message)))
        throw InteropFailure(description: "UnaryCall succeeded")
      } catch let error as RPCError {
        try require(error.code == .unknown && error.message == message, "\(error)")
      }
      if name == "status_code_and_message" {
        do {
          _ = try await lockStep([InteropWire.streamingOutputRequest(sizes: [], status: (2, message))])
          throw InteropFailure(description: "FullDuplexCall succeeded")
        } catch let error as RPCError {
          try require(error.code == .unknown && error.message == message, "\(error)")
        }
      }
    case "custom_metadata":
      var metadata = Metadata()
      metadata.addString("test_initial_metadata_value", forKey: InteropTestService.echoInitial)
      metadata.addBinary([0xAB, 0xAB, 0xAB], forKey: InteropTestService.echoTrailing)
      let (_, initial, trailing) = try await unary(
        TestService.unaryCall, InteropWire.simpleRequest(responseSize: 314159, payloadSize: 271828),
        metadata: metadata)
      try checkEcho(initial, trailing)
      let duplex = try await lockStep(
        [InteropWire.streamingOutputRequest(sizes: [314159], payloadSize: 271828)], metadata: metadata)
      try checkEcho(duplex.initial, duplex.trailing)
    case "unimplemented_method", "unimplemented_service":
      let method =
        name == "unimplemented_method" ? TestService.unimplementedCall : TestService.unimplementedService
      do {
        _ = try await unary(method, [])
        throw InteropFailure(description: "the call succeeded")
      } catch let error as RPCError {
        try require(error.code == .unimplemented, "\(error)")
      }
    default:
      throw InteropFailure(description: "unknown case \(name)")
    }
  }

  func checkEcho(_ initial: Metadata, _ trailing: Metadata) throws {
    try require(
      Array(initial[stringValues: InteropTestService.echoInitial]) == ["test_initial_metadata_value"],
      "initial metadata \(initial)")
    try require(
      Array(trailing[binaryValues: InteropTestService.echoTrailing]) == [[0xAB, 0xAB, 0xAB]],
      "trailing metadata \(trailing)")
  }
}

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
      for name in interopCases {
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
      let runner = SwiftInteropClient(client: client)
      for name in interopCases {
        do {
          // Each case gets 20 s: a hang is reported as a failure of that case, not of the suite.
          try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run(name) }
            group.addTask {
              try await Task.sleep(for: .seconds(20))
              throw InteropFailure(description: "timed out")
            }
            try await group.next()
            group.cancelAll()
          }
        } catch {
          Issue.record("\(name): \(error)")
        }
      }
    }
  }
}

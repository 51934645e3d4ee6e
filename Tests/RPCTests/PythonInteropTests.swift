import Foundation
import GRPCCore
import RPC
import TLS
import Testing
import TransportTestSupport

/// The Python of the project's virtual environment (made by `Tools/scripts/setup.sh venv`).
let venvPython = packageRoot.appendingPathComponent(".venv/bin/python").path
let rawPeerScript = packageRoot.appendingPathComponent("Interop/python/raw_peer.py").path

/// Runs a Python script to completion and returns its standard output.
func runPython(
  _ arguments: [String], timeout: Duration = .seconds(120), allowFailure: Bool = false
) async throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: venvPython)
  process.arguments = arguments
  let output = Pipe()
  let errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  let outputData = LockedBox(Data())
  let reader = Thread {
    let data = output.fileHandleForReading.readDataToEndOfFile()
    outputData.withValue { $0 = data }
  }
  reader.start()
  let deadline = ContinuousClock.now + timeout
  while process.isRunning {
    if ContinuousClock.now > deadline {
      process.terminate()
      break
    }
    try await Task.sleep(for: .milliseconds(20))
  }
  for _ in 0..<100 where outputData.value.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
  let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  guard process.terminationStatus == 0 || allowFailure else {
    throw PKIError(message: "python \(arguments.joined(separator: " ")) failed: \(stderr)")
  }
  return String(decoding: outputData.value, as: UTF8.self)
}

/// A long-running Python server that prints `listening on N`.
final class PythonServer: Sendable {
  let process: Process
  let port: Int

  /// Starts the server and waits (off the cooperative pool) for its `listening on N` line.
  init(_ arguments: [String]) async throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: venvPython)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let text = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
      Thread {
        var line = Data()
        while true {
          let byte = output.fileHandleForReading.readData(ofLength: 1)
          if byte.isEmpty || byte == Data([10]) { break }
          line.append(byte)
        }
        continuation.resume(returning: String(decoding: line, as: UTF8.self))
      }.start()
    }
    guard text.hasPrefix("listening on "), let port = Int(text.dropFirst("listening on ".count)) else {
      process.terminate()
      throw PKIError(message: "python server did not start: \(text)")
    }
    self.process = process
    self.port = port
  }

  func stop() {
    // Processes started from a test thread may inherit a signal mask that blocks SIGTERM: kill.
    process.terminate()
    for _ in 0..<50 where process.isRunning { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    for _ in 0..<200 where process.isRunning { usleep(10_000) }
  }
}

@Suite(
  "Interop with stock Python grpcio (raw-bytes methods)",
  .enabled(
    if: FileManager.default.fileExists(atPath: venvPython), "needs .venv: Tools/scripts/setup.sh venv"),
  .timeLimit(.minutes(3)))
struct PythonInteropTests {
  @Test("Swift server ↔ grpcio client, over TLS and over mutual TLS", arguments: [false, true])
  func swiftServerPythonClient(mutual: Bool) async throws {
    var config = RPCServerTransport.Config.defaults
    config.rpc.maxRequestPayloadSize = 1 << 20
    let tls = try serverTLS(clientCertificate: mutual ? .required : .none)
    try await withTestServer(tls: tls, config: config) { port, observations in
      var arguments = [rawPeerScript, "client", "--port", String(port), "--ca", pki.caCertificate]
      if mutual { arguments += ["--cert", pki.clientCertificate, "--key", pki.clientKey] }
      let output = try await runPython(arguments)
      let results = try #require(
        try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "output: \(output)")
      let unary = try #require(results["unary"] as? [String: Any])
      #expect(unary["body"] as? String == "hello from grpcio")
      let initial = try #require(unary["initial"] as? [[String]])
      #expect(initial.contains(["x-token", "abc"]))
      #expect(initial.contains(["x-blob-bin", "0001fa"]))
      #expect((unary["trailing"] as? [[String]])?.contains(["x-trailer-bin", "0102ff"]) == true)
      #expect(results["collect"] as? String == "abbccc")
      #expect(results["expand"] as? [Int] == [1000, 1000, 1000])
      #expect(results["chat"] as? [String] == (0..<20).map { "m\($0)" })
      #expect(
        results["fail"] as? [String: String] == ["code": "INVALID_ARGUMENT", "details": "bad ☺ input%"])
      #expect((results["unknown"] as? [String: String])?["code"] == "UNIMPLEMENTED")
      #expect((results["too_big"] as? [String: String])?["code"] == "RESOURCE_EXHAUSTED")
      #expect(results["at_limit"] as? Int == 1 << 20)
      #expect((results["deadline"] as? [String: String])?["code"] == "DEADLINE_EXCEEDED")
      #expect(results["large"] as? Int == 3_000_000)
      #expect(results["after"] as? String == "still serving")
      _ = observations
    }
  }

  @Test("grpcio server ↔ Swift client, over TLS and over mutual TLS", arguments: [false, true])
  func pythonServerSwiftClient(mutual: Bool) async throws {
    var arguments = [
      rawPeerScript, "server", "--ca", pki.caCertificate, "--cert", pki.serverCertificate, "--key",
      pki.serverKey,
    ]
    if mutual { arguments.append("--require_client_cert") }
    let server = try await PythonServer(arguments)
    defer { server.stop() }
    let tls = mutual ? try clientTLS() : try clientTLS(certificate: nil, key: nil)
    var config = RPCClientTransport.Config.defaults
    config.maxResponseMessageBytes = 8 << 20
    try await withTestClient(port: server.port, tls: tls, config: config) { client, _ in
      let (body, initial, trailing) = try await client.unary(
        request: ClientRequest(
          message: bytes("hello from swift"),
          metadata: ["x-token": "abc", "x-blob-bin": .binary([0, 1, 250])]),
        descriptor: Echo.unary, serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(),
        options: .defaults
      ) { (try $0.message, $0.metadata, $0.trailingMetadata) }
      #expect(text(body) == "hello from swift")
      #expect(Array(initial[stringValues: "x-token"]) == ["abc"])
      #expect(Array(initial[binaryValues: "x-blob-bin"]) == [[0, 1, 250]])
      #expect(Array(trailing[binaryValues: "x-trailer-bin"]) == [[1, 2, 255]])

      let collected = try await client.clientStreaming(
        request: StreamingClientRequest { writer in
          for part in ["a", "bb", "ccc"] { try await writer.write(bytes(part)) }
        },
        descriptor: Echo.collect, serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(),
        options: .defaults
      ) { try $0.message }
      #expect(text(collected) == "abbccc")

      let sizes = try await client.serverStreaming(
        request: ClientRequest(message: bytes("4,70000")), descriptor: Echo.expand,
        serializer: RawBytesSerializer(),
        deserializer: RawBytesDeserializer(), options: .defaults
      ) { response in
        var sizes: [Int] = []
        for try await message in response.messages { sizes.append(message.count) }
        return sizes
      }
      #expect(sizes == [70000, 70000, 70000, 70000])

      let echoed = try await client.bidirectionalStreaming(
        request: StreamingClientRequest { writer in for i in 0..<20 { try await writer.write(bytes("m\(i)")) }
        },
        descriptor: Echo.chat, serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(),
        options: .defaults
      ) { response in
        var all: [String] = []
        for try await message in response.messages { all.append(text(message)) }
        return all
      }
      #expect(echoed == (0..<20).map { "m\($0)" })

      let special = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
      let failed = await rpcError { try await client.call(Echo.fail, bytes("3:" + special)) }
      #expect(failed?.code == .invalidArgument)
      #expect(failed?.message == special)

      let unknown = await rpcError { try await client.call(Echo.unknown, bytes("x")) }
      #expect(unknown?.code == .unimplemented)

      let tooBig = await rpcError {
        try await client.call(Echo.unary, [UInt8](repeating: 1, count: (1 << 20) + 100))
      }
      #expect(tooBig?.code == .resourceExhausted)

      var options = CallOptions.defaults
      options.timeout = .milliseconds(200)
      let late = await rpcError { try await client.call(Echo.sleep, bytes("3000"), options: options) }
      #expect(late?.code == .deadlineExceeded)

      let large = try await client.call(Echo.big, bytes("3000000"))
      #expect(large.count == 3_000_000)

    }
  }

  @Test("grpcio server requiring client certificates refuses a Swift client without one")
  func pythonServerRefusesAnonymousSwiftClient() async throws {
    let server = try await PythonServer([
      rawPeerScript, "server", "--ca", pki.caCertificate, "--cert", pki.serverCertificate, "--key",
      pki.serverKey,
      "--require_client_cert",
    ])
    defer { server.stop() }
    try await withTestClient(port: server.port, tls: try clientTLS(certificate: nil, key: nil)) { client, _ in
      let error = await rpcError { try await client.call(Echo.unary, bytes("x")) }
      #expect(error?.code == .unavailable)
    }
  }
}

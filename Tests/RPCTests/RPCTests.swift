import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import RPC
import TLS
import Testing
import TransportTestSupport

@Suite("gRPC over our OpenSSL TLS: Swift server ↔ Swift client", .timeLimit(.minutes(2)))
struct RPCTests {
  @Test("Unary with string and binary metadata both ways; the handler sees the client's certificate")
  func unaryAndMetadata() async throws {
    try await withTestServer { port, observations in
      try await withTestClient(port: port) { client, _ in
        let metadata: Metadata = ["x-token": "abc", "x-blob-bin": .binary([0, 1, 2, 250])]
        let (message, initial, trailing) = try await client.unary(
          request: ClientRequest(message: bytes("hello"), metadata: metadata), descriptor: Echo.unary,
          serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(), options: .defaults
        ) { response in
          (try response.message, response.metadata, response.trailingMetadata)
        }
        #expect(text(message) == "hello")
        #expect(Array(initial[stringValues: "x-token"]) == ["abc"])
        #expect(Array(initial[binaryValues: "x-blob-bin"]) == [[0, 1, 2, 250]])
        #expect(Array(trailing[binaryValues: "x-trailer-bin"]) == [[1, 2, 255]])

        let leaf = try await client.call(Echo.peer, [])
        #expect(leaf == (try pki.der("client.pem")))
        let peer = try #require(observations.peers.value.first ?? nil)
        #expect(peer.tls.applicationProtocol == "h2")
        #expect(peer.tls.version == .tls13)
        #expect(peer.remotePeer.hasPrefix("ipv4:127.0.0.1:"))
      }
    }
  }

  @Test("Client streaming, server streaming and bidirectional streaming")
  func streaming() async throws {
    try await withTestServer { port, _ in
      try await withTestClient(port: port) { client, _ in
        let collected = try await client.clientStreaming(
          request: StreamingClientRequest { writer in
            for part in ["a", "bb", "ccc"] { try await writer.write(bytes(part)) }
          },
          descriptor: Echo.collect, serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(),
          options: .defaults
        ) { try $0.message }
        #expect(text(collected) == "abbccc")

        let sizes = try await client.serverStreaming(
          request: ClientRequest(message: bytes("5,1000")), descriptor: Echo.expand,
          serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(), options: .defaults
        ) { response in
          var sizes: [Int] = []
          for try await message in response.messages { sizes.append(message.count) }
          return sizes
        }
        #expect(sizes == [1000, 1000, 1000, 1000, 1000])

        let echoed = try await client.bidirectionalStreaming(
          request: StreamingClientRequest { writer in
            for i in 0..<50 { try await writer.write(bytes("m\(i)")) }
          },
          descriptor: Echo.chat, serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(),
          options: .defaults
        ) { response in
          var all: [String] = []
          for try await message in response.messages { all.append(text(message)) }
          return all
        }
        #expect(echoed == (0..<50).map { "m\($0)" })
      }
    }
  }

  @Test("Many concurrent unary calls share one connection")
  func concurrentCalls() async throws {
    try await withTestServer { port, _ in
      try await withTestClient(port: port) { client, _ in
        try await withThrowingTaskGroup(of: Bool.self) { group in
          for i in 0..<200 {
            group.addTask { text(try await client.call(Echo.unary, bytes("call \(i)"))) == "call \(i)" }
          }
          for try await ok in group { #expect(ok) }
        }
      }
    }
  }

  @Test("Deadline: DEADLINE_EXCEEDED on the client, the server handler is cancelled")
  func deadline() async throws {
    try await withTestServer { port, observations in
      try await withTestClient(port: port) { client, _ in
        _ = try await client.call(Echo.unary, bytes("warm up"))
        var options = CallOptions.defaults
        options.timeout = .milliseconds(300)
        let error = await rpcError { try await client.call(Echo.sleep, bytes("5000"), options: options) }
        #expect(error?.code == .deadlineExceeded)
        // Under load the server may see the reset before it even started the handler; if it
        // started, it must have been cancelled (it never sleeps its 5 s out).
        for _ in 0..<100 where observations.cancelled.value.count < observations.started.value.count {
          try await Task.sleep(for: .milliseconds(20))
        }
        #expect(observations.cancelled.value == observations.started.value)
        // The connection is still fine.
        let after = try await client.call(Echo.unary, bytes("after"))
        #expect(text(after) == "after")
      }
    }
  }

  @Test(
    "Cancellation: cancelling the caller's task resets the stream (RST_STREAM CANCEL) and stops the server")
  func cancellation() async throws {
    try await withTestServer { port, observations in
      try await withTestClient(port: port) { client, _ in
        let firstMessage = LockedBox(false)
        let call = Task {
          try await client.serverStreaming(
            // Paced (1 ms between messages): grpc-swift's server does not read from a connection
            // while it is saturated with writes, so an unpaced stream would delay the reset.
            request: ClientRequest(message: bytes("100000,1000,1")), descriptor: Echo.expand,
            serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(), options: .defaults
          ) { response in
            for try await _ in response.messages {
              firstMessage.withValue { $0 = true }
            }
          }
        }
        for _ in 0..<200 where !firstMessage.value { try await Task.sleep(for: .milliseconds(10)) }
        call.cancel()
        let result = await call.result
        #expect(throws: (any Error).self) { try result.get() }
        for _ in 0..<200 where observations.cancelled.value.isEmpty {
          try await Task.sleep(for: .milliseconds(10))
        }
        #expect(observations.cancelled.value == ["Expand"])
        let after = try await client.call(Echo.unary, bytes("after"))
        #expect(text(after) == "after")
      }
    }
  }

  @Test("Status codes and messages (whitespace, BMP and non-BMP characters) round-trip")
  func statusMessages() async throws {
    try await withTestServer { port, _ in
      try await withTestClient(port: port) { client, _ in
        let special = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n 100% done"
        let error = await rpcError { try await client.call(Echo.fail, bytes("3:" + special)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == special)
        let notFound = await rpcError { try await client.call(Echo.fail, bytes("5:gone")) }
        #expect(notFound?.code == .notFound)
        #expect(notFound?.message == "gone")
      }
    }
  }

  @Test("Unknown method: UNIMPLEMENTED")
  func unknownMethod() async throws {
    try await withTestServer { port, _ in
      try await withTestClient(port: port) { client, _ in
        let error = await rpcError { try await client.call(Echo.unknown, bytes("x")) }
        #expect(error?.code == .unimplemented)
        let still = try await client.call(Echo.unary, bytes("still"))
        #expect(text(still) == "still")
      }
    }
  }

  @Test("Message size limits: RESOURCE_EXHAUSTED for oversized requests and responses")
  func messageSizeLimits() async throws {
    var serverConfig = RPCServerTransport.Config.defaults
    serverConfig.rpc.maxRequestPayloadSize = 1 << 20
    try await withTestServer(config: serverConfig) { port, _ in
      var clientConfig = RPCClientTransport.Config.defaults
      clientConfig.maxRequestMessageBytes = 8 << 20
      clientConfig.maxResponseMessageBytes = 2 << 20
      try await withTestClient(port: port, config: clientConfig) { client, _ in
        // Over the server's limit.
        let tooBig = await rpcError {
          try await client.call(Echo.unary, [UInt8](repeating: 1, count: (1 << 20) + 1))
        }
        #expect(tooBig?.code == .resourceExhausted)
        // Exactly at the limit is fine.
        let atLimit = try await client.call(Echo.unary, [UInt8](repeating: 1, count: 1 << 20))
        #expect(atLimit.count == 1 << 20)
        // A response over the client's limit.
        let bigResponse = await rpcError { try await client.call(Echo.big, bytes(String(3 << 20))) }
        #expect(bigResponse?.code == .resourceExhausted)
        #expect(bigResponse?.message.contains("over the limit") == true)
        // A request over the client's own limit never leaves the client.
        var options = CallOptions.defaults
        options.maxRequestMessageBytes = 10
        let local = await rpcError {
          try await client.call(Echo.unary, bytes("eleven byte"), options: options)
        }
        #expect(local?.code == .resourceExhausted)
        let ok = try await client.call(Echo.unary, bytes("ok"))
        #expect(text(ok) == "ok")
      }
    }
  }

  @Test("Keepalive PINGs are sent and acknowledged")
  func keepalive() async throws {
    var serverConfig = RPCServerTransport.Config.defaults
    // The server polices PINGs that come too early. On a loaded machine a late timer puts two of the
    // client's 100 ms PINGs closer together, so the bound is well below that.
    serverConfig.connection.keepalive.clientBehavior = .init(
      minPingIntervalWithoutCalls: .milliseconds(5), allowWithoutCalls: true)
    try await withTestServer(config: serverConfig) { port, _ in
      var config = RPCClientTransport.Config.defaults
      config.keepalive = .init(time: .milliseconds(100), timeout: .seconds(2), allowWithoutCalls: true)
      try await withTestClient(port: port, config: config) { client, transport in
        _ = try await client.call(Echo.unary, bytes("x"))
        // Every 100 ms; allow for a slow, shared machine.
        for _ in 0..<250 where transport.keepalivePingsAcknowledged < 3 {
          try await Task.sleep(for: .milliseconds(20))
        }
        #expect(transport.keepalivePingsAcknowledged >= 3)
        #expect(transport.connectivity == "ready")
      }
    }
  }

  @Test("Keepalive timeout: a server that never answers PINGs is dropped and the client reconnects")
  func keepaliveTimeout() async throws {
    // A TLS server that negotiates h2 and then ignores everything it is sent.
    final class BlackHole: ChannelInboundHandler {
      typealias InboundIn = ByteBuffer
      let accepted: LockedBox<Int>
      init(accepted: LockedBox<Int>) { self.accepted = accepted }
      func channelActive(context: ChannelHandlerContext) { accepted.withValue { $0 += 1 } }
      func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }
    var tls = try serverTLS(clientCertificate: .none)
    tls.applicationProtocols = ["h2"]
    let context = try TLSContext(configuration: tls, role: .server)
    let accepted = LockedBox(0)
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandlers([
            TLSHandler(context: context), BlackHole(accepted: accepted),
          ])
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    var config = RPCClientTransport.Config.defaults
    config.keepalive = .init(time: .milliseconds(100), timeout: .milliseconds(200), allowWithoutCalls: true)
    config.backoff = .init(initial: .milliseconds(50), max: .milliseconds(100), multiplier: 1.5, jitter: 0.1)
    let transport = try RPCClientTransport(
      host: "127.0.0.1", port: server.localAddress!.port!, tls: try clientTLS(), serverHostname: "localhost",
      config: config)
    try await withGRPCClient(transport: transport) { _ in
      for _ in 0..<250 where accepted.value < 3 { try await Task.sleep(for: .milliseconds(20)) }
    }
    #expect(accepted.value >= 3)  // dropped twice for unanswered PINGs, reconnected each time
    #expect(transport.keepalivePingsAcknowledged == 0)

    // Control: without keepalive the same silent server keeps its single connection. (Let a
    // reconnection that was under way when the first client stopped reach the server first.)
    try await Task.sleep(for: .milliseconds(300))
    let before = accepted.value
    var quiet = config
    quiet.keepalive = nil
    let control = try RPCClientTransport(
      host: "127.0.0.1", port: server.localAddress!.port!, tls: try clientTLS(), serverHostname: "localhost",
      config: quiet)
    try await withGRPCClient(transport: control) { _ in try await Task.sleep(for: .milliseconds(800)) }
    #expect(accepted.value == before + 1)
    try await server.close()
  }

  @Test("Reconnection after the server restarts, with backoff; fail-fast calls get UNAVAILABLE meanwhile")
  func reconnection() async throws {
    // Find a free port, then run two servers on it one after the other.
    let port = try await withTestServer { port, _ in port }
    var config = RPCClientTransport.Config.defaults
    config.backoff = .init(initial: .milliseconds(50), max: .milliseconds(200), multiplier: 1.6, jitter: 0.2)
    let transport = try RPCClientTransport(
      host: "127.0.0.1", port: port, tls: clientTLS(), serverHostname: "localhost", config: config)
    try await withGRPCClient(transport: transport) { client in
      try await withTestServerRetryingBind(port: port) {
        var options = CallOptions.defaults
        options.waitForReady = true
        let first = try await client.call(Echo.unary, bytes("first"), options: options)
        #expect(text(first) == "first")
      }
      // The server is gone.
      for _ in 0..<100 where transport.connectivity == "ready" {
        try await Task.sleep(for: .milliseconds(10))
      }
      let down = await rpcError { try await client.call(Echo.unary, bytes("down")) }
      #expect(down?.code == .unavailable)
      try await withTestServerRetryingBind(port: port) {
        var options = CallOptions.defaults
        options.waitForReady = true
        options.timeout = .seconds(10)
        let again = try await client.call(Echo.unary, bytes("again"), options: options)
        #expect(text(again) == "again")
      }
    }
  }
}

import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import NIOTLS
import RPC
import TLS
import Testing
import TransportTestSupport

/// Collects what a raw connection receives until the peer closes it.
final class RawCollector: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  let closed: EventLoopPromise<[UInt8]>
  var received: [UInt8] = []
  var events: LockedBox<[String]>

  init(closed: EventLoopPromise<[UInt8]>, events: LockedBox<[String]>) {
    self.closed = closed
    self.events = events
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    received += unwrapInboundIn(data).readableBytesView
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case .handshakeCompleted(let negotiated)? = event as? TLSUserEvent {
      events.withValue { $0.append("handshake alpn=\(negotiated ?? "none")") }
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    events.withValue { $0.append("error \(error)") }
  }

  func channelInactive(context: ChannelHandlerContext) {
    closed.succeed(received)
  }
}

/// Connects to the port (optionally through a TLS client handler), sends `bytes`, and returns what
/// came back before the server closed the connection (throws if it stays open for 5 s).
func rawExchange(
  port: Int, send bytes: [UInt8], tls: TLSContext? = nil, events: LockedBox<[String]> = LockedBox([])
) async throws -> [UInt8] {
  let group = MultiThreadedEventLoopGroup.singleton
  let closed = group.any().makePromise(of: [UInt8].self)
  let channel = try await ClientBootstrap(group: group)
    .channelInitializer { channel in
      channel.eventLoop.makeCompletedFuture {
        if let tls {
          try channel.pipeline.syncOperations.addHandler(
            TLSHandler(context: tls, serverHostname: "localhost"))
        }
        try channel.pipeline.syncOperations.addHandler(RawCollector(closed: closed, events: events))
      }
    }
    .connect(host: "127.0.0.1", port: port).get()
  // The server may already have closed the connection (that is what some cases test).
  if !bytes.isEmpty { try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
  let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) {
    closed.fail(ChannelError.connectTimeout(.seconds(5)))
  }
  defer { timeout.cancel() }
  do {
    return try await closed.futureResult.get()
  } catch {
    try? await channel.close()
    throw error
  }
}

/// Keeps a well-behaved client calling the server while `body` runs; returns how many calls
/// succeeded and the failures.
func whileServing<R: Sendable>(
  port: Int, _ body: () async throws -> R
) async throws -> (result: R, succeeded: Int, failures: [String]) {
  try await withTestClient(port: port) { client, _ in
    let succeeded = LockedBox(0)
    let failures = LockedBox<[String]>([])
    let stop = LockedBox(false)
    let background = Task {
      while !stop.value {
        do {
          let reply = try await client.call(Echo.unary, bytes("ping"))
          if text(reply) == "ping" { succeeded.withValue { $0 += 1 } }
        } catch {
          failures.withValue { $0.append(String(describing: error)) }
        }
      }
    }
    let result = try await body()
    // Let it make calls after the bad input too (generous: CI machines are shared and slow).
    let before = succeeded.value
    for _ in 0..<1000 where succeeded.value < before + 3 { try await Task.sleep(for: .milliseconds(10)) }
    stop.withValue { $0 = true }
    await background.value
    return (result, succeeded.value, failures.value)
  }
}

@Suite("Bad input: each with its exact outcome, while the server keeps serving", .timeLimit(.minutes(3)))
struct BadInputTests {
  @Test(
    "Client certificates that must be refused",
    arguments: [
      ("other CA", pki.rogueCertificate, pki.rogueKey, "alert unknown ca"),
      ("expired", pki.expiredCertificate, pki.expiredKey, "alert certificate expired"),
      ("none", nil, nil, "alert certificate required"),
    ] as [(String, String?, String?, String)])
  func refusedCertificates(name: String, certificate: String?, key: String?, alert: String) async throws {
    try await withTestServer { port, _ in
      let outcome = try await whileServing(port: port) {
        try await withTestClient(port: port, tls: try clientTLS(certificate: certificate, key: key)) {
          client, _ in
          await rpcError { try await client.call(Echo.unary, bytes("x")) }
        }
      }
      let error = try #require(outcome.result, "\(name): the call succeeded")
      #expect(error.code == .unavailable, "\(name)")
      #expect(error.message.contains(alert), "\(name): \(error.message)")
      #expect(outcome.failures.isEmpty)
      #expect(outcome.succeeded >= 3)
    }
  }

  @Test("A valid certificate that the verification hook does not map to a validator is refused")
  func refusedByHook() async throws {
    // The node's hook: only certificates of the validator set (here: the server's own) are let in.
    let validators = [try pki.der("server.pem")]
    var tls = try serverTLS()
    tls.peerVerifier = { peer in
      validators.contains(peer.leafCertificate ?? []) ? .accept : .reject("not a validator of the genesis")
    }
    try await withTestServer(tls: tls) { port, _ in
      let error = try await withTestClient(port: port) { client, _ in
        await rpcError { try await client.call(Echo.unary, bytes("x")) }
      }
      #expect(error?.code == .unavailable)
      #expect(error?.message.contains("alert bad certificate") == true, "\(String(describing: error))")
      let validator = try clientTLS(certificate: pki.serverCertificate, key: pki.serverKey)
      let reply = try await withTestClient(port: port, tls: validator) { client, _ in
        try await client.call(Echo.unary, bytes("validator"))
      }
      #expect(text(reply) == "validator")
    }
  }

  @Test(
    "Not TLS on the TLS port: the server closes the connection without sending a byte",
    arguments: [
      ("plaintext HTTP/2", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0]),
      ("random bytes", (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }),
      ("HTTP/1.1", Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)),
    ] as [(String, [UInt8])])
  func notTLS(name: String, payload: [UInt8]) async throws {
    try await withTestServer { port, _ in
      let outcome = try await whileServing(port: port) {
        try await rawExchange(port: port, send: payload)
      }
      // OpenSSL sends no alert for a first record that is not TLS at all: it just fails.
      #expect(outcome.result.isEmpty, "\(name): \(outcome.result)")
      #expect(outcome.failures.isEmpty)
      #expect(outcome.succeeded >= 3)
    }
  }

  @Test("A TLS client without ALPN h2: handshake completes without ALPN, then the server closes")
  func noALPN() async throws {
    try await withTestServer { port, _ in
      let events = LockedBox<[String]>([])
      var configuration = try clientTLS()
      configuration.applicationProtocols = ["http/1.1"]
      let context = try TLSContext(configuration: configuration, role: .client)
      let outcome = try await whileServing(port: port) {
        try await rawExchange(
          port: port, send: Array("GET / HTTP/1.1\r\n\r\n".utf8), tls: context, events: events)
      }
      #expect(events.value.first == "handshake alpn=none")
      #expect(outcome.result.isEmpty)  // not one byte of HTTP/2 (or HTTP/1) came back
      #expect(outcome.failures.isEmpty)
      #expect(outcome.succeeded >= 3)
    }
  }

  @Test("A client that stops reading a large stream does not stall other clients")
  func clientStopsReading() async throws {
    try await withTestServer { port, _ in
      let outcome = try await whileServing(port: port) {
        try await withTestClient(port: port) { slow, _ in
          let firstMessage = LockedBox(false)
          let call = Task {
            try await slow.serverStreaming(
              request: ClientRequest(message: bytes("1000,65536")), descriptor: Echo.expand,
              serializer: RawBytesSerializer(), deserializer: RawBytesDeserializer(), options: .defaults
            ) { response in
              for try await _ in response.messages {
                firstMessage.withValue { $0 = true }
                try await Task.sleep(for: .seconds(60))  // stops reading
              }
            }
          }
          for _ in 0..<300 where !firstMessage.value { try await Task.sleep(for: .milliseconds(10)) }
          try await Task.sleep(for: .milliseconds(500))
          call.cancel()
          _ = await call.result
          return firstMessage.value
        }
      }
      #expect(outcome.result)
      #expect(outcome.failures.isEmpty)
      #expect(outcome.succeeded >= 3)
    }
  }

  @Test("1,000 connections opened and dropped (TCP only, half a ClientHello, full handshakes)")
  func thousandConnections() async throws {
    try await withTestServer { port, _ in
      var handshaking = try clientTLS()
      handshaking.applicationProtocols = ["h2"]
      let clientContext = try TLSContext(configuration: handshaking, role: .client)
      let outcome = try await whileServing(port: port) {
        let group = MultiThreadedEventLoopGroup.singleton
        var dropped = 0
        for batch in 0..<20 {
          try await withThrowingTaskGroup(of: Void.self) { tasks in
            for i in 0..<50 {
              tasks.addTask {
                let kind = (batch * 50 + i) % 10
                let channel = try await ClientBootstrap(group: group)
                  .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                      if kind == 2 {
                        let handler = TLSHandler(context: clientContext, serverHostname: "localhost")
                        try channel.pipeline.syncOperations.addHandler(handler)
                      }
                    }
                  }
                  .connect(host: "127.0.0.1", port: port).get()
                if kind == 3 {
                  // Half a ClientHello, then gone.
                  try await channel.writeAndFlush(ByteBuffer(bytes: [22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3]))
                }
                if kind == 2 { try await Task.sleep(for: .milliseconds(30)) }
                try? await channel.close()
              }
            }
            try await tasks.waitForAll()
          }
          dropped += 50
        }
        return dropped
      }
      #expect(outcome.result == 1000)
      #expect(outcome.failures.isEmpty)
      #expect(outcome.succeeded >= 3)
    }
  }

  @Test("The peer registry forgets connections when they close")
  func registryCleanup() async throws {
    let transport = try RPCServerTransport(host: "127.0.0.1", port: 0, tls: serverTLS())
    try await withGRPCServer(
      transport: transport,
      services: [EchoService(registry: transport.peers, observations: ServerObservations())]
    ) { _ in
      let port = try #require(await transport.listeningPort)
      for _ in 0..<3 {
        try await withTestClient(port: port) { client, _ in
          _ = try await client.call(Echo.unary, bytes("x"))
          #expect(transport.peers.count == 1)
        }
      }
      for _ in 0..<100 where transport.peers.count > 0 { try await Task.sleep(for: .milliseconds(10)) }
      #expect(transport.peers.count == 0)
    }
  }
}

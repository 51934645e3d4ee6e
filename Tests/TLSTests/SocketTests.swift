import NIOCore
import NIOPosix
import NIOTLS
import Testing
import TransportTestSupport

@testable import TLS

/// Echoes every byte back.
final class EchoHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer
  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    context.write(data, promise: nil)
  }
  func channelReadComplete(context: ChannelHandlerContext) {
    context.flush()
  }
}

/// Collects bytes until `expected` arrived, and records TLS errors and the handshake outcome.
final class Collector: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  let expected: Int
  let done: EventLoopPromise<ByteBuffer>
  let errors: LockedBox<[String]>
  var received = ByteBuffer()

  init(expected: Int, done: EventLoopPromise<ByteBuffer>, errors: LockedBox<[String]>) {
    self.expected = expected
    self.done = done
    self.errors = errors
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var buffer = unwrapInboundIn(data)
    received.writeBuffer(&buffer)
    if received.readableBytes >= expected { done.succeed(received) }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    errors.withValue { $0.append(String(describing: error)) }
    done.fail(error)
  }

  func channelInactive(context: ChannelHandlerContext) {
    done.fail(ChannelError.ioOnClosedChannel)
  }
}

/// Records the server side's errors and completed handshakes.
final class ServerSideRecorder: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  let errors: LockedBox<[String]>
  let handshakes: LockedBox<Int>
  init(errors: LockedBox<[String]>, handshakes: LockedBox<Int>) {
    self.errors = errors
    self.handshakes = handshakes
  }
  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is TLSConnectionInfo { handshakes.withValue { $0 += 1 } }
    context.fireUserInboundEventTriggered(event)
  }
  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    context.fireChannelRead(data)
  }
  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    errors.withValue { $0.append(String(describing: error)) }
  }
}

/// A TLS echo server on an ephemeral loopback port.
struct EchoServer {
  let channel: any Channel
  let errors = LockedBox<[String]>([])
  let handshakes = LockedBox<Int>(0)
  var port: Int { channel.localAddress!.port! }

  init(configuration: TLSConfiguration) async throws {
    let context = try TLSContext(configuration: configuration, role: .server)
    let errors = self.errors
    let handshakes = self.handshakes
    channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandlers([
            TLSHandler(context: context),
            ServerSideRecorder(errors: errors, handshakes: handshakes),
            EchoHandler(),
          ])
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
  }

  func stop() async throws { try await channel.close() }
}

/// Connects a TLS client, sends `payload`, waits for the echo; returns it (or throws the error).
func echo(
  _ payload: ByteBuffer, port: Int, configuration: TLSConfiguration, hostname: String = "localhost",
  closeCleanly: Bool = true
) async throws -> ByteBuffer {
  let context = try TLSContext(configuration: configuration, role: .client)
  let group = MultiThreadedEventLoopGroup.singleton
  let done = group.any().makePromise(of: ByteBuffer.self)
  let errors = LockedBox<[String]>([])
  let channel = try await ClientBootstrap(group: group)
    .channelInitializer { channel in
      channel.eventLoop.makeCompletedFuture {
        try channel.pipeline.syncOperations.addHandlers([
          TLSHandler(context: context, serverHostname: hostname),
          Collector(expected: payload.readableBytes, done: done, errors: errors),
        ])
      }
    }
    .connect(host: "127.0.0.1", port: port).get()
  channel.writeAndFlush(payload, promise: nil)
  do {
    let result = try await done.futureResult.get()
    if closeCleanly { try await channel.close() }
    return result
  } catch {
    try? await channel.close()
    throw error
  }
}

@Suite("TLS handler over loopback sockets")
struct SocketTests {
  @Test(
    "Echo 4 MiB over TLS 1.3 and 1.2 with mutual TLS, then close cleanly",
    arguments: [TLSVersion.tls13, .tls12])
  func echoLarge(version: TLSVersion) async throws {
    let server = try await EchoServer(configuration: serverConfiguration())
    var payload = ByteBuffer()
    for i in 0..<(4 << 20) / 8 { payload.writeInteger(UInt64(i)) }
    let echoed = try await echo(
      payload, port: server.port, configuration: clientConfiguration(maximumVersion: version))
    #expect(echoed == payload)
    try await Task.sleep(for: .milliseconds(100))
    #expect(server.errors.value.isEmpty)  // the close was clean: no unclean shutdown report
    try await server.stop()
  }

  @Test("A refused client (other CA) does not disturb the next client")
  func refusedThenServed() async throws {
    let server = try await EchoServer(configuration: serverConfiguration())
    await #expect(throws: TLSError.self) {
      _ = try await echo(
        ByteBuffer(string: "x"), port: server.port,
        configuration: clientConfiguration(certificate: pki.rogueCertificate, key: pki.rogueKey))
    }
    let echoed = try await echo(
      ByteBuffer(string: "next"), port: server.port, configuration: clientConfiguration())
    #expect(String(buffer: echoed) == "next")
    #expect(server.errors.value.first?.contains("unable to get local issuer certificate") == true)
    try await server.stop()
  }

  @Test("A client that drops the TCP connection without close_notify is reported as unclean shutdown")
  func uncleanOverSockets() async throws {
    let server = try await EchoServer(configuration: serverConfiguration())
    let context = try TLSContext(configuration: clientConfiguration(), role: .client)
    let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: ByteBuffer.self)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandlers([
            TLSHandler(context: context, serverHostname: "localhost"),
            Collector(expected: 2, done: done, errors: LockedBox([])),
          ])
        }
      }
      .connect(host: "127.0.0.1", port: server.port).get()
    channel.writeAndFlush(ByteBuffer(string: "hi"), promise: nil)
    _ = try await done.futureResult.get()
    // Remove the TLS handler so the close goes straight to the socket, without close_notify.
    let handler = try await channel.pipeline.handler(type: TLSHandler.self).get()
    try await channel.pipeline.removeHandler(handler).get()
    try await channel.close()
    for _ in 0..<50 where server.errors.value.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
    #expect(server.errors.value == ["TLSError.uncleanShutdown: connection closed without close_notify"])
    try await server.stop()
  }
}

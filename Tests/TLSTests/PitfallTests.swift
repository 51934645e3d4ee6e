import NIOCore
import NIOEmbedded
import NIOTLS
import Testing
import TransportTestSupport

@testable import TLS

/// Writes and flushes as soon as the channel becomes active, before any handshake.
final class WriteOnActive: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  let text: String
  var promise: EventLoopFuture<Void>?
  init(_ text: String) { self.text = text }
  func channelActive(context: ChannelHandlerContext) {
    promise = context.writeAndFlush(NIOAny(ByteBuffer(string: text)))
    context.fireChannelActive()
  }
}

@Suite("TLS handler pitfalls (reference notes §3), each with its test")
struct PitfallTests {
  @Test("#467/#362: writeAndFlush from channelActive is deferred until the handshake, no spin")
  func writeFromChannelActive() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    let writer = WriteOnActive("written in channelActive")
    try pair.client.pipeline.syncOperations.addHandler(writer, position: .after(pair.clientHandler))
    try pair.connect()
    // Nothing but the ClientHello left the client.
    let hello = try #require(try pair.client.readOutbound(as: ByteBuffer.self))
    #expect(hello.getInteger(at: 0, as: UInt8.self) == 22)  // handshake record
    try pair.server.writeInbound(hello)
    try pair.shuttle()
    #expect(pair.serverRecorder.receivedString == "written in channelActive")
    try #require(writer.promise).whenComplete { #expect((try? $0.get()) != nil) }
  }

  @Test("#379: records in the same flight as the client's Finished are decrypted at once (TLS 1.3)")
  func dataInFinishedFlight() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    _ = pair.client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  // deferred: handshake not done
    try pair.connect()
    try pair.clientToServer()  // ClientHello
    try pair.serverToClient()  // ServerHello ... Finished
    #expect(pair.clientRecorder.info != nil)  // client done; its Finished + data are queued
    try pair.clientToServer()  // one flight: Certificate, CertificateVerify, Finished, data
    #expect(pair.serverRecorder.info != nil)
    #expect(pair.serverRecorder.receivedString == "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
  }

  @Test("#379: server data in the same flight as the server's Finished are decrypted at once (TLS 1.2)")
  func dataInServerFinishedFlight() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(maximumVersion: .tls12), server: serverConfiguration())
    _ = pair.server.send("server settings")
    try pair.connect()
    try pair.clientToServer()  // ClientHello
    try pair.serverToClient()  // ServerHello, Certificate, CertificateRequest, ServerHelloDone
    try pair.clientToServer()  // Certificate, ClientKeyExchange, CertificateVerify, CCS, Finished
    #expect(pair.serverRecorder.info?.version == .tls12)
    try pair.serverToClient()  // CCS, Finished and the deferred data in one flight
    #expect(pair.clientRecorder.info != nil)
    #expect(pair.clientRecorder.receivedString == "server settings")
  }

  @Test("TLS 1.3 KeyUpdate (post-handshake message) in both directions keeps data flowing")
  func keyUpdate() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    let context = try pair.server.pipeline.syncOperations.context(handler: pair.serverHandler)
    #expect(pair.serverHandler.requestKeyUpdateForTesting(context: context))
    try pair.serverToClient()
    // OpenSSL answers a requested KeyUpdate with the next record it writes.
    _ = pair.client.send("after key update")
    _ = pair.server.send("server after key update")
    try pair.shuttle()
    #expect(pair.serverRecorder.receivedString == "after key update")
    #expect(pair.clientRecorder.receivedString == "server after key update")
    #expect(pair.serverRecorder.errors.isEmpty && pair.clientRecorder.errors.isEmpty)
  }

  @Test("Drain the write BIO after every SSL call: an alert produced inside SSL_read goes out at once")
  func alertFromInsideRead() throws {
    // The server's no_renegotiation alert is produced while it reads the client's new ClientHello;
    // nothing else would make the server write, so the client only sees it if the server drains
    // its write BIO after SSL_read.
    let pair = try EmbeddedPair(
      client: clientConfiguration(maximumVersion: .tls12), server: serverConfiguration())
    try pair.handshake()
    let context = try pair.client.pipeline.syncOperations.context(handler: pair.clientHandler)
    #expect(pair.clientHandler.startRenegotiationForTesting(context: context))
    try pair.clientToServer()
    let alert = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
    #expect(alert.getInteger(at: 0, as: UInt8.self) == 21)  // alert record
  }

  @Test("OpenSSL 3 post-handshake NewSessionTicket messages reach the client without stalling data")
  func sessionTickets() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.connect()
    try pair.clientToServer()
    try pair.serverToClient()
    try pair.clientToServer()  // server completes and writes its tickets at once
    let tickets = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
    #expect(tickets.readableBytes > 0)
    try pair.client.writeInbound(tickets)
    _ = pair.server.send("after tickets")
    try pair.shuttle()
    #expect(pair.clientRecorder.receivedString == "after tickets")
  }

  @Test("#179/#198: application data arriving while we are closing is still delivered")
  func applicationDataDuringClose() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    let closed = pair.client.close()
    _ = pair.server.send("late data")  // written before the server sees our close_notify
    try pair.serverToClient()
    #expect(pair.clientRecorder.receivedString == "late data")
    try pair.shuttle()  // server answers close_notify, client completes its close
    try closed.wait()
    #expect(pair.clientRecorder.errors.isEmpty && pair.serverRecorder.errors.isEmpty)
    #expect(!pair.client.isActive && !pair.server.isActive)
  }

  @Test("Clean shutdown: close_notify both ways, no unclean-shutdown error")
  func cleanShutdown() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    let closed = pair.client.close()
    try pair.shuttle()
    try closed.wait()
    #expect(!pair.client.isActive && !pair.server.isActive)
    #expect(pair.clientRecorder.errors.isEmpty && pair.serverRecorder.errors.isEmpty)
    #expect(pair.clientRecorder.inactive && pair.serverRecorder.inactive)
  }

  @Test("Clean shutdown times out when the peer never answers close_notify")
  func shutdownTimeout() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    let closed = pair.client.close()
    #expect(pair.client.isActive)
    pair.client.embeddedEventLoop.advanceTime(by: .seconds(4))
    #expect(pair.client.isActive)
    pair.client.embeddedEventLoop.advanceTime(by: .seconds(1))
    #expect(!pair.client.isActive)
    try closed.wait()
  }

  @Test("A handler that refuses the peer from the handshake event: deferred writes are dropped")
  func refusedFromHandshakeEvent() throws {
    final class RefuseOnHandshake: ChannelInboundHandler {
      typealias InboundIn = ByteBuffer
      func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSUserEvent { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
      }
    }
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.server.pipeline.syncOperations.addHandler(
      RefuseOnHandshake(), position: .after(pair.serverHandler))
    let deferred = pair.server.send("server preface")  // written before the handshake
    try pair.handshake()
    #expect(throws: TLSError.self) { try deferred.wait() }
    #expect(pair.clientRecorder.received.readableBytes == 0)  // only close_notify arrived
    #expect(!pair.server.isActive && !pair.client.isActive)
  }

  @Test("A peer that connects and stalls: the handshake times out and the connection closes")
  func handshakeTimeout() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.connect()
    try pair.clientToServer()  // ClientHello; the server's answer never reaches the client
    pair.server.embeddedEventLoop.advanceTime(by: .seconds(9))
    #expect(pair.server.isActive)
    pair.server.embeddedEventLoop.advanceTime(by: .seconds(1))
    #expect(!pair.server.isActive)
    #expect(pair.serverRecorder.errors == [TLSError(.handshakeFailed, "the handshake timed out")])
    pair.client.embeddedEventLoop.advanceTime(by: .seconds(10))
    #expect(pair.clientRecorder.errors.first?.reason == "the handshake timed out")
  }

  @Test("#253: EOF during the handshake is a handshake error")
  func eofDuringHandshake() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.connect()
    try pair.clientToServer()
    pair.server.pipeline.fireChannelInactive()
    let error = try #require(pair.serverRecorder.errors.first)
    #expect(error == TLSError(.handshakeFailed, "connection closed by the peer during the handshake"))
  }

  @Test("#547 / OpenSSL 3 unexpected EOF: EOF without close_notify is reported as unclean shutdown")
  func uncleanShutdown() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    pair.server.pipeline.fireChannelInactive()
    #expect(
      pair.serverRecorder.errors == [TLSError(.uncleanShutdown, "connection closed without close_notify")])

    var quiet = try serverConfiguration()
    quiet.reportUncleanShutdown = false
    let quietPair = try EmbeddedPair(client: clientConfiguration(), server: quiet)
    try quietPair.handshake()
    quietPair.server.pipeline.fireChannelInactive()
    #expect(quietPair.serverRecorder.errors.isEmpty)
    #expect(quietPair.serverRecorder.inactive)
  }

  @Test("Half-closed input (TCP FIN) without close_notify closes the connection as unclean")
  func inputClosed() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    pair.server.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    #expect(pair.serverRecorder.errors.first?.kind == .uncleanShutdown)
    #expect(!pair.server.isActive)
  }

  @Test("ERR_clear_error before each SSL call: a stale error on the thread's queue is harmless")
  func staleErrorQueue() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    OpenSSL.leaveStaleErrorForTesting()
    #expect(OpenSSL.hasQueuedErrorForTesting)
    try pair.connect()
    for _ in 0..<6 {
      OpenSSL.leaveStaleErrorForTesting()
      try pair.clientToServer()
      OpenSSL.leaveStaleErrorForTesting()
      try pair.serverToClient()
    }
    OpenSSL.leaveStaleErrorForTesting()
    _ = pair.client.send("still fine")
    try pair.shuttle()
    #expect(pair.serverRecorder.receivedString == "still fine")
    #expect(pair.serverRecorder.errors.isEmpty && pair.clientRecorder.errors.isEmpty)
  }

  @Test("Renegotiation is refused (RFC 7540 §9.2.1)")
  func noRenegotiation() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(maximumVersion: .tls12), server: serverConfiguration())
    try pair.handshake()
    let context = try pair.client.pipeline.syncOperations.context(handler: pair.clientHandler)
    #expect(pair.clientHandler.startRenegotiationForTesting(context: context))
    try pair.shuttle()
    let error = try #require(pair.clientRecorder.errors.first)
    #expect(error.kind == .protocolError)
    #expect(error.reason.contains("no renegotiation"))
  }

  @Test("Huge writes are sliced and arrive intact (32 MiB in one write)")
  func hugeWrite() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    let size = 32 << 20
    var payload = ByteBuffer()
    payload.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { pointer in
      for i in 0..<size { pointer[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 13) }
      return size
    }
    let written = pair.client.writeAndFlush(payload)
    try pair.shuttle()
    try written.wait()
    #expect(pair.serverRecorder.received == payload)
    #expect(pair.serverRecorder.reads > 1)  // handed on in batches, not as one 32 MiB read
  }

  @Test("Empty writes and many small writes in one flush complete their promises in order")
  func manySmallWrites() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    var futures: [EventLoopFuture<Void>] = []
    for i in 0..<100 { futures.append(pair.client.write(ByteBuffer(string: i == 50 ? "" : "\(i),"))) }
    pair.client.flush()
    try pair.shuttle()
    for future in futures { try future.wait() }
    #expect(pair.serverRecorder.receivedString == (0..<100).filter { $0 != 50 }.map { "\($0)," }.joined())
  }

  @Test("Writes after close fail with writeAfterClose; close during the handshake closes at once")
  func writeAfterClose() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    _ = pair.client.close()
    #expect(throws: TLSError(.writeAfterClose, "write on a TLS connection that is closing or closed")) {
      try pair.client.send("too late").wait()
    }

    let early = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try early.connect()
    let pending = early.client.send("never sent")
    try early.client.close().wait()
    #expect(!early.client.isActive)
    #expect(throws: (any Error).self) { try pending.wait() }
  }

  @Test(
    "Garbage on the server: random bytes and plaintext HTTP/2 fail the handshake with OpenSSL's reason",
    arguments: [
      ("random", [UInt8](repeating: 0x5A, count: 64), "wrong version number"),
      ("h2 preface", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8), "wrong version number"),
      ("http/1.1", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), "http request"),
    ] as [(String, [UInt8], String)])
  func garbage(name: String, bytes: [UInt8], reason: String) throws {
    let server = EmbeddedChannel()
    let recorder = Recorder()
    try server.pipeline.syncOperations.addHandlers([
      TLSHandler(context: try TLSContext(configuration: serverConfiguration(), role: .server)), recorder,
    ])
    try server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    try server.writeInbound(ByteBuffer(bytes: bytes))
    let error = try #require(recorder.errors.first)
    #expect(error.kind == .handshakeFailed)
    #expect(error.reason.contains(reason), "\(name): \(error.reason)")
    #expect(!server.isActive)
  }
}

import NIOCore
import NIOEmbedded
import NIOTLS
import TransportTestSupport

@testable import TLS

/// Records everything that reaches the end of a pipeline.
final class Recorder: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer

  var received = ByteBuffer()
  var reads = 0
  var handshakeEvents: [TLSUserEvent] = []
  var info: TLSConnectionInfo?
  var errors: [TLSError] = []
  var otherErrors: [any Error] = []
  var inactive = false

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var buffer = unwrapInboundIn(data)
    reads += 1
    received.writeBuffer(&buffer)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let event = event as? TLSUserEvent { handshakeEvents.append(event) }
    if let info = event as? TLSConnectionInfo { self.info = info }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    if let error = error as? TLSError { errors.append(error) } else { otherErrors.append(error) }
  }

  func channelInactive(context: ChannelHandlerContext) {
    inactive = true
  }

  var receivedString: String { String(buffer: received) }

  /// The negotiated ALPN protocol from the handshake event (nil if none was negotiated).
  var negotiatedProtocol: String?? {
    guard case .handshakeCompleted(let negotiated)? = handshakeEvents.first else { return nil }
    return .some(negotiated)
  }
}

let pki = TestPKI.shared

func serverConfiguration(
  clientCertificate: PeerCertificateVerification = .required,
  alpn: [String] = ["h2"],
  certificate: String? = nil,
  key: String? = nil,
  trustRoots: String? = nil,
  verifier: PeerVerifier? = nil
) throws -> TLSConfiguration {
  var configuration = try TLSConfiguration.fromPEMFiles(
    certificateChain: certificate ?? pki.serverCertificate,
    privateKey: key ?? pki.serverKey,
    trustRoots: trustRoots ?? pki.caCertificate,
    applicationProtocols: alpn,
    peerVerification: clientCertificate
  )
  configuration.peerVerifier = verifier
  return configuration
}

func clientConfiguration(
  certificate: String? = pki.clientCertificate,
  key: String? = pki.clientKey,
  trustRoots: String? = nil,
  alpn: [String] = ["h2"],
  maximumVersion: TLSVersion = .tls13,
  verifier: PeerVerifier? = nil
) throws -> TLSConfiguration {
  var configuration = try TLSConfiguration.fromPEMFiles(
    certificateChain: certificate,
    privateKey: key,
    trustRoots: trustRoots ?? pki.caCertificate,
    applicationProtocols: alpn
  )
  configuration.maximumVersion = maximumVersion
  configuration.peerVerifier = verifier
  return configuration
}

/// A TLS client and a TLS server on two EmbeddedChannels; `shuttle()` carries bytes between them
/// until neither has anything more to send.
final class EmbeddedPair {
  let client: EmbeddedChannel
  let server: EmbeddedChannel
  let clientHandler: TLSHandler
  let serverHandler: TLSHandler
  let clientRecorder = Recorder()
  let serverRecorder = Recorder()

  init(
    client clientConfig: TLSConfiguration,
    server serverConfig: TLSConfiguration,
    serverHostname: String? = "server.sehc.test"
  ) throws {
    clientHandler = TLSHandler(
      context: try TLSContext(configuration: clientConfig, role: .client), serverHostname: serverHostname)
    serverHandler = TLSHandler(context: try TLSContext(configuration: serverConfig, role: .server))
    client = EmbeddedChannel()
    server = EmbeddedChannel()
    try client.pipeline.syncOperations.addHandlers([clientHandler, clientRecorder])
    try server.pipeline.syncOperations.addHandlers([serverHandler, serverRecorder])
  }

  func connect() throws {
    try server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50001)).wait()
    try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
  }

  /// Moves everything the client wrote to the server; returns whether anything moved.
  @discardableResult
  func clientToServer() throws -> Bool {
    var moved = false
    while let bytes = try client.readOutbound(as: ByteBuffer.self) {
      moved = true
      if server.isActive { try server.writeInbound(bytes) }
    }
    return moved
  }

  @discardableResult
  func serverToClient() throws -> Bool {
    var moved = false
    while let bytes = try server.readOutbound(as: ByteBuffer.self) {
      moved = true
      if client.isActive { try client.writeInbound(bytes) }
    }
    return moved
  }

  func shuttle() throws {
    var rounds = 0
    while try clientToServer() | serverToClient() {
      rounds += 1
      precondition(rounds < 10_000, "shuttle does not converge")
    }
  }

  func handshake() throws {
    try connect()
    try shuttle()
  }
}

extension Bool {
  /// Non-short-circuit or, so both sides of a shuttle step always run.
  fileprivate static func | (lhs: Bool, rhs: Bool) -> Bool { lhs || rhs }
}

extension EmbeddedChannel {
  func send(_ text: String) -> EventLoopFuture<Void> {
    writeAndFlush(ByteBuffer(string: text))
  }
}

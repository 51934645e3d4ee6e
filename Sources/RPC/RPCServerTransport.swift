public import GRPCCore
public import GRPCNIOTransportHTTP2Posix
public import NIOCore
import NIOHPACK
import NIOHTTP2
public import NIOPosix
import Synchronization
public import TLS

/// What the server knows about an authenticated client: its verified certificate chain and the
/// negotiated TLS parameters. Look it up from an RPC handler with
/// ``RPCServerTransport/peer(of:)`` (or ``PeerRegistry/peer(for:)``).
public struct AuthenticatedPeer: Sendable, Equatable {
  /// The remote address, in the form GRPCCore's `ServerContext.remotePeer` uses (`ipv4:1.2.3.4:5`).
  public var remotePeer: String
  /// What TLS negotiated, including the verified peer chain (DER, leaf first).
  public var tls: TLSConnectionInfo
  /// The peer's leaf certificate in DER, if it sent one.
  public var leafCertificate: [UInt8]? { tls.peerCertificateChain.first }
}

/// The TLS identities of the connections a server has open, keyed by the remote-peer string that
/// GRPCCore reports in `ServerContext.remotePeer`. Entries are added when a handshake completes
/// and removed when the connection closes.
public final class PeerRegistry: Sendable {
  private let peers = Mutex<[String: AuthenticatedPeer]>([:])

  public init() {}

  /// The identity of the connection an RPC arrived on.
  public func peer(for context: ServerContext) -> AuthenticatedPeer? {
    peer(forRemotePeer: context.remotePeer)
  }

  /// The identity of the connection with this remote-peer string.
  public func peer(forRemotePeer remotePeer: String) -> AuthenticatedPeer? {
    peers.withLock { $0[remotePeer] }
  }

  /// How many authenticated connections are open.
  public var count: Int { peers.withLock { $0.count } }

  func add(_ peer: AuthenticatedPeer) { peers.withLock { $0[peer.remotePeer] = peer } }
  func remove(_ remotePeer: String) { _ = peers.withLock { $0.removeValue(forKey: remotePeer) } }
}

/// Renders an address the way grpc-swift-nio-transport renders `ServerContext.remotePeer`.
func remotePeerString(_ address: NIOCore.SocketAddress?) -> String {
  switch address {
  case .v4(let v4)?: "ipv4:\(v4.host):\(address!.port!)"
  case .v6(let v6)?: "ipv6:[\(v6.host)]:\(address!.port!)"
  case .unixDomainSocket?: "unix:\(address!.pathname ?? "<unknown>")"
  case nil: "<unknown>"
  }
}

/// Records a connection's TLS identity in the registry when its handshake completes, and removes
/// it when the connection closes.
final class PeerIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = Any
  private let registry: PeerRegistry
  private var key: String?

  init(registry: PeerRegistry) { self.registry = registry }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let info = event as? TLSConnectionInfo {
      let key = remotePeerString(context.channel.remoteAddress)
      self.key = key
      registry.add(AuthenticatedPeer(remotePeer: key, tls: info))
    }
    context.fireUserInboundEventTriggered(event)
  }

  func channelInactive(context: ChannelHandlerContext) {
    if let key { registry.remove(key) }
    key = nil
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    if let key { registry.remove(key) }
  }
}

/// Accepts TCP connections on a NIOPosix `ServerBootstrap` and puts our OpenSSL ``TLSHandler`` in
/// front of grpc-swift's HTTP/2 server pipeline, which requires ALPN `h2`.
public struct TLSListenerFactory: HTTP2ServerTransport.ListenerFactory {
  public let eventLoopGroup: any EventLoopGroup
  let host: String
  let port: Int
  let tlsContext: TLSContext
  let registry: PeerRegistry

  func makeChildHandlers(_ channel: any Channel) throws {
    let sync = channel.pipeline.syncOperations
    try sync.addHandler(TLSHandler(context: tlsContext))
    try sync.addHandler(PeerIdentityHandler(registry: registry))
  }

  public func makeListeningChannel(
    listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
    connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
  ) async throws -> NIOAsyncChannel<HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel, Never> {
    let factory = self
    return try await ServerBootstrap(group: eventLoopGroup)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .serverChannelInitializer { channel in listenerConfigurator.configure(channel: channel) }
      .bind(host: host, port: port) { channel in
        channel.eventLoop.makeCompletedFuture {
          try factory.makeChildHandlers(channel)
        }.flatMap {
          connectionConfigurator.configure(channel: channel, tls: .configured(requireALPN: true))
        }
      }
  }
}

/// A gRPC server transport: grpc-swift's HTTP/2 server (`HTTP2ServerTransport.Custom`) over our
/// OpenSSL TLS. Pass it to a `GRPCServer`.
///
/// ```swift
/// let tls = try TLSConfiguration.fromPEMFiles(
///   certificateChain: "node.pem", privateKey: "node.key", trustRoots: "ca.pem")
/// let transport = try RPCServerTransport(host: "0.0.0.0", port: 7443, tls: tls)
/// let server = GRPCServer(transport: transport, services: [...])
/// try await server.serve()
/// ```
public final class RPCServerTransport: ServerTransport, Sendable {
  public typealias Bytes = GRPCNIOTransportBytes
  /// grpc-swift's transport settings: keepalive, idle and age limits, HTTP/2 window and
  /// concurrency, the largest request message accepted (`rpc.maxRequestPayloadSize`).
  public typealias Config = HTTP2ServerTransport.Custom<TLSListenerFactory>.Config

  private let transport: HTTP2ServerTransport.Custom<TLSListenerFactory>
  /// Authenticated identities of the open connections.
  public let peers: PeerRegistry

  /// Creates a transport listening on `host:port` (port 0 picks a free port; see
  /// ``listeningAddress``). `tls` should offer ALPN `h2`; it is added when missing.
  public init(
    host: String,
    port: Int,
    tls: TLSConfiguration,
    config: Config = .defaults,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) throws(TLSError) {
    var tls = tls
    if !tls.applicationProtocols.contains("h2") { tls.applicationProtocols.insert("h2", at: 0) }
    // HTTP/2 is self-delimiting: a client that skips close_notify loses nothing.
    tls.reportUncleanShutdown = false
    let context = try TLSContext(configuration: tls, role: .server)
    // grpc-swift's server resets a stream whose request message is too large (the client sees
    // CANCELLED); a guard in front of its stream handler answers RESOURCE_EXHAUSTED instead.
    var config = config
    let limit = config.rpc.maxRequestPayloadSize
    let userCallback = config.channelDebuggingCallbacks.onAcceptHTTP2Stream
    config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
      let added = stream.eventLoop.makeCompletedFuture {
        try stream.pipeline.syncOperations.addHandler(RequestSizeGuard(limit: limit), position: .first)
      }
      guard let userCallback else { return added }
      return added.flatMap { userCallback(stream) }
    }
    let registry = PeerRegistry()
    peers = registry
    transport = HTTP2ServerTransport.Custom(
      listenerFactory: TLSListenerFactory(
        eventLoopGroup: eventLoopGroup, host: host, port: port, tlsContext: context, registry: registry),
      config: config)
  }

  /// The bound address once the server listens (nil if it never did or has stopped).
  public var listeningAddress: GRPCNIOTransportCore.SocketAddress? {
    get async { await transport.listeningAddress }
  }

  /// The bound TCP port once the server listens.
  public var listeningPort: Int? {
    get async {
      guard let address = await listeningAddress else { return nil }
      return address.ipv4?.port ?? address.ipv6?.port
    }
  }

  /// The TLS identity of the client an RPC came from.
  public func peer(of context: ServerContext) -> AuthenticatedPeer? { peers.peer(for: context) }

  public func listen(
    streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
  ) async throws {
    try await transport.listen(streamHandler: streamHandler)
  }

  public func beginGracefulShutdown() { transport.beginGracefulShutdown() }

  public func configure(context: GRPCServerContext) { transport.configure(context: context) }
}

/// Sits first in each server stream's pipeline and watches the length prefixes of the request
/// messages. A message longer than the limit ends the call with RESOURCE_EXHAUSTED (trailers, then
/// RST_STREAM(NO_ERROR)) before any of it is buffered.
final class RequestSizeGuard: ChannelDuplexHandler {
  typealias InboundIn = HTTP2Frame.FramePayload
  typealias InboundOut = HTTP2Frame.FramePayload
  typealias OutboundIn = HTTP2Frame.FramePayload
  typealias OutboundOut = HTTP2Frame.FramePayload

  private let limit: Int
  private var prefix: [UInt8] = []
  private var remainingBody = 0
  private var sentHeaders = false
  private var rejected = false

  init(limit: Int) {
    self.limit = limit
    prefix.reserveCapacity(5)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard !rejected else { return }
    if case .data(let frame) = unwrapInboundIn(data), case .byteBuffer(let buffer) = frame.data {
      var view = buffer
      while view.readableBytes > 0 {
        if remainingBody > 0 {
          let skip = min(remainingBody, view.readableBytes)
          view.moveReaderIndex(forwardBy: skip)
          remainingBody -= skip
          continue
        }
        prefix.append(view.readInteger(as: UInt8.self)!)
        if prefix.count == 5 {
          let length = Int(prefix[1]) << 24 | Int(prefix[2]) << 16 | Int(prefix[3]) << 8 | Int(prefix[4])
          prefix.removeAll(keepingCapacity: true)
          if length > limit {
            reject(context: context, length: length)
            return
          }
          remainingBody = length
        }
      }
    }
    context.fireChannelRead(data)
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    guard !rejected else {
      promise?.fail(ChannelError.ioOnClosedChannel)
      return
    }
    if case .headers = unwrapOutboundIn(data) { sentHeaders = true }
    context.write(data, promise: promise)
  }

  private func reject(context: ChannelHandlerContext, length: Int) {
    rejected = true
    var headers = HPACKHeaders()
    if !sentHeaders {
      headers.add(name: ":status", value: "200")
      headers.add(name: "content-type", value: "application/grpc")
    }
    headers.add(name: "grpc-status", value: String(Status.Code.resourceExhausted.rawValue))
    headers.add(
      name: "grpc-message",
      value: PercentEncoding.encode("request message of \(length) bytes is over the limit of \(limit) bytes"))
    context.write(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
    context.writeAndFlush(wrapOutboundOut(.rstStream(.noError)), promise: nil)
    context.close(promise: nil)
  }
}

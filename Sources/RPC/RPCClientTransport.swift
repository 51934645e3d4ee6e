public import GRPCCore
public import NIOCore
import NIOHPACK
import NIOHTTP2
public import NIOPosix
import NIOTLS
import Synchronization
public import TLS

/// A gRPC client transport for GRPCCore: HTTP/2 (swift-nio-http2) over our OpenSSL TLS, to one
/// server address. It keeps one connection, reconnects with exponential backoff and jitter when
/// it drops, sends keepalive PINGs, and maps every way a stream can end to a gRPC status.
///
/// ```swift
/// let tls = try TLSConfiguration.fromPEMFiles(
///   certificateChain: "client.pem", privateKey: "client.key", trustRoots: "ca.pem")
/// let transport = try RPCClientTransport(host: "node1.example", port: 7443, tls: tls)
/// try await withGRPCClient(transport: transport) { client in ... }
/// ```
public final class RPCClientTransport: ClientTransport, Sendable {
  public typealias Bytes = RPCBytes

  /// Client settings.
  public struct Config: Sendable {
    /// Keepalive: a PING after `time` (while RPCs are open, or always if `allowWithoutCalls`);
    /// the connection is closed if its ack takes longer than `timeout`.
    public struct Keepalive: Sendable {
      public var time: Duration
      public var timeout: Duration
      public var allowWithoutCalls: Bool
      public init(time: Duration, timeout: Duration, allowWithoutCalls: Bool = false) {
        self.time = time
        self.timeout = timeout
        self.allowWithoutCalls = allowWithoutCalls
      }
    }

    /// Reconnection backoff (gRPC connection-backoff: delay × multiplier up to `max`, ± jitter).
    public struct Backoff: Sendable {
      public var initial: Duration
      public var max: Duration
      public var multiplier: Double
      public var jitter: Double
      public init(initial: Duration, max: Duration, multiplier: Double, jitter: Double) {
        self.initial = initial
        self.max = max
        self.multiplier = multiplier
        self.jitter = jitter
      }
      /// 1 s, ×1.6, at most 120 s, jitter 0.2 (gRPC's defaults).
      public static var defaults: Backoff {
        Backoff(initial: .seconds(1), max: .seconds(120), multiplier: 1.6, jitter: 0.2)
      }
    }

    /// Keepalive PINGs; nil for none.
    public var keepalive: Keepalive?
    /// Reconnection backoff.
    public var backoff: Backoff = .defaults
    /// How long a TCP connect may take.
    public var connectTimeout: Duration = .seconds(20)
    /// The largest request message sent (larger ones end the call with RESOURCE_EXHAUSTED), unless
    /// the call options set one.
    public var maxRequestMessageBytes: Int = 4 << 20
    /// The largest response message accepted (RESOURCE_EXHAUSTED otherwise), unless the call
    /// options set one.
    public var maxResponseMessageBytes: Int = 4 << 20
    /// HTTP/2 flow-control window of each stream and of the connection.
    public var targetWindowSize: Int = 8 << 20
    /// The largest HTTP/2 frame the server may send us.
    public var maxFrameSize: Int = 1 << 14
    /// Flushes are delayed by at most this much, unless 16 KiB are already waiting, so that the
    /// small frames of concurrent calls share TLS records and system calls while bulk transfers
    /// go out at once; nil flushes every write at once.
    public var flushCoalescingDelay: Duration? = .microseconds(100)
    /// Per-method configuration returned to GRPCCore (timeouts, retries...).
    public var serviceConfig: ServiceConfig = ServiceConfig()

    public init() {}

    public static var defaults: Config { Config() }
  }

  let host: String
  let port: Int
  let serverHostname: String?
  let config: Config
  let tlsContext: TLSContext
  let group: any EventLoopGroup
  private let state = Mutex(State())
  private let pingAcks = Atomic<Int>(0)

  /// How many keepalive PINGs the server has acknowledged (diagnostics and tests).
  public var keepalivePingsAcknowledged: Int { pingAcks.load(ordering: .relaxed) }

  /// Creates a transport for `host:port`. `serverHostname` is sent as SNI and checked against
  /// the server's certificate (default: `host`). ALPN `h2` is always offered.
  public init(
    host: String,
    port: Int,
    tls: TLSConfiguration,
    serverHostname: String? = nil,
    config: Config = .defaults,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) throws(TLSError) {
    var tls = tls
    tls.applicationProtocols = ["h2"]
    tls.reportUncleanShutdown = false
    self.tlsContext = try TLSContext(configuration: tls, role: .client)
    self.host = host
    self.port = port
    self.serverHostname = serverHostname ?? host
    self.config = config
    self.group = eventLoopGroup
  }

  public var retryThrottle: RetryThrottle? { nil }

  public func config(forMethod descriptor: MethodDescriptor) -> MethodConfig? {
    // Most specific first: the method, then its service, then the default for all.
    let service = descriptor.service.fullyQualifiedService
    var byService: MethodConfig?
    var byDefault: MethodConfig?
    for config in self.config.serviceConfig.methodConfig {
      for name in config.names {
        if name.service == service && name.method == descriptor.method { return config }
        if name.service == service && name.method.isEmpty { byService = config }
        if name.service.isEmpty { byDefault = config }
      }
    }
    return byService ?? byDefault
  }

  // MARK: Connection state

  final class Connection: Sendable {
    let id: Int
    let channel: any Channel
    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    let remotePeer: String
    let localPeer: String
    let failure: ConnectionFailure

    init(
      id: Int, channel: any Channel, multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>,
      failure: ConnectionFailure
    ) {
      self.id = id
      self.failure = failure
      self.channel = channel
      self.multiplexer = multiplexer
      self.remotePeer = remotePeerString(channel.remoteAddress)
      self.localPeer = remotePeerString(channel.localAddress)
    }
  }

  enum Phase {
    case idle
    case connecting
    case ready(Connection)
    case transientFailure(String)
    case shutdown
  }

  enum Event: Sendable {
    case connected(Connection)
    case failed(String)
    case retry
    case connectionClosed(Int)
    case goAway(Int)
    case shutdown
    case drained
  }

  struct Waiter {
    var waitForReady: Bool
    var continuation: CheckedContinuation<Connection, any Error>
  }

  struct State {
    var phase = Phase.idle
    var waiters: [Int: Waiter] = [:]
    var nextID = 0
    var activeStreams = 0
    var shutdownRequested = false
    var connectCalled = false
    var events: AsyncStream<Event>.Continuation?

    mutating func makeID() -> Int {
      nextID += 1
      return nextID
    }
  }

  /// The current connectivity, for tests and diagnostics: "idle", "connecting", "ready",
  /// "transientFailure" or "shutdown".
  public var connectivity: String {
    state.withLock { state in
      switch state.phase {
      case .idle: "idle"
      case .connecting: "connecting"
      case .ready: "ready"
      case .transientFailure: "transientFailure"
      case .shutdown: "shutdown"
      }
    }
  }

  private func setPhase(_ phase: Phase) {
    let resume: [(Waiter, Result<Connection, any Error>)] = state.withLock { state in
      state.phase = phase
      var resume: [(Waiter, Result<Connection, any Error>)] = []
      switch phase {
      case .ready(let connection):
        resume = state.waiters.values.map { ($0, .success(connection)) }
        state.waiters.removeAll()
      case .transientFailure(let reason):
        for (id, waiter) in state.waiters where !waiter.waitForReady {
          resume.append(
            (waiter, .failure(RPCError(code: .unavailable, message: "cannot connect: \(reason)"))))
          state.waiters.removeValue(forKey: id)
        }
      case .shutdown:
        resume = state.waiters.values.map {
          ($0, .failure(RPCError(code: .failedPrecondition, message: "the transport is shut down")))
        }
        state.waiters.removeAll()
      case .idle, .connecting:
        break
      }
      return resume
    }
    for (waiter, result) in resume { waiter.continuation.resume(with: result) }
  }

  // MARK: ClientTransport

  public func connect() async throws {
    let (events, continuation) = AsyncStream.makeStream(of: Event.self)
    let alreadyShutDown: Bool = try state.withLock { state in
      guard !state.connectCalled else {
        throw RPCError(code: .failedPrecondition, message: "connect() may be called only once")
      }
      state.connectCalled = true
      state.events = continuation
      return state.shutdownRequested
    }
    if alreadyShutDown {
      setPhase(.shutdown)
      return
    }

    await withDiscardingTaskGroup { group in
      var backoff = BackoffIterator(config.backoff)
      var current: Connection?
      var shuttingDown = false

      func startAttempt() {
        setPhase(.connecting)
        group.addTask {
          do {
            let connection = try await self.establish(events: continuation)
            if case .terminated = continuation.yield(.connected(connection)) {
              connection.channel.close(promise: nil)
            }
          } catch {
            continuation.yield(.failed(describe(error)))
          }
        }
      }

      startAttempt()
      loop: for await event in events {
        switch event {
        case .connected(let connection):
          if shuttingDown {
            connection.channel.close(promise: nil)
            break loop
          }
          current = connection
          backoff = BackoffIterator(config.backoff)
          setPhase(.ready(connection))
          let id = connection.id
          connection.channel.closeFuture.whenComplete { _ in continuation.yield(.connectionClosed(id)) }
        case .failed(let reason):
          if shuttingDown { break loop }
          setPhase(.transientFailure(reason))
          let delay = backoff.next()
          group.addTask {
            try? await Task.sleep(for: delay)
            continuation.yield(.retry)
          }
        case .retry:
          if shuttingDown { break loop }
          startAttempt()
        case .connectionClosed(let id), .goAway(let id):
          guard current?.id == id else { continue }
          current = nil
          if shuttingDown { break loop }
          startAttempt()
        case .shutdown:
          shuttingDown = true
          if current == nil || state.withLock({ $0.activeStreams }) == 0 { break loop }
        case .drained:
          if shuttingDown { break loop }
        }
      }
      setPhase(.shutdown)
      continuation.finish()
      if let current { try? await current.channel.close() }
      group.cancelAll()
    }
  }

  public func beginGracefulShutdown() {
    let events = state.withLock { state in
      state.shutdownRequested = true
      return state.events
    }
    if let events {
      events.yield(.shutdown)
    } else {
      setPhase(.shutdown)
    }
  }

  public func withStream<T: Sendable>(
    descriptor: MethodDescriptor,
    options: CallOptions,
    _ closure: (_ stream: RPCStream<Inbound, Outbound>, _ context: ClientContext) async throws -> T
  ) async throws -> T {
    let connection = try await readyConnection(waitForReady: options.waitForReady ?? false)
    try state.withLock { state in
      guard !state.shutdownRequested else {
        throw RPCError(code: .failedPrecondition, message: "the transport is shutting down")
      }
      state.activeStreams += 1
    }
    defer {
      let drained = state.withLock { state in
        state.activeStreams -= 1
        return state.activeStreams == 0 && state.shutdownRequested ? state.events : nil
      }
      drained?.yield(.drained)
    }

    let path = "/" + descriptor.fullyQualifiedMethod
    let authority = port == 443 ? host : "\(host):\(port)"
    let maxRequestSize = options.maxRequestMessageBytes ?? config.maxRequestMessageBytes
    let maxResponseSize = options.maxResponseMessageBytes ?? config.maxResponseMessageBytes
    let connectionFailure = connection.failure
    let streamChannel: NIOAsyncChannel<RPCResponsePart<RPCBytes>, ClientOutboundPart>
    do {
      streamChannel = try await connection.multiplexer.openStream { channel in
        channel.eventLoop.makeCompletedFuture {
          let handler = ClientStreamHandler(
            path: path, authority: authority, maxRequestSize: maxRequestSize,
            maxResponseSize: maxResponseSize,
            connectionFailure: connectionFailure)
          try channel.pipeline.syncOperations.addHandler(handler)
          return try NIOAsyncChannel<RPCResponsePart<RPCBytes>, ClientOutboundPart>(
            wrappingChannelSynchronously: channel)
        }
      }
    } catch {
      let reason = connectionFailure.value.map { "the connection was closed: \($0)" } ?? "\(error)"
      throw RPCError(code: .unavailable, message: "cannot open an HTTP/2 stream: \(reason)", cause: error)
    }

    let context = ClientContext(
      descriptor: descriptor, remotePeer: connection.remotePeer, localPeer: connection.localPeer)
    do {
      return try await streamChannel.executeThenClose { inbound, outbound in
        let stream = RPCStream(
          descriptor: descriptor,
          inbound: RPCAsyncSequence<RPCResponsePart<RPCBytes>, any Error>(
            wrapping: CancellationAwareInbound(base: inbound)),
          outbound: RPCWriter.Closable(wrapping: RequestWriter(writer: outbound)))
        // Leaving this scope closes the stream channel: if the call has not finished both ways
        // (cancellation, deadline), that sends RST_STREAM(CANCEL).
        return try await closure(stream, context)
      }
    } catch is CancellationError {
      // GRPCCore reports anything but an RPCError from a transport as UNKNOWN.
      throw RPCError(code: .cancelled, message: "the call was cancelled")
    }
  }

  private func readyConnection(waitForReady: Bool) async throws -> Connection {
    let id = state.withLock { $0.makeID() }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<Connection, any Error>) in
        let immediate: Result<Connection, any Error>? = state.withLock { state in
          if state.shutdownRequested {
            return .failure(RPCError(code: .failedPrecondition, message: "the transport is shutting down"))
          }
          switch state.phase {
          case .ready(let connection):
            return .success(connection)
          case .shutdown:
            return .failure(RPCError(code: .failedPrecondition, message: "the transport is shut down"))
          case .transientFailure(let reason) where !waitForReady:
            return .failure(RPCError(code: .unavailable, message: "cannot connect: \(reason)"))
          default:
            state.waiters[id] = Waiter(waitForReady: waitForReady, continuation: continuation)
            return nil
          }
        }
        if let immediate { continuation.resume(with: immediate) }
      }
    } onCancel: {
      let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
      waiter?.continuation.resume(
        throwing: RPCError(code: .cancelled, message: "cancelled while waiting for a connection"))
    }
  }

  // MARK: Connecting

  private func establish(events: AsyncStream<Event>.Continuation) async throws -> Connection {
    let id = state.withLock { $0.makeID() }
    let tlsContext = self.tlsContext
    let serverHostname = self.serverHostname
    let config = self.config
    var http2 = NIOHTTP2Handler.Configuration()
    let window = min(config.targetWindowSize, Int(Int32.max))
    http2.stream.targetWindowSize = window
    http2.connection.targetWindowSize = window
    http2.connection.initialSettings = [
      HTTP2Setting(parameter: .enablePush, value: 0),
      HTTP2Setting(parameter: .initialWindowSize, value: window),
      HTTP2Setting(parameter: .maxFrameSize, value: min(max(config.maxFrameSize, 1 << 14), (1 << 24) - 1)),
      HTTP2Setting(parameter: .maxHeaderListSize, value: HPACKDecoder.defaultMaxHeaderListSize),
    ]
    http2.stream.streamResetFrameRateLimit.maximumCount = 200
    http2.stream.streamResetFrameRateLimit.windowLength = .seconds(10)
    let keepalive = config.keepalive
    let http2Configuration = http2
    let onPingAck: @Sendable () -> Void = { [self] in _ = self.pingAcks.add(1, ordering: .relaxed) }

    let failure = ConnectionFailure()
    let (channel, multiplexer, handshake) = try await ClientBootstrap(group: group)
      .connectTimeout(TimeAmount(config.connectTimeout))
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .connect(host: host, port: port) { channel in
        channel.eventLoop.makeCompletedFuture {
          let sync = channel.pipeline.syncOperations
          try sync.addHandler(TLSHandler(context: tlsContext, serverHostname: serverHostname))
          let handshake = channel.eventLoop.makePromise(of: Void.self)
          try sync.addHandler(ALPNHandshakeHandler(promise: handshake, failure: failure))
          if let delay = config.flushCoalescingDelay {
            try sync.addHandler(FlushCoalescer(maxDelay: TimeAmount(delay), maxBytes: 16 * 1024))
          }
          let multiplexer = try sync.configureAsyncHTTP2Pipeline(
            mode: .client, configuration: http2Configuration
          ) { stream in
            stream.close()  // push is disabled: the server cannot open streams
          }
          try sync.addHandler(
            ClientConnectionHandler(
              keepalive: keepalive, onGoAway: { events.yield(.goAway(id)) }, onPingAck: onPingAck))
          return (channel, multiplexer, handshake.futureResult)
        }
      }
    do {
      try await handshake.get()
    } catch {
      channel.close(promise: nil)
      throw error
    }
    return Connection(id: id, channel: channel, multiplexer: multiplexer, failure: failure)
  }
}

/// The inbound side of a stream as GRPCCore sees it: when the caller's task is cancelled before a
/// status arrived, it ends with a CANCELLED status instead of just ending (which GRPCCore would
/// report as UNKNOWN, "the transport threw an unexpected error").
struct CancellationAwareInbound<Base: AsyncSequence>: AsyncSequence
where Base.Element == RPCResponsePart<RPCBytes> {
  typealias Element = RPCResponsePart<RPCBytes>
  let base: Base

  struct AsyncIterator: AsyncIteratorProtocol {
    var base: Base.AsyncIterator
    var finished = false

    mutating func next() async throws -> Element? {
      guard !finished else { return nil }
      let cancelled = Element.status(Status(code: .cancelled, message: "the call was cancelled"), [:])
      do {
        let part = try await base.next()
        switch part {
        case .status?:
          finished = true
        case nil:
          finished = true
          if Task.isCancelled { return cancelled }
        default:
          break
        }
        return part
      } catch is CancellationError {
        finished = true
        return cancelled
      }
    }
  }

  func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
}

extension CancellationAwareInbound: Sendable where Base: Sendable {}

/// Maps GRPCCore's request parts onto the stream handler's outbound parts.
struct RequestWriter: ClosableRPCWriterProtocol {
  typealias Element = RPCRequestPart<RPCBytes>
  let writer: NIOAsyncChannelOutboundWriter<ClientOutboundPart>

  private static func part(_ element: Element) -> ClientOutboundPart {
    switch element {
    case .metadata(let metadata): .metadata(metadata)
    case .message(let bytes): .message(bytes)
    }
  }

  func write(_ element: Element) async throws {
    try await writer.write(Self.part(element))
  }

  func write(contentsOf elements: some Sequence<Element>) async throws {
    try await writer.write(contentsOf: elements.map(Self.part))
  }

  func finish() async {
    try? await writer.write(.end)
  }

  func finish(throwing error: any Error) async {
    try? await writer.write(.cancel)
  }
}

/// Why a connection failed (the TLS error that closed it), for the status of its streams.
final class ConnectionFailure: Sendable {
  private let reason = Mutex<String?>(nil)
  var value: String? { reason.withLock { $0 } }
  func record(_ error: any Error) {
    reason.withLock { $0 = $0 ?? (error as? TLSError)?.reason ?? String(describing: error) }
  }
}

/// Waits for the TLS handshake and insists on ALPN `h2`; records the error that ends the
/// connection.
final class ALPNHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer
  private var promise: EventLoopPromise<Void>?
  private let failure: ConnectionFailure

  init(promise: EventLoopPromise<Void>, failure: ConnectionFailure) {
    self.promise = promise
    self.failure = failure
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case .handshakeCompleted(let negotiated)? = event as? TLSUserEvent {
      if negotiated == "h2" {
        promise?.succeed()
        promise = nil
      } else {
        promise?.fail(
          RPCError(
            code: .unavailable,
            message:
              "the server did not negotiate HTTP/2 with ALPN (got \(negotiated.map { "'\($0)'" } ?? "none"))")
        )
        promise = nil
        context.close(promise: nil)
        return
      }
    }
    context.fireUserInboundEventTriggered(event)
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    failure.record(error)
    promise?.fail(error)
    promise = nil
    context.fireErrorCaught(error)
  }

  func channelInactive(context: ChannelHandlerContext) {
    promise?.fail(RPCError(code: .unavailable, message: "the connection closed during the TLS handshake"))
    promise = nil
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    // A connection that never became active (refused, timed out) ends here.
    promise?.fail(RPCError(code: .unavailable, message: "the connection closed before the TLS handshake"))
    promise = nil
  }
}

/// Connection-level frames: keepalive PINGs and GOAWAY.
final class ClientConnectionHandler: ChannelDuplexHandler {
  typealias InboundIn = HTTP2Frame
  typealias InboundOut = HTTP2Frame
  typealias OutboundIn = HTTP2Frame
  typealias OutboundOut = HTTP2Frame

  private let keepalive: RPCClientTransport.Config.Keepalive?
  private let onGoAway: @Sendable () -> Void
  private let onPingAck: @Sendable () -> Void
  private var openStreams = 0
  private var pingTask: RepeatedTask?
  private var pingTimeout: Scheduled<Void>?
  private var pingCounter: UInt64 = 0

  init(
    keepalive: RPCClientTransport.Config.Keepalive?, onGoAway: @escaping @Sendable () -> Void,
    onPingAck: @escaping @Sendable () -> Void
  ) {
    self.keepalive = keepalive
    self.onGoAway = onGoAway
    self.onPingAck = onPingAck
  }

  func handlerAdded(context: ChannelHandlerContext) {
    guard let keepalive else { return }
    let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
    let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
    let interval = TimeAmount(keepalive.time)
    pingTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
      loopBoundSelf.value.sendPing(context: loopBoundContext.value)
    }
  }

  private func sendPing(context: ChannelHandlerContext) {
    guard let keepalive, context.channel.isActive, pingTimeout == nil,
      openStreams > 0 || keepalive.allowWithoutCalls
    else { return }
    pingCounter += 1
    context.writeAndFlush(
      wrapOutboundOut(
        HTTP2Frame(streamID: .rootStream, payload: .ping(HTTP2PingData(withInteger: pingCounter), ack: false))
      ),
      promise: nil)
    let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
    pingTimeout = context.eventLoop.scheduleTask(in: TimeAmount(keepalive.timeout)) {
      // No PING ack in time: the connection is dead.
      loopBoundContext.value.close(promise: nil)
    }
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch frame.payload {
    case .ping(_, let ack) where ack:
      onPingAck()
      pingTimeout?.cancel()
      pingTimeout = nil
    case .goAway:
      onGoAway()
    default:
      break
    }
    context.fireChannelRead(data)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is NIOHTTP2StreamCreatedEvent { openStreams += 1 }
    if event is StreamClosedEvent { openStreams -= 1 }
    context.fireUserInboundEventTriggered(event)
  }

  func channelInactive(context: ChannelHandlerContext) {
    pingTask?.cancel()
    pingTask = nil
    pingTimeout?.cancel()
    pingTimeout = nil
    context.fireChannelInactive()
  }
}

/// Exponential backoff with jitter.
struct BackoffIterator {
  private let backoff: RPCClientTransport.Config.Backoff
  private var current: Double

  init(_ backoff: RPCClientTransport.Config.Backoff) {
    self.backoff = backoff
    self.current = backoff.initial.secondsDouble
  }

  mutating func next() -> Duration {
    let base = min(current, backoff.max.secondsDouble)
    current = min(current * backoff.multiplier, backoff.max.secondsDouble)
    let jittered = base * (1 + Double.random(in: -backoff.jitter...backoff.jitter))
    return .nanoseconds(Int64(max(0, jittered) * 1e9))
  }
}

extension Duration {
  var secondsDouble: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}

extension TimeAmount {
  init(_ duration: Duration) {
    self = .nanoseconds(Int64(duration.secondsDouble * 1e9))
  }
}

func describe(_ error: any Error) -> String {
  if let error = error as? RPCError { return error.message }
  return String(describing: error)
}

internal import COpenSSL
public import NIOCore
internal import NIOTLS

/// A SwiftNIO duplex handler that runs TLS with OpenSSL 3 over two memory BIOs: ciphertext from the
/// network goes into the read BIO, OpenSSL's output is drained from the write BIO after every SSL
/// call and written to the network.
///
/// Lifecycle: `idle` → `handshaking` (on `channelActive`) → `active` (fires
/// `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)` and a ``TLSConnectionInfo`` event) →
/// `closing` (our `close_notify` sent, waiting for the peer's, at most
/// ``TLSConfiguration/shutdownTimeout``) → `closed`. Writes issued before the handshake completes
/// are buffered and sent right after it; records that arrive in the same flight as the peer's
/// Finished are decrypted at once. Errors are ``TLSError`` values fired through `errorCaught`,
/// after which the channel is closed.
///
/// The handler is not thread-safe: like every channel handler it lives on its channel's event loop.
public final class TLSHandler: ChannelDuplexHandler {
  public typealias InboundIn = ByteBuffer
  public typealias InboundOut = ByteBuffer
  public typealias OutboundIn = ByteBuffer
  public typealias OutboundOut = ByteBuffer

  enum State: Equatable {
    case idle
    case handshaking
    case active
    case closing
    case closed
  }

  /// Plaintext is handed on in pieces of at most this size.
  private static let readChunk = 16 * 1024
  private static let maxPlaintextBatch = 256 * 1024
  /// Large writes are encrypted in slices of this size and ciphertext is flushed out of the write
  /// BIO once it holds this much.
  private static let writeSlice = 1 << 20
  /// Consecutive writes are copied together up to this size before they are encrypted, so that
  /// OpenSSL fills whole 16 KiB records (an HTTP/2 DATA frame is a 9-byte header and a payload).
  private static let coalesceLimit = 64 * 1024

  private let tlsContext: TLSContext
  private let serverHostname: String?
  private var ssl: OpaquePointer?
  private var readBIO: OpaquePointer?
  private var writeBIO: OpaquePointer?
  private(set) var state: State = .idle

  private var pendingWrites = CircularBuffer<(buffer: ByteBuffer, promise: EventLoopPromise<Void>?)>()
  /// How many of `pendingWrites` (from the front) a flush has asked for.
  private var flushedWrites = 0
  private var closePromise: EventLoopPromise<Void>?
  private var closeTimeout: Scheduled<Void>?
  private var handshakeTimeout: Scheduled<Void>?
  private var receivedCloseNotify = false
  /// Whether writes deferred during the handshake have been released (after the handshake events).
  private var deferredWritesReleased = false
  private var verificationFailure: String?
  private var verifiedChain: [[UInt8]] = []
  private var remoteAddress: SocketAddress?
  private var localAddress: SocketAddress?

  /// What was negotiated; nil until the handshake completes.
  public private(set) var connectionInfo: TLSConnectionInfo?

  /// Creates a handler for one connection.
  ///
  /// - Parameters:
  ///   - context: The shared context; its role decides whether this side connects or accepts.
  ///   - serverHostname: Clients only: the name sent as SNI and checked against the server's
  ///     certificate (DNS name, or an IP address, which is checked but not sent as SNI).
  public init(context: TLSContext, serverHostname: String? = nil) {
    self.tlsContext = context
    self.serverHostname = serverHostname
  }

  deinit {
    if let ssl { SSL_free(ssl) }
  }

  // MARK: Channel events

  public func handlerAdded(context: ChannelHandlerContext) {
    do {
      try makeSSL()
    } catch {
      state = .closed
      context.fireErrorCaught(error)
      context.close(promise: nil)
      return
    }
    if context.channel.isActive { startHandshake(context: context) }
  }

  public func handlerRemoved(context: ChannelHandlerContext) {
    closeTimeout?.cancel()
    closeTimeout = nil
    handshakeTimeout?.cancel()
    handshakeTimeout = nil
    failPendingWrites(ChannelError.ioOnClosedChannel)
    if let ssl { SSL_free(ssl) }
    ssl = nil
    readBIO = nil
    writeBIO = nil
  }

  public func channelActive(context: ChannelHandlerContext) {
    context.fireChannelActive()
    startHandshake(context: context)
  }

  public func channelInactive(context: ChannelHandlerContext) {
    let previous = state
    state = .closed
    closeTimeout?.cancel()
    closeTimeout = nil
    handshakeTimeout?.cancel()
    handshakeTimeout = nil
    switch previous {
    case .handshaking:
      // EOF during the handshake is a handshake failure (swift-nio-ssl #253).
      context.fireErrorCaught(
        TLSError(.handshakeFailed, "connection closed by the peer during the handshake"))
    case .active where !receivedCloseNotify && tlsContext.configuration.reportUncleanShutdown:
      context.fireErrorCaught(TLSError(.uncleanShutdown, "connection closed without close_notify"))
    case .closing:
      closePromise?.succeed()
      closePromise = nil
    default:
      break
    }
    failPendingWrites(ChannelError.ioOnClosedChannel)
    context.fireChannelInactive()
  }

  public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard state != .closed, let readBIO else { return }
    var buffer = unwrapInboundIn(data)
    while buffer.readableBytes > 0 {
      let count = min(buffer.readableBytes, Int(Int32.max))
      let written = buffer.withUnsafeReadableBytes { BIO_write(readBIO, $0.baseAddress, Int32(count)) }
      guard written > 0 else { break }
      buffer.moveReaderIndex(forwardBy: Int(written))
    }
    switch state {
    case .idle, .handshaking:
      state = .handshaking
      doHandshake(context: context)
    case .active, .closing:
      readLoop(context: context)
    case .closed:
      break
    }
  }

  public func channelReadComplete(context: ChannelHandlerContext) {
    context.fireChannelReadComplete()
  }

  public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let event = event as? ChannelEvent, event == .inputClosed {
      // The peer half-closed TCP: treat as EOF. Our close_notify may still go out.
      switch state {
      case .idle, .handshaking:
        state = .closed
        context.fireErrorCaught(
          TLSError(.handshakeFailed, "connection closed by the peer during the handshake"))
        context.close(promise: nil)
      case .active where !receivedCloseNotify:
        if tlsContext.configuration.reportUncleanShutdown {
          context.fireErrorCaught(TLSError(.uncleanShutdown, "connection closed without close_notify"))
        }
        state = .closed
        context.close(promise: nil)
      case .closing:
        // Our close_notify is out and the peer's will never come: finish the close now.
        state = .closed
        closeTimeout?.cancel()
        closeTimeout = nil
        let promise = closePromise
        closePromise = nil
        context.close(promise: promise)
      default:
        break
      }
      return
    }
    context.fireUserInboundEventTriggered(event)
  }

  // MARK: Outbound

  public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    switch state {
    case .closing, .closed:
      promise?.fail(TLSError(.writeAfterClose, "write on a TLS connection that is closing or closed"))
    case .idle, .handshaking, .active:
      pendingWrites.append((unwrapOutboundIn(data), promise))
    }
  }

  public func flush(context: ChannelHandlerContext) {
    flushedWrites = pendingWrites.count
    // Before the handshake completes nothing is written: SSL_write would try to drive the
    // handshake itself and could never progress (swift-nio-ssl #467, #362).
    if state == .active { encryptFlushedWrites(context: context) }
  }

  public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
    switch mode {
    case .input:
      context.close(mode: .input, promise: promise)
    case .output:
      if state == .active, let ssl {
        encryptFlushedWrites(context: context)
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        drainWriteBIO(context: context, flush: true)
      }
      context.close(mode: .output, promise: promise)
    case .all:
      switch state {
      case .idle, .handshaking, .closed:
        state = .closed
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.close(mode: .all, promise: promise)
      case .closing:
        if let closePromise {
          closePromise.futureResult.cascade(to: promise)
        } else {
          closePromise = promise
        }
      case .active:
        beginClose(context: context, promise: promise)
      }
    }
  }

  // MARK: Handshake

  private func makeSSL() throws(TLSError) {
    guard ssl == nil else { return }
    ERR_clear_error()
    guard let ssl = SSL_new(tlsContext.ctx) else { throw OpenSSL.error(.configuration, "SSL_new failed") }
    guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
      SSL_free(ssl)
      throw OpenSSL.error(.configuration, "BIO_new failed")
    }
    // An empty read BIO means "retry later" (WANT_READ), never EOF.
    sehc_BIO_set_mem_eof_return(readBIO, -1)
    SSL_set_bio(ssl, readBIO, writeBIO)  // the SSL owns both BIOs now
    self.ssl = ssl
    self.readBIO = readBIO
    self.writeBIO = writeBIO
    SSL_set_ex_data(ssl, OpenSSL.exDataIndex, Unmanaged.passUnretained(self).toOpaque())
    let mode = tlsContext.verifyMode
    SSL_set_verify(ssl, mode, mode == SSL_VERIFY_NONE ? nil : verifyCallback)

    switch tlsContext.role {
    case .server:
      SSL_set_accept_state(ssl)
    case .client:
      SSL_set_connect_state(ssl)
      if let host = serverHostname, !host.isEmpty {
        let isIPAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        if isIPAddress {
          if tlsContext.configuration.peerVerification != .none {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
          }
        } else {
          guard sehc_SSL_set_tlsext_host_name(ssl, host) == 1 else {
            throw OpenSSL.error(.configuration, "cannot set the server name '\(host)'")
          }
          if tlsContext.configuration.peerVerification != .none {
            guard SSL_set1_host(ssl, host) == 1 else {
              throw OpenSSL.error(.configuration, "cannot set the expected host name '\(host)'")
            }
          }
        }
      }
    }
  }

  private func startHandshake(context: ChannelHandlerContext) {
    guard state == .idle, ssl != nil else { return }
    state = .handshaking
    remoteAddress = context.channel.remoteAddress
    localAddress = context.channel.localAddress
    if let timeout = tlsContext.configuration.handshakeTimeout {
      let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
      let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
      handshakeTimeout = context.eventLoop.scheduleTask(in: timeout) {
        let handler = loopBoundSelf.value
        handler.handshakeTimeout = nil
        guard handler.state == .handshaking else { return }
        // A peer that connects and stalls must not hold the connection forever.
        handler.fail(context: loopBoundContext.value, TLSError(.handshakeFailed, "the handshake timed out"))
      }
    }
    doHandshake(context: context)
  }

  private func doHandshake(context: ChannelHandlerContext) {
    guard let ssl else { return }
    ERR_clear_error()
    let rc = SSL_do_handshake(ssl)
    if rc == 1 {
      drainWriteBIO(context: context, flush: true)
      handshakeCompleted(context: context)
      return
    }
    let error = SSL_get_error(ssl, rc)
    if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
      drainWriteBIO(context: context, flush: true)
      return
    }
    let failure = handshakeError(sslError: error)
    drainWriteBIO(context: context, flush: true)  // the alert
    fail(context: context, failure)
  }

  private func handshakeCompleted(context: ChannelHandlerContext) {
    guard let ssl else { return }
    handshakeTimeout?.cancel()
    handshakeTimeout = nil
    state = .active
    var alpnPointer: UnsafePointer<UInt8>?
    var alpnLength: UInt32 = 0
    SSL_get0_alpn_selected(ssl, &alpnPointer, &alpnLength)
    let alpn = alpnPointer.map {
      String(decoding: UnsafeBufferPointer(start: $0, count: Int(alpnLength)), as: UTF8.self)
    }
    let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) }
    let info = TLSConnectionInfo(
      version: TLSVersion(rawValue: Int(SSL_version(ssl))),
      cipher: cipher ?? "",
      applicationProtocol: alpn,
      peerCertificateChain: verifiedChain,
      serverName: tlsContext.role == .server ? serverNameIndication(ssl) : serverHostname
    )
    connectionInfo = info
    context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: alpn))
    guard state == .active else { return }  // a later handler may have closed the channel
    context.fireUserInboundEventTriggered(info)
    guard state == .active else { return }
    // Writes deferred during the handshake, then records that came in the same flight as the
    // peer's Finished (a TLS 1.3 client sends Finished and the HTTP/2 preface together, #379).
    deferredWritesReleased = true
    encryptFlushedWrites(context: context)
    readLoop(context: context)
    context.fireChannelReadComplete()
  }

  private func serverNameIndication(_ ssl: OpaquePointer) -> String? {
    SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
  }

  /// Called by OpenSSL for every certificate of the peer's chain, root first (see verifyCallback).
  fileprivate func verify(preverifyOK: Int32, store: OpaquePointer) -> Int32 {
    let depth = X509_STORE_CTX_get_error_depth(store)
    if preverifyOK == 0 {
      let code = X509_STORE_CTX_get_error(store)
      let text = String(cString: X509_verify_cert_error_string(Int(code)))
      if verificationFailure == nil {
        verificationFailure = "certificate verify failed at depth \(depth): \(text)"
      }
      return 0
    }
    guard depth == 0 else { return 1 }
    var chain: [[UInt8]] = []
    if let stack = X509_STORE_CTX_get0_chain(store) {
      for i in 0..<OPENSSL_sk_num(stack) {
        if let certificate = OPENSSL_sk_value(stack, i) {
          chain.append(OpenSSL.der(OpaquePointer(certificate)))
        }
      }
    }
    if let verifier = tlsContext.configuration.peerVerifier {
      let peer = TLSPeer(
        certificateChain: chain,
        remoteAddress: remoteAddress,
        localAddress: localAddress,
        serverName: ssl.flatMap { tlsContext.role == .server ? serverNameIndication($0) : nil }
      )
      if case .reject(let reason) = verifier(peer) {
        verificationFailure = "peer rejected by the verification hook: \(reason)"
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)  // alert bad_certificate
        return 0
      }
    }
    verifiedChain = chain
    return 1
  }

  private func handshakeError(sslError: Int32) -> TLSError {
    let reasons = OpenSSL.drainErrors()
    if let failure = verificationFailure {
      return TLSError(.certificateVerificationFailed, reasons.isEmpty ? failure : "\(failure) (\(reasons))")
    }
    if sslError == SSL_ERROR_SYSCALL && reasons.isEmpty {
      return TLSError(.handshakeFailed, "unexpected EOF during the handshake")
    }
    return TLSError(
      .handshakeFailed, reasons.isEmpty ? "SSL_do_handshake failed (SSL_get_error \(sslError))" : reasons)
  }

  // MARK: Records

  /// Decrypts everything the read BIO holds and hands the plaintext on.
  private func readLoop(context: ChannelHandlerContext) {
    var plaintext = context.channel.allocator.buffer(capacity: Self.readChunk)
    func deliver() {
      if plaintext.readableBytes > 0 {
        context.fireChannelRead(wrapInboundOut(plaintext))
        plaintext = context.channel.allocator.buffer(capacity: Self.readChunk)
      }
    }
    // Application data keeps being decoded while we are closing (swift-nio-ssl #179, #198).
    while state == .active || state == .closing, let ssl {
      ERR_clear_error()
      var rc: Int32 = 0
      plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readChunk) { pointer in
        rc = SSL_read(ssl, pointer.baseAddress, Int32(min(pointer.count, Int(Int32.max))))
        return rc > 0 ? Int(rc) : 0
      }
      if rc > 0 {
        if plaintext.readableBytes >= Self.maxPlaintextBatch { deliver() }
        continue
      }
      let error = SSL_get_error(ssl, rc)
      // OpenSSL 3 may have produced records while reading (NewSessionTicket handling, KeyUpdate
      // answers, alerts): send them now.
      drainWriteBIO(context: context, flush: true)
      switch error {
      case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
        deliver()
        return
      case SSL_ERROR_ZERO_RETURN:
        deliver()
        receivedCloseNotify = true
        peerSentCloseNotify(context: context)
        return
      default:
        deliver()
        let reasons = OpenSSL.drainErrors()
        fail(
          context: context,
          TLSError(.protocolError, reasons.isEmpty ? "SSL_read failed (SSL_get_error \(error))" : reasons))
        return
      }
    }
  }

  private func peerSentCloseNotify(context: ChannelHandlerContext) {
    switch state {
    case .closing:
      // Both close_notify alerts exchanged: a clean shutdown.
      state = .closed
      closeTimeout?.cancel()
      closeTimeout = nil
      let promise = closePromise
      closePromise = nil
      context.close(promise: promise)
    case .active:
      // Answer with our close_notify and close.
      encryptFlushedWrites(context: context)
      if let ssl {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        drainWriteBIO(context: context, flush: true)
      }
      state = .closed
      failPendingWrites(ChannelError.ioOnClosedChannel)
      context.close(promise: nil)
    default:
      break
    }
  }

  private func encryptFlushedWrites(context: ChannelHandlerContext) {
    guard state == .active, flushedWrites > 0 else { return }
    var promises: [EventLoopPromise<Void>] = []
    // Writes (HTTP/2 frames) are coalesced into runs of up to 64 KiB: full records, fewer AEAD
    // calls, less overhead on the wire.
    var small: ByteBuffer?
    var smallIsCopy = false
    func failAll(_ failure: TLSError) {
      promises.forEach { $0.fail(failure) }
      fail(context: context, failure)
    }
    while flushedWrites > 0, let (buffer, promise) = pendingWrites.popFirst() {
      flushedWrites -= 1
      if let promise { promises.append(promise) }
      if buffer.readableBytes < Self.coalesceLimit {
        if var pending = small {
          if pending.readableBytes + buffer.readableBytes <= Self.coalesceLimit {
            if !smallIsCopy {
              var copy = context.channel.allocator.buffer(
                capacity: min(Self.coalesceLimit, 2 * (pending.readableBytes + buffer.readableBytes)))
              copy.writeImmutableBuffer(pending)
              pending = copy
              smallIsCopy = true
            }
            pending.writeImmutableBuffer(buffer)
            small = pending
            continue
          }
          if let failure = sslWrite(pending, context: context) { return failAll(failure) }
        }
        small = buffer
        smallIsCopy = false
        continue
      }
      if let pending = small {
        if let failure = sslWrite(pending, context: context) { return failAll(failure) }
        small = nil
      }
      if let failure = sslWrite(buffer, context: context) { return failAll(failure) }
    }
    if let pending = small, let failure = sslWrite(pending, context: context) { return failAll(failure) }
    let combined: EventLoopPromise<Void>?
    switch promises.count {
    case 0: combined = nil
    case 1: combined = promises[0]
    default:
      let promise = context.eventLoop.makePromise(of: Void.self)
      for other in promises { promise.futureResult.cascade(to: other) }
      combined = promise
    }
    drainWriteBIO(context: context, flush: true, promise: combined)
  }

  /// Encrypts one buffer (in slices of at most 1 MiB), moving ciphertext out of the write BIO
  /// whenever it holds 1 MiB. Returns the error if OpenSSL fails.
  private func sslWrite(_ buffer: ByteBuffer, context: ChannelHandlerContext) -> TLSError? {
    guard let ssl else { return TLSError(.writeAfterClose, "the connection is closed") }
    var remaining = buffer
    while remaining.readableBytes > 0 {
      let slice = min(remaining.readableBytes, Self.writeSlice)
      ERR_clear_error()
      let rc = remaining.withUnsafeReadableBytes { SSL_write(ssl, $0.baseAddress, Int32(slice)) }
      guard rc > 0 else {
        let error = SSL_get_error(ssl, rc)
        let reasons = OpenSSL.drainErrors()
        return TLSError(
          .protocolError, reasons.isEmpty ? "SSL_write failed (SSL_get_error \(error))" : reasons)
      }
      remaining.moveReaderIndex(forwardBy: Int(rc))
      if let writeBIO, BIO_ctrl_pending(writeBIO) >= Self.writeSlice {
        drainWriteBIO(context: context, flush: false)
      }
    }
    return nil
  }

  /// Moves OpenSSL's output from the write BIO to the network.
  private func drainWriteBIO(
    context: ChannelHandlerContext, flush: Bool, promise: EventLoopPromise<Void>? = nil
  ) {
    guard let writeBIO else {
      promise?.fail(ChannelError.ioOnClosedChannel)
      return
    }
    let pending = Int(BIO_ctrl_pending(writeBIO))
    if pending > 0 {
      var buffer = context.channel.allocator.buffer(capacity: pending)
      buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { pointer in
        Int(max(0, BIO_read(writeBIO, pointer.baseAddress, Int32(min(pending, Int(Int32.max))))))
      }
      context.write(wrapOutboundOut(buffer), promise: promise)
      if flush { context.flush() }
    } else if let promise {
      // Nothing to send for these writes (all empty): complete them in order.
      context.write(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: promise)
      if flush { context.flush() }
    } else if flush {
      context.flush()
    }
  }

  // MARK: Closing

  private func beginClose(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
    guard let ssl else {
      context.close(promise: promise)
      return
    }
    if deferredWritesReleased {
      encryptFlushedWrites(context: context)
    }
    // Writes still deferred from the handshake are dropped when a handler closes the connection
    // from the handshake events (e.g. HTTP/2 refusing a peer without ALPN): nothing but the
    // close_notify reaches a peer that was turned away.
    failPendingWrites(TLSError(.writeAfterClose, "connection closed before the write was flushed"))
    state = .closing
    closePromise = promise
    ERR_clear_error()
    _ = SSL_shutdown(ssl)
    drainWriteBIO(context: context, flush: true)
    guard state == .closing else { return }
    let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
    let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
    closeTimeout = context.eventLoop.scheduleTask(in: tlsContext.configuration.shutdownTimeout) {
      let handler = loopBoundSelf.value
      guard handler.state == .closing else { return }
      // The peer did not answer our close_notify in time: close the socket anyway.
      handler.state = .closed
      handler.closeTimeout = nil
      let promise = handler.closePromise
      handler.closePromise = nil
      loopBoundContext.value.close(promise: promise)
    }
  }

  private func fail(context: ChannelHandlerContext, _ error: TLSError) {
    guard state != .closed else { return }
    state = .closed
    closeTimeout?.cancel()
    closeTimeout = nil
    handshakeTimeout?.cancel()
    handshakeTimeout = nil
    failPendingWrites(error)
    context.fireErrorCaught(error)
    let promise = closePromise
    closePromise = nil
    context.close(promise: promise)
  }

  private func failPendingWrites(_ error: any Error) {
    flushedWrites = 0
    while let (_, promise) = pendingWrites.popFirst() {
      promise?.fail(error)
    }
  }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}

extension TLSHandler: RemovableChannelHandler {}

// MARK: Test hooks (reached with @testable import)

extension TLSHandler {
  /// Tests only: starts a TLS 1.2 renegotiation from this side, lifting our own ban on it for this
  /// connection, to check that the peer refuses it.
  func startRenegotiationForTesting(context: ChannelHandlerContext) -> Bool {
    guard let ssl, state == .active else { return false }
    SSL_clear_options(ssl, sehc_SSL_OP_NO_RENEGOTIATION())
    ERR_clear_error()
    guard SSL_renegotiate(ssl) == 1 else { return false }
    _ = SSL_do_handshake(ssl)
    drainWriteBIO(context: context, flush: true)
    return true
  }

  /// Tests only: sends a TLS 1.3 KeyUpdate asking the peer to update its keys too.
  func requestKeyUpdateForTesting(context: ChannelHandlerContext) -> Bool {
    guard let ssl, state == .active else { return false }
    ERR_clear_error()
    guard SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) == 1 else { return false }
    _ = SSL_do_handshake(ssl)
    drainWriteBIO(context: context, flush: true)
    return true
  }
}

extension OpenSSL {
  /// Tests only: leaves a stale error on this thread's OpenSSL error queue, as unrelated OpenSSL
  /// code running on the event loop thread might.
  static func leaveStaleErrorForTesting() {
    let bio = BIO_new(BIO_s_mem())
    _ = PEM_read_bio_X509(bio, nil, nil, nil)  // fails: "no start line"
    BIO_free(bio)
  }

  /// Tests only: whether this thread's error queue holds an error.
  static var hasQueuedErrorForTesting: Bool { ERR_peek_error() != 0 }
}

/// OpenSSL's verify callback: finds the handler through the SSL's ex-data slot.
private let verifyCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverifyOK, store in
  guard let store,
    let sslPointer = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx())
  else { return 0 }
  let ssl = OpaquePointer(sslPointer)
  guard let handlerPointer = SSL_get_ex_data(ssl, OpenSSL.exDataIndex) else { return preverifyOK }
  let handler = Unmanaged<TLSHandler>.fromOpaque(handlerPointer).takeUnretainedValue()
  return handler.verify(preverifyOK: preverifyOK, store: store)
}

import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// What the client writes on one stream.
enum ClientOutboundPart: Sendable {
  case metadata(Metadata)
  case message(RPCBytes)
  /// Half-close: an empty DATA frame with END_STREAM.
  case end
  /// Abandon the stream: RST_STREAM(CANCEL).
  case cancel
}

/// Turns one HTTP/2 stream into a gRPC call, client side: request headers, framed messages and
/// END_STREAM out; response headers, messages, and a final status in. Every way a stream can end
/// produces exactly one `.status`, after which the inbound side is closed.
final class ClientStreamHandler: ChannelDuplexHandler {
  typealias InboundIn = HTTP2Frame.FramePayload
  typealias InboundOut = RPCResponsePart<RPCBytes>
  typealias OutboundIn = ClientOutboundPart
  typealias OutboundOut = HTTP2Frame.FramePayload

  private enum State {
    case awaitingHeaders
    case receivingMessages
    case finished
  }

  private let path: String
  private let authority: String
  private let maxRequestSize: Int
  private var deframer: MessageDeframer
  private var state = State.awaitingHeaders
  private var sentHeaders = false

  private let connectionFailure: ConnectionFailure?

  init(
    path: String, authority: String, maxRequestSize: Int, maxResponseSize: Int,
    connectionFailure: ConnectionFailure? = nil
  ) {
    self.connectionFailure = connectionFailure
    self.path = path
    self.authority = authority
    self.maxRequestSize = maxRequestSize
    self.deframer = MessageDeframer(maxMessageSize: maxResponseSize)
  }

  // MARK: Outbound

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    switch unwrapOutboundIn(data) {
    case .metadata(let metadata):
      var headers = HPACKHeaders()
      headers.reserveCapacity(8 + metadata.count)
      headers.add(name: ":method", value: "POST")
      headers.add(name: ":scheme", value: "https")
      headers.add(name: ":path", value: path)
      headers.add(name: ":authority", value: authority)
      headers.add(name: "content-type", value: "application/grpc")
      headers.add(name: "te", value: "trailers")
      if let timeout = metadata.first(where: { $0.key == "grpc-timeout" }),
        case .string(let value) = timeout.value
      {
        headers.add(name: "grpc-timeout", value: value)
      }
      headers.add(name: "user-agent", value: "sehc-grpc-swift/1")
      metadata.write(to: &headers, skippingTimeout: true)
      sentHeaders = true
      context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: promise)

    case .message(let bytes):
      guard bytes.count <= maxRequestSize else {
        let status = Status(
          code: .resourceExhausted,
          message: "request message of \(bytes.count) bytes is over the limit of \(maxRequestSize) bytes")
        promise?.fail(RPCError(code: .resourceExhausted, message: status.message))
        finish(context: context, status: status, metadata: [:])
        context.close(promise: nil)
        return
      }
      let framed = frameMessage(bytes.buffer, allocator: context.channel.allocator)
      context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(framed)))), promise: promise)

    case .end:
      let empty = context.channel.allocator.buffer(capacity: 0)
      context.write(
        wrapOutboundOut(.data(.init(data: .byteBuffer(empty), endStream: true))), promise: promise)

    case .cancel:
      finish(
        context: context, status: Status(code: .cancelled, message: "the call was cancelled"), metadata: [:])
      context.close(promise: promise)
    }
  }

  // MARK: Inbound

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .headers(let frame):
      receiveHeaders(context: context, frame.headers, endStream: frame.endStream)
    case .data(let frame):
      guard case .byteBuffer(let buffer) = frame.data else { return }
      receiveData(context: context, buffer, endStream: frame.endStream)
    case .rstStream(let code):
      finish(
        context: context,
        status: Status(code: statusCode(forReset: code), message: "stream reset by the server: \(code)"),
        metadata: [:])
    default:
      break
    }
  }

  private func receiveHeaders(context: ChannelHandlerContext, _ headers: HPACKHeaders, endStream: Bool) {
    switch state {
    case .awaitingHeaders:
      let httpStatus = headers.first(name: ":status").flatMap(Int.init)
      if httpStatus == 100 { return }  // informational: wait for the real headers
      if httpStatus != 200 || endStream {
        // Trailers-Only, or an HTTP error (mapped unless grpc-status says otherwise).
        var status = status(fromTrailers: headers)
        if httpStatus != 200, headers.first(name: "grpc-status") == nil {
          status = Status(
            code: statusCode(forHTTPStatus: httpStatus ?? 0),
            message: "HTTP status \(httpStatus.map(String.init) ?? "missing")")
        }
        finish(context: context, status: status, metadata: Metadata(received: headers))
        return
      }
      guard let contentType = headers.first(name: "content-type"), contentType.hasPrefix("application/grpc")
      else {
        finish(
          context: context,
          status: Status(
            code: .unknown, message: "invalid content-type '\(headers.first(name: "content-type") ?? "")'"),
          metadata: [:])
        context.close(promise: nil)
        return
      }
      if let encoding = headers.first(name: "grpc-encoding"), encoding != "identity" {
        finish(
          context: context,
          status: Status(code: .internalError, message: "unsupported grpc-encoding '\(encoding)'"),
          metadata: [:])
        context.close(promise: nil)
        return
      }
      state = .receivingMessages
      context.fireChannelRead(wrapInboundOut(.metadata(Metadata(received: headers))))
    case .receivingMessages:
      // Trailers.
      finish(context: context, status: status(fromTrailers: headers), metadata: Metadata(received: headers))
    case .finished:
      break
    }
  }

  private func receiveData(context: ChannelHandlerContext, _ buffer: ByteBuffer, endStream: Bool) {
    guard state == .receivingMessages else {
      if state == .awaitingHeaders {
        finish(
          context: context, status: Status(code: .internalError, message: "DATA before response headers"),
          metadata: [:])
        context.close(promise: nil)
      }
      return
    }
    deframer.append(buffer)
    do {
      while let message = try deframer.next() {
        context.fireChannelRead(wrapInboundOut(.message(RPCBytes(buffer: message))))
      }
    } catch {
      let status: Status
      switch error {
      case .tooLarge(let length, let limit):
        status = Status(
          code: .resourceExhausted,
          message: "response message of \(length) bytes is over the limit of \(limit) bytes")
      case .compressedWithoutEncoding:
        status = Status(code: .internalError, message: "compressed message without grpc-encoding")
      case .invalidFlag(let flag):
        status = Status(code: .internalError, message: "invalid message flag \(flag)")
      }
      finish(context: context, status: status, metadata: [:])
      context.close(promise: nil)  // RST_STREAM(CANCEL): we will not read the rest
      return
    }
    if endStream {
      finish(
        context: context,
        status: Status(code: .internalError, message: "the server ended the stream without trailers"),
        metadata: [:])
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    if let closed = error as? NIOHTTP2Errors.StreamClosed {
      finish(
        context: context,
        status: Status(
          code: statusCode(forReset: closed.errorCode),
          message: "stream reset by the server: \(closed.errorCode)"),
        metadata: [:])
    } else {
      finish(
        context: context, status: Status(code: .unavailable, message: "stream failed: \(error)"),
        metadata: [:])
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    let reason =
      connectionFailure?.value.map { "the connection was closed: \($0)" } ?? "the connection was closed"
    finish(context: context, status: Status(code: .unavailable, message: reason), metadata: [:])
    context.fireChannelInactive()
  }

  /// Delivers the one final status and closes the inbound side.
  private func finish(context: ChannelHandlerContext, status: Status, metadata: Metadata) {
    guard state != .finished else { return }
    state = .finished
    context.fireChannelRead(wrapInboundOut(.status(status, metadata)))
    context.fireChannelReadComplete()
    context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
  }
}

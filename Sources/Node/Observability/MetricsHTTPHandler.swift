import NIOCore
import NIOHTTP1

/// One connection of the metrics endpoint: bounds each request's size, answers from
/// ``MetricsRoutes``, and closes idle connections. After a refused request, later input is read and
/// dropped until the client closes.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let routes: MetricsRoutes
  private let maxRequestBytes: Int
  private var head: HTTPRequestHead?
  private var received = 0
  private var refused = false

  init(routes: MetricsRoutes, maxRequestBytes: Int) {
    self.routes = routes
    self.maxRequestBytes = maxRequestBytes
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      guard !refused else { return }
      self.head = head
      received =
        head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
      if received > maxRequestBytes { refuse(context: context) }
    case .body(let body):
      received += body.readableBytes
      if received > maxRequestBytes, !refused { refuse(context: context) }
    case .end:
      guard let head, !refused else { return }
      self.head = nil
      let reply = routes.reply(method: head.method, uri: head.uri)
      write(reply, head: head, keepAlive: head.isKeepAlive, context: context)
    }
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent {
      context.close(promise: nil)
    } else {
      context.fireUserInboundEventTriggered(event)
    }
  }

  private func refuse(context: ChannelHandlerContext) {
    refused = true
    let reply = MetricsRoutes.Reply(
      status: .payloadTooLarge, contentType: "text/plain; charset=utf-8",
      body: Array("request larger than \(maxRequestBytes) bytes\n".utf8))
    write(reply, head: head, keepAlive: false, context: context)
  }

  private func write(
    _ reply: MetricsRoutes.Reply, head: HTTPRequestHead?, keepAlive: Bool, context: ChannelHandlerContext
  ) {
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: reply.contentType)
    headers.add(name: "Content-Length", value: String(reply.body.count))
    for (name, value) in reply.extraHeaders { headers.add(name: name, value: value) }
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    let version = head?.version ?? .http1_1
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: version, status: reply.status, headers: headers))),
      promise: nil)
    if head?.method != .HEAD {
      context.write(
        wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: reply.body)))), promise: nil
      )
    }
    let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
    if !keepAlive {
      // Half-close: send FIN and let the client close. Closing at once while the client's unread
      // bytes sit in our receive buffer would make the kernel send RST, which can destroy the
      // response before the client reads it. The idle timeout closes clients that never hang up.
      let channel = context.channel
      written.whenComplete { _ in channel.close(mode: .output, promise: nil) }
    }
  }
}

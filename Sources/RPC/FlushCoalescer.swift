import NIOCore

/// Delays flushes by up to `maxDelay` unless `maxBytes` are already waiting, so that the small
/// HTTP/2 frames of many calls leave in one TLS write (fewer records and system calls), while
/// bulk data is not held back (a delayed flush there stalls the flow-control loop). Sits between
/// the TLS handler and the HTTP/2 handler of client connections.
final class FlushCoalescer: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  private let maxDelay: TimeAmount
  private let maxBytes: Int
  private var pendingBytes = 0
  private var pendingFlushes = 0
  private var scheduled: NIOScheduledCallback?
  private var context: ChannelHandlerContext?

  init(maxDelay: TimeAmount, maxBytes: Int) {
    self.maxDelay = maxDelay
    self.maxBytes = maxBytes
  }

  func handlerAdded(context: ChannelHandlerContext) { self.context = context }

  func handlerRemoved(context: ChannelHandlerContext) {
    scheduled?.cancel()
    scheduled = nil
    self.context = nil
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    pendingBytes += unwrapOutboundIn(data).readableBytes
    context.write(data, promise: promise)
    if pendingFlushes > 0 && pendingBytes >= maxBytes { flushNow(context: context) }
  }

  func flush(context: ChannelHandlerContext) {
    pendingFlushes += 1
    if pendingBytes >= maxBytes {
      flushNow(context: context)
    } else if scheduled == nil {
      scheduled = try? context.eventLoop.scheduleCallback(
        in: maxDelay, handler: Callback(coalescer: NIOLoopBound(self, eventLoop: context.eventLoop)))
      if scheduled == nil { flushNow(context: context) }
    }
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    if !context.channel.isWritable && pendingFlushes > 0 { flushNow(context: context) }
    context.fireChannelWritabilityChanged()
  }

  func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
    if pendingFlushes > 0 { flushNow(context: context) }
    context.close(mode: mode, promise: promise)
  }

  private func flushNow(context: ChannelHandlerContext) {
    scheduled?.cancel()
    scheduled = nil
    pendingBytes = 0
    pendingFlushes = 0
    context.flush()
  }

  private struct Callback: NIOScheduledCallbackHandler, Sendable {
    let coalescer: NIOLoopBound<FlushCoalescer>

    func handleScheduledCallback(eventLoop: some EventLoop) {
      let coalescer = self.coalescer.value
      coalescer.scheduled = nil
      if let context = coalescer.context, coalescer.pendingFlushes > 0 {
        coalescer.flushNow(context: context)
      }
    }
  }
}

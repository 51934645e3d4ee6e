import Foundation
import Synchronization

/// Fans ``ChainEvent``s out to every open ``events()`` stream. Each subscriber's buffer is bounded
/// (the oldest events go first), so a slow consumer never holds the node back.
final class EventHub: Sendable {
  private struct State {
    var next = 0
    var subscribers: [Int: AsyncStream<ChainEvent>.Continuation] = [:]
    var finished = false
  }

  private let state = Mutex(State())
  private let bufferSize: Int

  init(bufferSize: Int = 1024) {
    self.bufferSize = bufferSize
  }

  /// A stream of the events published from now on; it ends at ``finish()``.
  func events() -> AsyncStream<ChainEvent> {
    let (stream, continuation) = AsyncStream.makeStream(
      of: ChainEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
    let id: Int? = state.withLock { state in
      guard !state.finished else { return nil }
      let id = state.next
      state.next += 1
      state.subscribers[id] = continuation
      return id
    }
    guard let id else {
      continuation.finish()
      return stream
    }
    continuation.onTermination = { [weak self] _ in
      _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
    }
    return stream
  }

  func publish(_ event: ChainEvent) {
    let subscribers = state.withLock { Array($0.subscribers.values) }
    for subscriber in subscribers { subscriber.yield(event) }
  }

  /// Ends every stream, now and for later subscribers.
  func finish() {
    let subscribers = state.withLock { state in
      state.finished = true
      defer { state.subscribers = [:] }
      return Array(state.subscribers.values)
    }
    for subscriber in subscribers { subscriber.finish() }
  }
}

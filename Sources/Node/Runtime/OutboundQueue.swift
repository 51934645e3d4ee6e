import Foundation
import Synchronization
import Wire

/// The messages waiting for one peer link: bounded, and when full the oldest message goes (consensus
/// re-sends what matters: heartbeats, view changes, relays), counted in ``dropped``.
final class OutboundQueue: Sendable {
  private enum Take {
    case messages([ConsensusMessage])
    case end
    case wait
  }

  private struct State {
    var messages: [ConsensusMessage] = []
    var waiter: CheckedContinuation<[ConsensusMessage]?, Never>?
    var closed = false
    var dropped = 0
  }

  private let state = Mutex(State())
  /// Most messages held.
  let limit: Int
  /// Most messages handed out in one batch.
  let batchLimit: Int

  init(limit: Int = 4096, batchLimit: Int = 256) {
    self.limit = limit
    self.batchLimit = batchLimit
  }

  /// Messages dropped so far because the queue was full.
  var dropped: Int { state.withLock { $0.dropped } }

  /// Queues `message`; returns false if an older message had to be dropped for it (or the queue is
  /// closed).
  @discardableResult
  func push(_ message: ConsensusMessage) -> Bool {
    let (waiter, batch, kept): (CheckedContinuation<[ConsensusMessage]?, Never>?, [ConsensusMessage], Bool) =
      state.withLock { state in
        guard !state.closed else { return (nil, [], false) }
        var kept = true
        if state.messages.count >= limit {
          state.messages.removeFirst()
          state.dropped += 1
          kept = false
        }
        state.messages.append(message)
        guard let waiter = state.waiter else { return (nil, [], kept) }
        state.waiter = nil
        return (waiter, Self.take(&state, limit: batchLimit), kept)
      }
    waiter?.resume(returning: batch)
    return kept
  }

  /// The next batch (waiting for at least one message); nil once the queue is closed or the calling task
  /// is cancelled.
  func nextBatch() async -> [ConsensusMessage]? {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<[ConsensusMessage]?, Never>) in
        let take: Take = state.withLock { state in
          if !state.messages.isEmpty { return .messages(Self.take(&state, limit: batchLimit)) }
          if state.closed || Task.isCancelled { return .end }
          state.waiter = continuation
          return .wait
        }
        switch take {
        case .messages(let batch): continuation.resume(returning: batch)
        case .end: continuation.resume(returning: nil)
        case .wait: break
        }
      }
    } onCancel: {
      let waiter = state.withLock { state in
        defer { state.waiter = nil }
        return state.waiter
      }
      waiter?.resume(returning: nil)
    }
  }

  /// Ends the queue: waiting and later ``nextBatch()`` calls return nil.
  func close() {
    let waiter = state.withLock { state in
      state.closed = true
      state.messages = []
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume(returning: nil)
  }

  var isClosed: Bool { state.withLock { $0.closed } }

  private static func take(_ state: inout State, limit: Int) -> [ConsensusMessage] {
    let count = min(limit, state.messages.count)
    let batch = Array(state.messages.prefix(count))
    state.messages.removeFirst(count)
    return batch
  }
}

import ChainCrypto
import Foundation
import Wire

extension Ready {
  /// Queues `body` for `receivers` (dropping empty lists).
  mutating func send(_ body: ConsensusMessage.Body, to receivers: [Address]) {
    guard !receivers.isEmpty else { return }
    messages.append(OutboundMessage(to: receivers, message: ConsensusMessage(body: body)))
  }

  /// Asks to be ticked no later than `time`.
  mutating func wake(at time: UInt64) {
    nextTickAt = nextTickAt.map { min($0, time) } ?? time
  }

  /// Records that something was ignored, when diagnostics are on.
  mutating func ignore(_ reason: @autoclosure () -> String, diagnostics: Bool) {
    if diagnostics { notifications.append(.ignored(reason())) }
  }
}

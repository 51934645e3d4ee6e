import Foundation
import Wire

/// Hands the transactions this node admitted and still sees undecided to consensus again, every
/// ``intervalMs``: a forward to the home shard can be lost on the way (a full peer queue drops its
/// oldest messages) or with a validator that leaves the shard at an epoch's end, and nothing else
/// would send it again. Consensus drops copies of what it already pools, so a resend costs a message,
/// not a second transaction.
struct PendingResender {
  /// How long a transaction stays undecided before it is handed over again.
  static let intervalMs: UInt64 = 3_000
  /// How often at most: 15 s of resends, far beyond the commit latency of a shard that got it.
  static let maxResends = 5

  let context: APIContext

  /// Resends what has been undecided for `intervalMs`; returns how many transactions it resent.
  @discardableResult
  func resendDue(intervalMs: UInt64 = Self.intervalMs) async -> Int {
    var resent = 0
    for entry in context.pending.due(
      nowMs: context.nowMs, intervalMs: intervalMs, maxResends: Self.maxResends)
    {
      if (try? context.ledger.transactionStatus(id: entry.id)) != nil {
        context.pending.remove(entry.id)
        continue
      }
      guard case .transaction(let transaction)? = (try? TBlockEntry(serializedBytes: entry.entry))?.entry
      else { continue }
      do {
        try await context.backend.resubmit(transaction)
        resent += 1
      } catch {
        // The node is stopping or overloaded: the next round tries again.
      }
    }
    return resent
  }
}

extension HealthChainService {
  /// Hands undecided transactions admitted here to consensus again, every few seconds, until the task
  /// running it is cancelled (``PendingResender``).
  public func resendPendingTransactions() async {
    let resender = PendingResender(context: context)
    while !Task.isCancelled {
      do { try await Task.sleep(for: .milliseconds(PendingResender.intervalMs / 3)) } catch { return }
      await resender.resendDue()
    }
  }
}

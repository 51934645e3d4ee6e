import Foundation
import Ledger
import Wire

/// Transaction statuses as the node knows them, and waiting for them to progress.
struct TransactionWaiter {
  let context: APIContext

  /// The status of `id` now: from a committed block of a shard this node holds, else PENDING if this
  /// node admitted it, REJECTED if it refused it at admission, UNKNOWN otherwise.
  func status(_ id: Data) throws -> TransactionStatus {
    let stored: TransactionStatus?
    do { stored = try context.ledger.transactionStatus(id: id) } catch {
      throw APIError.map(error, doing: "reading the transaction index")
    }
    if let stored {
      context.pending.remove(id)
      return stored
    }
    if context.pending.isPending(id, nowMs: context.nowMs) {
      return TransactionStatus(txID: id, state: .pending)
    }
    if let reason = context.pending.refusal(id) {
      return TransactionStatus(txID: id, state: .rejected, reason: reason)
    }
    return TransactionStatus(txID: id, state: .unknown)
  }

  /// Whether `status` is as far as `commitment` asks (or will never get there).
  static func reached(_ status: TransactionStatus, _ commitment: Commitment) -> Bool {
    switch status.state {
    case .rejected: return true
    case .shardCommitted: return commitment != .final
    case .final: return commitment != .final || status.crossShard != .pending
    default: return commitment == .admitted
    }
  }

  /// The status of `id` once it reached `commitment`, or when `timeoutMs` (0: the node's default)
  /// ran out.
  ///
  /// With `askingPeers`, a transaction this node's ledger does not store and will not see decided (it
  /// knows nothing of it, or forwarded it to a shard it does not hold) is looked up at other validators
  /// first, every ``peerPollInterval`` while waiting, and when the time runs out: their blocks raise no
  /// event here.
  func wait(for id: Data, until commitment: Commitment, timeoutMs: UInt32, askingPeers: Bool = false)
    async throws -> TransactionStatus
  {
    let events = context.backend.events()
    let current = askingPeers ? try await statusAskingPeers(id) : try status(id)
    if Self.reached(current, commitment) { return current }
    let limit = timeoutMs == 0 ? context.configuration.defaultTimeoutMs : timeoutMs
    let timeout = Duration.milliseconds(Int64(min(limit, context.configuration.maxTimeoutMs)))
    let waiter = self
    return try await withThrowingTaskGroup(of: TransactionStatus?.self) { group in
      group.addTask {
        for await _ in events {
          let status = try waiter.status(id)
          if Self.reached(status, commitment) { return status }
        }
        return nil
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return nil
      }
      if askingPeers {
        group.addTask {
          while true {
            do { try await Task.sleep(for: Self.peerPollInterval) } catch { return nil }
            let status = try await waiter.statusAskingPeers(id)
            if Self.reached(status, commitment) { return status }
          }
        }
      }
      let first = try await group.next() ?? nil
      group.cancelAll()
      if let first { return first }
      return askingPeers ? try await waiter.statusAskingPeers(id) : try waiter.status(id)
    }
  }

  /// How often a waiting `GetTransaction` asks other validators again.
  static let peerPollInterval = Duration.seconds(1)

  /// ``status(_:)``, or what another validator's ledger stores when this node knows nothing of `id` or
  /// knows it only as pending in a shard it does not hold.
  func statusAskingPeers(_ id: Data) async throws -> TransactionStatus {
    let local = try status(id)
    switch local.state {
    case .unknown: break
    case .pending:
      guard let sender = context.pending.sender(of: id), !(await context.holds(context.shard(of: sender)))
      else { return local }
    default: return local
    }
    return await context.backend.transactionStatusFromPeers(id) ?? local
  }
}

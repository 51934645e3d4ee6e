import ChainCrypto
import Consensus
import Foundation
import Ledger
import Wire

extension NodeRuntime {
  /// Consensus messages from the authenticated validator `sender`.
  func receive(_ messages: [ConsensusMessage], from sender: Address) {
    metrics.received.increment(by: messages.count)
    for message in messages {
      if case .receiptAck(let ack)? = message.body { confirmCrossShard(ack) }
      step(.message(message, from: sender))
    }
  }

  /// Steps the validator with `input` and carries out what it asks, stepping the results of its
  /// validations and block applications in turn.
  func step(_ input: Input) {
    guard state == .running else { return }
    drive(validator.step(input, now: clock.now()))
  }

  /// Carries out `ready` and every input it leads to, in order.
  func drive(_ ready: Ready) {
    var inputs = carryOut(ready)
    var index = 0
    while index < inputs.count, state == .running {
      inputs += carryOut(validator.step(inputs[index], now: clock.now()))
      index += 1
    }
  }

  /// Carries out one `Ready` in the order of the driver contract (docs/protocol.md §8): persist, send,
  /// validate, store RBlocks, apply TBlocks, sync, notify. Returns the results to step next.
  private func carryOut(_ ready: Ready) -> [Input] {
    guard state == .running else { return [] }
    if !ready.persist.isEmpty {
      do { try journal.write(ready.persist.map { ($0.key, $0.value) }) } catch {
        halt("cannot persist consensus records to \(journal.path): \(error)")
        return []
      }
    }
    for outbound in ready.messages { network.send(outbound.message, to: outbound.to) }
    var results: [Input] = []
    if !ready.validations.isEmpty || !ready.applies.isEmpty { chain.learnEpochs(from: validator) }
    for request in ready.validations {
      switch validateFetchingContent(request) {
      case .vote(let result):
        results.append(.validated(result))
      case .afterFetchingContent:
        break
      case .abstain:
        logger.debug(
          "not voting on a proposal that does not extend this node's state",
          metadata: ["shard": "\(request.shard)", "height": "\(request.header.height)"])
      }
    }
    for block in ready.rblocks {
      do { try chain.store(rblock: block) } catch {
        halt("cannot store an RBlock: \(error)")
        return []
      }
    }
    for request in ready.applies {
      do {
        results.append(.applied(try chain.apply(request)))
      } catch {
        halt("cannot apply block \(request.shard)/\(request.header.height): \(error)")
        return []
      }
      mempool.remove(Self.transactionIDs(request))
      metrics.tblocksApplied.increment()
      metrics.entriesApplied.increment(by: request.entries.count)
      metrics.tchainHeight.record(Double(request.header.height))
      metrics.pending.record(Double(mempool.count))
    }
    for sync in ready.syncs { startSync(sync) }
    for notification in ready.notifications { publish(notification) }
    if let next = ready.nextTickAt { nextTickAt = min(nextTickAt ?? next, next) }
    return results
  }

  private static func transactionIDs(_ request: ApplyRequest) -> [Data] {
    request.entries.compactMap { entry in
      guard case .transaction(let transaction)? = entry.entry?.entry else { return nil }
      return SHA256.hash(transaction.body).data
    }
  }

  /// Block events for clients, and logs.
  private func publish(_ notification: Consensus.Notification) {
    switch notification {
    case .tblockCommitted(let shard, let height, let hash):
      logger.debug("TBlock committed", metadata: ["shard": "\(shard)", "height": "\(height)"])
      hub.publish(.tblockCommitted(shard: shard, height: height, hash: hash))
    case .tblocksFinal(let shard, let upTo):
      hub.publish(.tblocksFinal(shard: shard, upTo: upTo))
    case .rblockCommitted(let height, let hash):
      logger.debug("RBlock committed", metadata: ["height": "\(height)"])
      metrics.rchainHeight.record(Double(height))
      hub.publish(.rblockCommitted(height: height, hash: hash))
    case .viewChanged(let shard, let epoch, let view):
      metrics.viewChanges.increment()
      logger.notice(
        "TChain view changed", metadata: ["shard": "\(shard)", "epoch": "\(epoch)", "view": "\(view)"])
    case .rchainViewChanged(let height, let view):
      logger.notice("RChain view changed", metadata: ["height": "\(height)", "view": "\(view)"])
    case .evidence(let offender, let kind):
      logger.warning("equivocation proven", metadata: ["offender": "\(offender)", "kind": "\(kind)"])
    case .epochStarted(let epoch, let shard):
      logger.info("epoch started", metadata: ["epoch": "\(epoch)", "shard": "\(shard)"])
    case .epochClosed(let epoch, let shard, let height):
      logger.info(
        "epoch closed", metadata: ["epoch": "\(epoch)", "shard": "\(shard)", "height": "\(height)"])
    case .ignored(let reason):
      logger.trace("ignored: \(reason)")
    }
  }
}

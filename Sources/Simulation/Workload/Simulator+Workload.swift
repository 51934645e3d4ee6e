import ChainCrypto
import Consensus
import Foundation
import Wire

extension Simulator {
  /// Submits the transfers due by now (the i-th at 100 ms + i / rate, so rates above one per millisecond
  /// work too) to random running validators and plans their re-submission.
  func submitLoad() {
    guard now < scenario.activeMs else { return }
    let gap = 1_000 / scenario.workload.ratePerSecond
    repeat {
      let transaction = workload.makeTransfer(
        random: &load, rules: rules, maxAmount: scenario.workload.maxAmount, now: now)
      submit(transaction)
      schedule(.resubmit(txID: SHA256.hash(transaction.body).data), at: now + scenario.workload.resubmitAfterMs)
    } while Double(workload.order.count) * gap <= Double(now - 100)
    schedule(.submitLoad, at: 100 + UInt64((Double(workload.order.count) * gap).rounded(.up)))
  }

  /// A client whose transfer is not decided yet sends it again, to another validator.
  func resubmit(_ id: Data) {
    guard workload.homeDecided[id] == nil, let submitted = workload.submitted[id],
      now + scenario.workload.resubmitAfterMs < scenario.endMs
    else { return }
    submit(submitted.transaction)
    schedule(.resubmit(txID: id), at: now + scenario.workload.resubmitAfterMs)
  }

  /// Submits to a random running validator, another one than the last time for this transaction.
  func submit(_ transaction: SignedTransaction) {
    let id = SHA256.hash(transaction.body).data
    var running = nodes.filter(\.up)
    if running.count > 1, let last = lastSubmittedTo[id] { running.removeAll { $0.index == last } }
    guard !running.isEmpty else { return }
    let node = running[Int(load.below(UInt64(running.count)))]
    lastSubmittedTo[id] = node.index
    trace?("\(now) submit tx \(SHA256.hash(transaction.body).data.hexShort) to n\(node.index)")
    if let adversary = node.adversary, !adversary.admits(transaction) { return }
    step(node.index, .submit([transaction]))
  }
}

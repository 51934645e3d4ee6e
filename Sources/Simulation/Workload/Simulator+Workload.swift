import ChainCrypto
import Consensus
import Foundation
import Wire

extension Simulator {
  /// Submits the next transfer to a random running validator and plans its re-submission.
  func submitLoad() {
    guard now < scenario.activeMs else { return }
    let transaction = workload.makeTransfer(
      random: &load, rules: rules, maxAmount: scenario.workload.maxAmount, now: now)
    submit(transaction)
    schedule(.resubmit(txID: SHA256.hash(transaction.body).data), at: now + scenario.workload.resubmitAfterMs)
    let gap = UInt64(max(1, 1_000 / scenario.workload.ratePerSecond))
    schedule(.submitLoad, at: now + gap)
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

import ChainCrypto
import Consensus
import Foundation
import Wire

extension Simulator {
  /// Makes the transactions due by now (the i-th at 100 ms + i / rate, so rates above one per
  /// millisecond work too): a record or image starts its upload, anything else is submitted at once.
  func submitLoad() {
    guard now < scenario.activeMs else { return }
    let gap = 1_000 / scenario.workload.ratePerSecond
    repeat {
      let kind = scenario.workload.mix.pick(&load)
      let made = workload.make(kind, random: &load, rules: rules, workload: scenario.workload, now: now)
      if made.contentBytes > 0 {
        workload.uploads[made.id] = made
        upload(made.id)
      } else {
        submitFirst(made)
      }
    } while Double(workload.made) * gap <= Double(now - 100)
    schedule(.submitLoad, at: 100 + UInt64((Double(workload.made) * gap).rounded(.up)))
  }

  /// Submits `made` for the first time and plans its re-submission.
  func submitFirst(_ made: WorkloadState.Made) {
    workload.submitted(made, at: now)
    submit(made.transaction)
    schedule(.resubmit(txID: made.id), at: now + scenario.workload.resubmitAfterMs)
  }

  /// Uploads the content of record or image `id` to its patient's shard, as the node's upload call does
  /// (Node/API/Replication.swift): the client streams it to one running member (a member that holds it
  /// already, on a retry), which copies it to every other running member it can reach over their link
  /// (its bandwidth in a queue for content, Simulator+Bandwidth.swift). The transaction is submitted
  /// once a majority holds the content; if no majority can, the client tries again after
  /// `resubmitAfterMs`. The client's own link is not modelled.
  func upload(_ id: Data) {
    guard let made = workload.uploads[id] else { return }
    let members = currentMembers(of: made.target)
    let running = members.filter { nodes[$0].up }
    guard !running.isEmpty else {
      schedule(.contentUploaded(txID: id), at: now + scenario.workload.resubmitAfterMs)
      return
    }
    let source =
      running.first { (contentHeldAt[$0][id] ?? .max) <= now }
      ?? running[Int(load.below(UInt64(running.count)))]
    if contentHeldAt[source][id] == nil { contentHeldAt[source][id] = now }
    for member in members where member != source && contentHeldAt[member][id] == nil {
      guard nodes[member].up, connected(source, member) else { continue }
      contentHeldAt[member][id] = contentArrival(from: source, to: member, bytes: made.contentBytes)
    }
    let arrivals = members.compactMap { contentHeldAt[$0][id] }.sorted()
    let majority = Quorum.majority(members.count)
    let ready =
      arrivals.count >= majority ? max(arrivals[majority - 1], now) : now + scenario.workload.resubmitAfterMs
    schedule(.contentUploaded(txID: id), at: ready)
  }

  /// Submits record or image `id` if a majority of its patient's shard holds the content by now, or
  /// uploads it again.
  func contentUploaded(_ id: Data) {
    guard let made = workload.uploads[id] else { return }
    let members = currentMembers(of: made.target)
    let holders = members.filter { (contentHeldAt[$0][id] ?? .max) <= now }.count
    if holders >= Quorum.majority(members.count) {
      workload.uploads[id] = nil
      submitFirst(made)
    } else if now + scenario.workload.resubmitAfterMs < scenario.endMs {
      upload(id)
    }
  }

  /// How long a validator asked to vote on a record or image whose content it lacks waits for it before
  /// voting: half the election timeout, so that its vote still counts.
  var contentWaitMs: UInt64 { scenario.electionTimeoutMs / 2 }

  /// When validator `index` holds the content of record or image `id`: now or earlier if it does, or
  /// when a copy it fetches now from a running member that holds it arrives (it joined the patient's
  /// shard after the upload, or was down or cut off then); nil if no member it can reach holds it.
  /// A copy that arrives after ``contentWaitMs`` still arrives, for the entry's next proposal.
  func contentArrival(of id: Data, at index: Int) -> UInt64? {
    if let held = contentHeldAt[index][id] { return held }
    guard let bytes = workload.submitted[id]?.made.contentBytes else { return nil }
    let holders = nodes.indices.filter {
      $0 != index && nodes[$0].up && connected($0, index) && (contentHeldAt[$0][id] ?? .max) <= now
    }
    guard !holders.isEmpty else { return nil }
    let source = holders[Int(load.below(UInt64(holders.count)))]
    let arrival = contentArrival(from: source, to: index, bytes: bytes)
    contentHeldAt[index][id] = arrival
    return arrival
  }

  /// When `bytes` sent now from `from` reach `to`: after the link's queue and the transmission time at
  /// its bandwidth (if limited), plus one latency.
  func contentArrival(from: Int, to: Int, bytes: UInt64) -> UInt64 {
    let departs =
      scenario.network.bandwidthBitsPerSecond > 0
      ? departure(from: from, to: to, bits: Int(bytes * 8), bulk: true) : now
    return departs + latency()
  }

  /// The validators of `shard` in the current epoch, as the first running honest validator sees it.
  func currentMembers(of shard: UInt32) -> [Int] {
    guard let validator = nodes.first(where: { $0.isHonest && $0.up && $0.validator != nil })?.validator
    else { return [] }
    return validator.assignment.members(of: shard).compactMap { indexOf[$0] }
  }

  /// A client whose transaction is not decided yet sends it again, to another validator.
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

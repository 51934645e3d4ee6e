import ChainCrypto
import Foundation
import Wire

/// What the RChain part of a validator persists for the height being decided (docs/protocol.md §4):
/// its view, the headers it prepare-signed by view (never two per view), its lock (the prepare
/// certificate of the highest view it received) and the views it commit-signed in.
struct RChainHardState: Codable, Sendable, Hashable {
  struct Prepared: Codable, Sendable, Hashable {
    var view: UInt64
    var hash: Data
  }

  struct Lock: Codable, Sendable, Hashable {
    var view: UInt64
    var header: Data
    var certificate: Data
  }

  var height: UInt64
  var view: UInt64 = 0
  var prepared: [Prepared] = []
  var lock: Lock?
  var committedViews: [UInt64] = []

  static let recordKey = "rchain"
}

/// The proposer's collection of signatures in its view.
struct RChainRound: Sendable {
  let view: UInt64
  let headerBytes: Data
  let hash: Data
  var prepares: [Address: Data] = [:]
  var prepared = false
  var commits: [Address: Data] = [:]
  var committed = false
  /// The proposal this round sent (re-sent to validators that do not answer).
  var proposal: RBlockProposal?
  var preparedMessage: RBlockPrepared?
  var lastResentAt: UInt64 = 0
}

/// A checked RChain view change.
struct CheckedRViewChange: Sendable {
  let sender: Address
  let body: RChainViewChangeBody
  let message: RChainViewChange
}

/// The shard reports a proposer collected for the next height (docs/protocol.md §4.2): by shard, the
/// distinct reports and who sent each.
struct ReportBook: Sendable {
  var base: UInt64
  private var byShard: [UInt32: [Data: (report: ShardReport, senders: Set<Address>)]] = [:]

  init(base: UInt64) { self.base = base }

  mutating func add(_ report: ShardReport, from sender: Address) {
    guard report.baseRblockHeight == base, let coverage = report.coverage, coverage.shard == report.shard else { return }
    let key = try! report.serializedData()
    byShard[report.shard, default: [:]][key, default: (report, [])].senders.insert(sender)
  }

  /// The report with the highest covered height sent identically by at least `threshold` members (only
  /// reports of a closed epoch when `closed`).
  func best(shard: UInt32, threshold: Int, closed: Bool = false) -> ShardReport? {
    let candidates = (byShard[shard] ?? [:]).filter {
      $0.value.senders.count >= threshold && (!closed || $0.value.report.closed)
    }
    return candidates.max { a, b in
      let (ha, hb) = (a.value.report.coverage?.toHeight ?? 0, b.value.report.coverage?.toHeight ?? 0)
      return ha != hb ? ha < hb : b.key.lexicographicallyPrecedes(a.key)
    }?.value.report
  }
}

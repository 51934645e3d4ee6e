import Foundation

/// Admission bookkeeping for transactions of this validator's shard: duplicates by id, and bounds on
/// count, bytes and transactions per sender (`[mempool]` of the configuration). The transactions
/// themselves live in the consensus engine's entry pool; an entry leaves here when a block holding it
/// is applied, or after ``lifetimeMs`` (a transaction another leader dropped must not hold its place
/// forever).
struct Mempool: Sendable {
  struct Entry: Sendable {
    var sender: Data
    var bytes: Int
    var admittedAt: UInt64
  }

  /// What happened to a submission.
  enum Admission: Sendable, Equatable {
    /// New: hand it to consensus.
    case admitted
    /// Already pending here: nothing to do.
    case duplicate
  }

  let limits: MempoolConfig
  /// How long an entry is kept without being committed.
  let lifetimeMs: UInt64
  private(set) var entries: [Data: Entry] = [:]
  private var perSender: [Data: Int] = [:]
  private(set) var totalBytes = 0
  private var lastSweep: UInt64 = 0

  init(limits: MempoolConfig, lifetimeMs: UInt64 = 120_000) {
    self.limits = limits
    self.lifetimeMs = lifetimeMs
  }

  var count: Int { entries.count }

  /// Admits transaction `id` of `sender`, `bytes` long, or says which bound it exceeds.
  mutating func admit(id: Data, sender: Data, bytes: Int, now: UInt64) throws(ChainBackendError) -> Admission
  {
    sweep(now: now)
    if entries[id] != nil { return .duplicate }
    guard entries.count < limits.maxTransactions else {
      throw .overloaded("the mempool holds its limit of \(limits.maxTransactions) transactions; retry later")
    }
    guard totalBytes + bytes <= limits.maxBytes else {
      throw .overloaded("the mempool holds its limit of \(limits.maxBytes) bytes; retry later")
    }
    guard perSender[sender, default: 0] < limits.maxPerSender else {
      throw .overloaded(
        "sender \(sender.hexString) has \(limits.maxPerSender) pending transactions, the most allowed; retry once some commit"
      )
    }
    entries[id] = Entry(sender: sender, bytes: bytes, admittedAt: now)
    perSender[sender, default: 0] += 1
    totalBytes += bytes
    return .admitted
  }

  /// Forgets the transactions of an applied block.
  mutating func remove(_ ids: some Sequence<Data>) {
    for id in ids { drop(id) }
  }

  private mutating func sweep(now: UInt64) {
    guard now >= lastSweep + 1000 else { return }
    lastSweep = now
    for (id, entry) in entries where entry.admittedAt + lifetimeMs < now { drop(id) }
  }

  private mutating func drop(_ id: Data) {
    guard let entry = entries.removeValue(forKey: id) else { return }
    totalBytes -= entry.bytes
    let left = perSender[entry.sender, default: 1] - 1
    perSender[entry.sender] = left > 0 ? left : nil
  }
}

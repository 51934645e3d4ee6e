import ChainCrypto
import Consensus
import Foundation
import Wire

/// The state of one shard of the toy application the simulator runs under consensus: account balances,
/// the transactions whose sender lives here, the records and grant copies its patients and grantees
/// received, the receipts it decided, and the rewards it credited. Deterministic; its root is the
/// SHA-256 of its sorted contents.
public struct ToyState: Sendable, Hashable {
  /// What the home shard did with a transaction.
  public enum HomeStatus: UInt8, Sendable, Hashable {
    /// Carried out (a transfer debited, a grant created; within one shard, the target side too).
    case applied = 1
    /// Carried out, then compensated after the target shard aborted: a transfer refunded, a grant
    /// revoked (a record's home side only consumed the nonce, so nothing is undone).
    case compensated = 2
  }

  public private(set) var balances: [Data: UInt64] = [:]
  /// Transactions whose sender lives here.
  public private(set) var home: [Data: HomeStatus] = [:]
  /// Records and images of the patients living here, by record id (the transaction id): true for an
  /// image.
  public private(set) var records: [Data: Bool] = [:]
  /// Copies of the grants to the grantees living here, by grant id.
  public private(set) var grantCopies: Set<Data> = []
  /// Receipts decided here, by receipt key (kind byte || tx id): true if applied, false if rejected.
  public private(set) var decided: [Data: Bool] = [:]
  /// RBlocks whose rewards are credited.
  public private(set) var rewardsCreditedUpTo: UInt64 = 0
  /// Total rewards credited here.
  public private(set) var rewardsCredited: UInt64 = 0
  /// An order-independent digest of every entry (lane-wise wrapping sum of the entries' SHA-256),
  /// kept up to date by every change, so that the root costs one hash.
  private var accumulator: [UInt64] = [0, 0, 0, 0]

  public init() {}

  /// The state root.
  public var root: Data {
    var parts = Data("sehc/sim/state".utf8)
    for lane in accumulator { parts.append(be(lane)) }
    parts.append(be(rewardsCreditedUpTo))
    parts.append(be(rewardsCredited))
    return SHA256.hash(parts).data
  }

  /// Total balance held here.
  public var totalBalance: UInt64 { balances.values.reduce(0, +) }

  public mutating func setBalance(_ account: Data, _ balance: UInt64) {
    if let old = balances[account] { fold(Data("b".utf8) + account + be(old), sign: -1) }
    balances[account] = balance
    fold(Data("b".utf8) + account + be(balance), sign: 1)
  }

  public mutating func credit(_ account: Data, _ amount: UInt64) {
    setBalance(account, (balances[account] ?? 0) + amount)
  }

  public mutating func setHome(_ tx: Data, _ status: HomeStatus) {
    if let old = home[tx] { fold(Data("h".utf8) + tx + Data([old.rawValue]), sign: -1) }
    home[tx] = status
    fold(Data("h".utf8) + tx + Data([status.rawValue]), sign: 1)
  }

  public mutating func setDecided(_ key: Data, applied: Bool) {
    if let old = decided[key] { fold(Data("r".utf8) + key + Data([old ? 1 : 0]), sign: -1) }
    decided[key] = applied
    fold(Data("r".utf8) + key + Data([applied ? 1 : 0]), sign: 1)
  }

  public mutating func addRecord(_ id: Data, image: Bool) {
    guard records[id] == nil else { return }
    records[id] = image
    fold(Data("d".utf8) + id + Data([image ? 1 : 0]), sign: 1)
  }

  public mutating func addGrantCopy(_ id: Data) {
    guard grantCopies.insert(id).inserted else { return }
    fold(Data("g".utf8) + id, sign: 1)
  }

  public mutating func noteRewards(upTo height: UInt64, credited amount: UInt64) {
    rewardsCreditedUpTo = height
    rewardsCredited += amount
  }

  private mutating func fold(_ entry: Data, sign: Int) {
    let digest = SHA256.hash(entry).data
    for lane in 0..<4 {
      let value = digest.dropFirst(lane * 8).prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
      accumulator[lane] = sign > 0 ? accumulator[lane] &+ value : accumulator[lane] &- value
    }
  }

  private func be(_ value: UInt64) -> Data { withUnsafeBytes(of: value.bigEndian) { Data($0) } }
}

/// The toy application's rules: transfers, records, images and grants between accounts, carried to
/// another shard through receipts; closed accounts that refuse every incoming side (so that target
/// shards abort); rewards from RBlocks.
public struct ToyRules: Sendable {
  public let shardCount: UInt32
  public let chainID: String
  /// Accounts that refuse incoming transfers, records and grants.
  public let closed: Set<Data>

  public init(shardCount: UInt32, chainID: String, closed: Set<Data>) {
    self.shardCount = shardCount
    self.chainID = chainID
    self.closed = closed
  }

  func shard(of account: Data) -> UInt32 { AccountShard.shard(of: account, shardCount: shardCount) }

  static func receiptKey(_ kind: ReceiptKind, _ txID: Data) -> Data {
    Data([UInt8(truncatingIfNeeded: kind.rawValue)]) + txID
  }

  /// Credits the rewards of the RBlocks up to `height` not credited yet to the validator accounts of
  /// `shard`.
  func creditRewards(_ state: inout ToyState, shard: UInt32, upTo height: UInt64, rblocks: [UInt64: RBlock]) {
    guard height > state.rewardsCreditedUpTo else { return }
    for h in (state.rewardsCreditedUpTo + 1)...height {
      guard let block = rblocks[h], let header = try? RBlockHeader(serializedBytes: block.header) else {
        continue
      }
      var credited: UInt64 = 0
      for reward in header.rewards where self.shard(of: reward.account) == shard {
        state.credit(reward.account, reward.amount)
        credited += reward.amount
      }
      state.noteRewards(upTo: h, credited: credited)
    }
    state.noteRewards(upTo: height, credited: 0)
  }

  /// Carries out entry `entry` on `state` if it is valid there; returns whether it was, and the receipt it
  /// emits (for a transaction whose counterparty lives in another shard).
  ///
  /// `holdsContent` is the voter's blob store when voting: a record or image is valid in its patient's
  /// shard only if the voter holds its content. Applying a decided block passes nil, because the
  /// block's decision bits, not the local store, say what was accepted.
  func execute(
    _ entry: CheckedEntry, index: Int, shard: UInt32, state: inout ToyState,
    holdsContent: ((Data) -> Bool)? = nil
  ) -> (valid: Bool, emitted: EmittedReceipt?) {
    guard entry.invalidReason == nil, let decoded = entry.entry else { return (false, nil) }
    switch decoded.entry {
    case .transaction(let signed):
      guard let tx = ToyTransaction(signed), state.home[tx.id] == nil, self.shard(of: tx.sender) == shard,
        (state.balances[tx.sender] ?? 0) >= tx.amount
      else { return (false, nil) }
      let target = self.shard(of: tx.counterparty)
      if target == shard && !acceptsTarget(tx, holdsContent: holdsContent) { return (false, nil) }
      if tx.kind == .transfer { state.setBalance(tx.sender, state.balances[tx.sender]! - tx.amount) }
      state.setHome(tx.id, .applied)
      if target == shard {
        applyTarget(tx, state: &state)
        return (true, nil)
      }
      return (true, EmittedReceipt(entryIndex: index, kind: .apply, txID: tx.id, targetShard: target))
    case .receipt(let receipt):
      let key = ToyRules.receiptKey(receipt.kind, receipt.txID)
      // A receipt decided before is valid and does nothing: only a first decision can reject it.
      guard state.decided[key] == nil else { return (true, nil) }
      switch receipt.kind {
      case .apply:
        guard let entry = try? TBlockEntry(serializedBytes: receipt.sourceEntry),
          case .transaction(let signed)? = entry.entry,
          let tx = ToyTransaction(signed), tx.id == receipt.txID, self.shard(of: tx.counterparty) == shard,
          acceptsTarget(tx, holdsContent: holdsContent)
        else { return (false, nil) }
        applyTarget(tx, state: &state)
        state.setDecided(key, applied: true)
        return (true, nil)
      case .abort:
        // Only the transaction's own target shard can abort it.
        guard let entry = try? TBlockEntry(serializedBytes: receipt.sourceEntry),
          case .receipt(let inner)? = entry.entry,
          let source = try? TBlockEntry(serializedBytes: inner.sourceEntry),
          case .transaction(let signed)? = source.entry,
          let tx = ToyTransaction(signed), tx.id == receipt.txID, state.home[tx.id] == .applied,
          self.shard(of: tx.counterparty) == receipt.sourceShard
        else { return (false, nil) }
        if tx.kind == .transfer { state.credit(tx.sender, tx.amount) }
        state.setHome(tx.id, .compensated)
        state.setDecided(key, applied: true)
        return (true, nil)
      default:
        return (false, nil)
      }
    case nil:
      return (false, nil)
    }
  }

  /// Whether the counterparty's shard takes `tx`'s target side: the counterparty is open and, for
  /// content, the voter holds it.
  private func acceptsTarget(_ tx: ToyTransaction, holdsContent: ((Data) -> Bool)?) -> Bool {
    guard !closed.contains(tx.counterparty) else { return false }
    guard tx.carriesContent, let holdsContent else { return true }
    return holdsContent(tx.id)
  }

  private func applyTarget(_ tx: ToyTransaction, state: inout ToyState) {
    switch tx.kind {
    case .transfer: state.credit(tx.counterparty, tx.amount)
    case .record: state.addRecord(tx.id, image: false)
    case .image: state.addRecord(tx.id, image: true)
    case .grant: state.addGrantCopy(tx.id)
    }
  }

  /// A rejected entry: an APPLY receipt whose proof checked out, rejected by a majority and not decided
  /// before, is recorded as aborted, and an ABORT goes back to its home shard (docs/protocol.md §7).
  func reject(_ entry: CheckedEntry, index: Int, byMajority: Bool, state: inout ToyState) -> EmittedReceipt? {
    guard byMajority, entry.invalidReason == nil, entry.receiptProof != nil,
      case .receipt(let receipt)? = entry.entry?.entry, receipt.kind == .apply,
      let source = try? TBlockEntry(serializedBytes: receipt.sourceEntry),
      case .transaction(let signed)? = source.entry,
      let tx = ToyTransaction(signed), self.shard(of: tx.counterparty) == receipt.targetShard
    else { return nil }
    let key = ToyRules.receiptKey(.apply, receipt.txID)
    guard state.decided[key] == nil else { return nil }
    state.setDecided(key, applied: false)
    return EmittedReceipt(
      entryIndex: index, kind: .abort, txID: receipt.txID, targetShard: receipt.sourceShard)
  }
}

import ChainCrypto
import Consensus
import Foundation
import Wire

/// The state of one shard of the toy application the simulator runs under consensus: account balances,
/// the cross-shard transfers it took part in, the receipts it decided, and the rewards it credited.
/// Deterministic; its root is the SHA-256 of its sorted contents.
public struct ToyState: Sendable, Hashable {
  /// What the home shard did with a transfer.
  public enum HomeStatus: UInt8, Sendable, Hashable {
    /// Debited (and, within one shard, credited).
    case applied = 1
    /// Debited, then refunded after the target shard aborted.
    case refunded = 2
  }

  public private(set) var balances: [Data: UInt64] = [:]
  /// Transfers whose sender lives here.
  public private(set) var home: [Data: HomeStatus] = [:]
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

/// The toy application's rules: transfers between accounts, cross-shard transfers through receipts,
/// closed accounts that refuse credits (so that target shards abort), rewards from RBlocks.
public struct ToyRules: Sendable {
  public let shardCount: UInt32
  public let chainID: String
  /// Accounts that refuse incoming transfers.
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

  /// The transfer in a transaction entry.
  static func transfer(_ tx: SignedTransaction) -> (id: Data, sender: Data, recipient: Data, amount: UInt64)? {
    guard let body = try? TransactionBody(serializedBytes: tx.body), case .transfer(let transfer)? = body.payload,
      transfer.recipient.count == 20, transfer.amount > 0
    else { return nil }
    return (SHA256.hash(tx.body).data, body.sender, transfer.recipient, transfer.amount)
  }

  /// Credits the rewards of the RBlocks up to `height` not credited yet to the validator accounts of
  /// `shard`.
  func creditRewards(_ state: inout ToyState, shard: UInt32, upTo height: UInt64, rblocks: [UInt64: RBlock]) {
    guard height > state.rewardsCreditedUpTo else { return }
    for h in (state.rewardsCreditedUpTo + 1)...height {
      guard let block = rblocks[h], let header = try? RBlockHeader(serializedBytes: block.header) else { continue }
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
  /// emits (for a cross-shard transfer).
  func execute(_ entry: CheckedEntry, index: Int, shard: UInt32, state: inout ToyState) -> (
    valid: Bool, emitted: EmittedReceipt?
  ) {
    guard entry.invalidReason == nil, let decoded = entry.entry else { return (false, nil) }
    switch decoded.entry {
    case .transaction(let tx):
      guard let t = ToyRules.transfer(tx), state.home[t.id] == nil, self.shard(of: t.sender) == shard,
        (state.balances[t.sender] ?? 0) >= t.amount
      else { return (false, nil) }
      let target = self.shard(of: t.recipient)
      if target == shard && closed.contains(t.recipient) { return (false, nil) }
      state.setBalance(t.sender, state.balances[t.sender]! - t.amount)
      state.setHome(t.id, .applied)
      if target == shard {
        state.credit(t.recipient, t.amount)
        return (true, nil)
      }
      return (true, EmittedReceipt(entryIndex: index, kind: .apply, txID: t.id, targetShard: target))
    case .receipt(let receipt):
      let key = ToyRules.receiptKey(receipt.kind, receipt.txID)
      // A receipt decided before is valid and does nothing: only a first decision can reject it.
      guard state.decided[key] == nil else { return (true, nil) }
      switch receipt.kind {
      case .apply:
        guard let entry = try? TBlockEntry(serializedBytes: receipt.sourceEntry), case .transaction(let tx)? = entry.entry,
          let t = ToyRules.transfer(tx), t.id == receipt.txID, self.shard(of: t.recipient) == shard,
          !closed.contains(t.recipient)
        else { return (false, nil) }
        state.credit(t.recipient, t.amount)
        state.setDecided(key, applied: true)
        return (true, nil)
      case .abort:
        // Only the transfer's own target shard can abort it.
        guard let entry = try? TBlockEntry(serializedBytes: receipt.sourceEntry), case .receipt(let inner)? = entry.entry,
          let source = try? TBlockEntry(serializedBytes: inner.sourceEntry), case .transaction(let tx)? = source.entry,
          let t = ToyRules.transfer(tx), t.id == receipt.txID, state.home[t.id] == .applied,
          self.shard(of: t.recipient) == receipt.sourceShard
        else { return (false, nil) }
        state.credit(t.sender, t.amount)
        state.setHome(t.id, .refunded)
        state.setDecided(key, applied: true)
        return (true, nil)
      default:
        return (false, nil)
      }
    case nil:
      return (false, nil)
    }
  }

  /// A rejected entry: an APPLY receipt whose proof checked out, rejected by a majority and not decided
  /// before, is recorded as aborted, and an ABORT goes back to its home shard (docs/protocol.md §7).
  func reject(_ entry: CheckedEntry, index: Int, byMajority: Bool, state: inout ToyState) -> EmittedReceipt? {
    guard byMajority, entry.invalidReason == nil, entry.receiptProof != nil,
      case .receipt(let receipt)? = entry.entry?.entry, receipt.kind == .apply,
      let source = try? TBlockEntry(serializedBytes: receipt.sourceEntry), case .transaction(let tx)? = source.entry,
      let t = ToyRules.transfer(tx), self.shard(of: t.recipient) == receipt.targetShard
    else { return nil }
    let key = ToyRules.receiptKey(.apply, receipt.txID)
    guard state.decided[key] == nil else { return nil }
    state.setDecided(key, applied: false)
    return EmittedReceipt(entryIndex: index, kind: .abort, txID: receipt.txID, targetShard: receipt.sourceShard)
  }
}

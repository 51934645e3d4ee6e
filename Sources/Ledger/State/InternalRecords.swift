import Foundation

/// The home side of a cross-shard transaction, kept in its home shard at `20 || tx id`:
///
///     version 0x01 (1) || kind (1) || target shard (4, BE) || state (1) || height (8, BE) || index (4, BE)
///
/// `kind` is the payload's field number (`TransactionKind`); height and index place the transaction
/// in its home chain. An ABORT receipt compensates the home side only while the state is `pending`.
public struct CrossShardHome: Sendable, Hashable {
  /// Where the home side stands.
  public enum State: UInt8, Sendable {
    /// Applied at home; the target side is pending or was applied (APPLY outcomes are not reported
    /// back on chain, only aborts).
    case pending = 1
    /// The target shard rejected its side and this shard compensated.
    case compensated = 2
  }

  public var kind: TransactionKind
  public var targetShard: UInt32
  public var state: State
  public var position: EntryPosition

  public init(kind: TransactionKind, targetShard: UInt32, state: State, position: EntryPosition) {
    self.kind = kind
    self.targetShard = targetShard
    self.state = state
    self.position = position
  }

  /// The 19-byte encoding.
  public var encoded: Data {
    var data = Data([1, kind.rawValue])
    data.append(targetShard.bigEndianBytes)
    data.append(state.rawValue)
    data.append(position.height.bigEndianBytes)
    data.append(position.index.bigEndianBytes)
    return data
  }

  /// Decodes the 19-byte encoding.
  public init(encoded data: Data) throws {
    guard data.count == 19, data[data.startIndex] == 1,
      let kind = TransactionKind(rawValue: data[data.startIndex + 1]),
      let state = State(rawValue: data[data.startIndex + 6])
    else { throw LedgerError.corruptState(key: "cross-shard home", detail: "bad record \(data.hexString)") }
    self.kind = kind
    targetShard = data.bigEndianInteger(at: 2, as: UInt32.self)
    self.state = state
    position = EntryPosition(
      height: data.bigEndianInteger(at: 7, as: UInt64.self),
      index: data.bigEndianInteger(at: 15, as: UInt32.self))
  }
}

/// A receipt this shard decided, kept at `21 || tx id || receipt kind` so each (tx id, kind) takes
/// effect at most once:
///
///     version 0x01 (1) || outcome (1) || source shard (4, BE) || height (8, BE) || index (4, BE)
///
/// height and index place the deciding entry in this shard's chain.
public struct ReceiptMark: Sendable, Hashable {
  /// What deciding the receipt did.
  public enum Outcome: UInt8, Sendable {
    /// APPLY: the target side was applied.
    case applied = 1
    /// APPLY: the target side was invalid; the transaction is aborted and an ABORT receipt goes home.
    case aborted = 2
    /// ABORT: the home side was compensated.
    case compensated = 3
  }

  public var outcome: Outcome
  public var sourceShard: UInt32
  public var position: EntryPosition

  public init(outcome: Outcome, sourceShard: UInt32, position: EntryPosition) {
    self.outcome = outcome
    self.sourceShard = sourceShard
    self.position = position
  }

  /// The 18-byte encoding.
  public var encoded: Data {
    var data = Data([1, outcome.rawValue])
    data.append(sourceShard.bigEndianBytes)
    data.append(position.height.bigEndianBytes)
    data.append(position.index.bigEndianBytes)
    return data
  }

  /// Decodes the 18-byte encoding.
  public init(encoded data: Data) throws {
    guard data.count == 18, data[data.startIndex] == 1,
      let outcome = Outcome(rawValue: data[data.startIndex + 1])
    else { throw LedgerError.corruptState(key: "receipt mark", detail: "bad record \(data.hexString)") }
    self.outcome = outcome
    sourceShard = data.bigEndianInteger(at: 2, as: UInt32.self)
    position = EntryPosition(
      height: data.bigEndianInteger(at: 6, as: UInt64.self),
      index: data.bigEndianInteger(at: 14, as: UInt32.self))
  }
}

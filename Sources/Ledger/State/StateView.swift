import ChainCrypto
import Foundation
import Wire

/// Read-only access to a shard's state: a key/value map (docs/ledger.md, "State layout"). The rules
/// read state only through this protocol, so they run the same against the in-memory `ShardState`,
/// an overlay of speculative writes (`StateOverlay`) or any other store.
public protocol StateView: Sendable {
  /// The value at `key`, or nil.
  func value(forKey key: Data) -> Data?
}

/// A state that can also compute its Merkle state root after a set of changes, without applying
/// them (for `LedgerExecutor.apply`, which returns the new root).
public protocol MerkleizedState: StateView {
  /// The state root of this state.
  var stateRoot: SHA256Digest { get }
  /// The state root this state would have with `changes` applied.
  func stateRoot(applying changes: StateChanges) -> SHA256Digest
}

extension StateView {
  /// The account at `address`, if it exists.
  public func account(_ address: Data) throws -> Account? { try message(StateKey.account(address)) }
  /// The participant registered at `address`, if any.
  public func participant(_ address: Data) throws -> Participant? { try account(address)?.participant }
  /// The record `id`, if it is in this shard.
  public func record(_ id: Data) throws -> Record? { try message(StateKey.record(id)) }
  /// The grant `id`, if it is in this shard (the patient's copy or the grantee's).
  public func grant(_ id: Data) throws -> Grant? { try message(StateKey.grant(id)) }
  /// The access request `id`, if it is in this shard (the patient's copy or the requester's).
  public func accessRequest(_ id: Data) throws -> AccessRequest? { try message(StateKey.request(id)) }
  /// The home side of cross-shard transaction `txID`, if this shard is its home.
  public func crossShardHome(_ txID: Data) throws -> CrossShardHome? {
    try value(forKey: StateKey.crossShardHome(txID)).map { try CrossShardHome(encoded: $0) }
  }
  /// The mark of receipt (`txID`, `kind`), if this shard decided it.
  public func receiptMark(_ txID: Data, kind: ReceiptKind) throws -> ReceiptMark? {
    try value(forKey: StateKey.receiptMark(txID, kind: UInt8(kind.rawValue))).map {
      try ReceiptMark(encoded: $0)
    }
  }
  /// The ids of `patient`'s grants to `grantee` held in this shard.
  public func grantIDs(patient: Data, grantee: Data) -> [Data] {
    guard let value = value(forKey: StateKey.grantPair(patient: patient, grantee: grantee)) else { return [] }
    return stride(from: 0, to: value.count, by: 32).map {
      value.subdata(in: (value.startIndex + $0)..<(value.startIndex + $0 + 32))
    }
  }
  /// The highest RBlock whose rewards this shard credited (0 before any).
  public var rewardsHeight: UInt64 {
    guard let value = value(forKey: StateKey.rewardsHeight), value.count == 8 else { return 0 }
    return value.bigEndianInteger(at: 0, as: UInt64.self)
  }

  /// The wire message at `key`.
  func message<M: WireMessage>(_ key: Data) throws -> M? {
    guard let bytes = value(forKey: key) else { return nil }
    do { return try M(serializedBytes: bytes) } catch {
      throw LedgerError.corruptState(key: key.hexString, detail: "not a \(M.protoMessageName): \(error)")
    }
  }
}

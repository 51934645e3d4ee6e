import Foundation

/// The keys of a shard's state (docs/ledger.md, "State layout"). A key is a one-byte tag followed by
/// fixed-length fields, so keys of one tag sort by their fields and an index's entries for one party
/// sort oldest first (by block height, then entry index).
public enum StateKey {
  /// What a key holds, by its first byte.
  public enum Tag: UInt8, Sendable, CaseIterable {
    /// `01 || address(20)` -> `Account` (with its `Participant` when registered).
    case account = 0x01
    /// `02 || record id(32)` -> `Record`.
    case record = 0x02
    /// `03 || grant id(32)` -> `Grant` (in the patient's shard; a copy in the grantee's shard).
    case grant = 0x03
    /// `04 || request id(32)` -> `AccessRequest` (in the patient's shard; a copy in the requester's).
    case request = 0x04
    /// `05 || patient(20) || grantee(20)` -> the ids of the patient's grants to the grantee, 32 bytes
    /// each, ascending (for access checks by point lookup).
    case grantPair = 0x05
    /// `10 || patient(20) || height(8) || index(4)` -> record id: records by patient.
    case recordsByPatient = 0x10
    /// `11 || patient(20) || height(8) || index(4)` -> grant id: grants a patient gave.
    case grantsGiven = 0x11
    /// `12 || grantee(20) || height(8) || index(4)` -> grant id: grants a participant received.
    case grantsReceived = 0x12
    /// `13 || patient(20) || height(8) || index(4)` -> request id: requests addressed to a patient.
    case requestsReceived = 0x13
    /// `14 || requester(20) || height(8) || index(4)` -> request id: requests a participant made.
    case requestsMade = 0x14
    /// `20 || tx id(32)` -> home side of a cross-shard transaction (`CrossShardHome`).
    case crossShardHome = 0x20
    /// `21 || tx id(32) || receipt kind(1)` -> a receipt this shard decided (`ReceiptMark`).
    case receiptMark = 0x21
    /// `30 || 01` -> the highest RBlock whose rewards this shard credited (8 bytes, big-endian).
    case shardMeta = 0x30
  }

  public static func account(_ address: Data) -> Data { key(.account, address) }
  public static func record(_ id: Data) -> Data { key(.record, id) }
  public static func grant(_ id: Data) -> Data { key(.grant, id) }
  public static func request(_ id: Data) -> Data { key(.request, id) }
  public static func grantPair(patient: Data, grantee: Data) -> Data { key(.grantPair, patient, grantee) }
  public static func crossShardHome(_ txID: Data) -> Data { key(.crossShardHome, txID) }
  public static func receiptMark(_ txID: Data, kind: UInt8) -> Data { key(.receiptMark, txID, Data([kind])) }
  /// The key of the credited RBlock height.
  public static let rewardsHeight = Data([Tag.shardMeta.rawValue, 0x01])

  /// An index entry: `tag || party || height || index`.
  public static func index(_ tag: Tag, party: Data, position: EntryPosition) -> Data {
    key(tag, party, position.height.bigEndianBytes, position.index.bigEndianBytes)
  }

  /// The prefix of every index entry of `party` under `tag`.
  public static func indexPrefix(_ tag: Tag, party: Data) -> Data { key(tag, party) }

  static func key(_ tag: Tag, _ parts: Data...) -> Data {
    var key = Data([tag.rawValue])
    key.reserveCapacity(1 + parts.reduce(0) { $0 + $1.count })
    for part in parts { key.append(part) }
    return key
  }
}

/// Where an entry sits in its shard's chain: block height and entry index. Index keys end with it, so
/// that a party's entries sort oldest first.
public struct EntryPosition: Sendable, Hashable, Comparable {
  public var height: UInt64
  public var index: UInt32

  public init(height: UInt64, index: UInt32) {
    self.height = height
    self.index = index
  }

  public static func < (lhs: EntryPosition, rhs: EntryPosition) -> Bool {
    (lhs.height, lhs.index) < (rhs.height, rhs.index)
  }
}

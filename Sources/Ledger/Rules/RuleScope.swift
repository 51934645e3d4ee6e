import ChainCrypto
import Foundation
import Wire

/// A state the rules can write: `StateOverlay` conforms.
public protocol StateWriter: StateView {
  /// Writes `value` at `key` (nil deletes).
  mutating func set(_ key: Data, _ value: Data?)
}

extension StateOverlay: StateWriter {}

extension StateWriter {
  /// Writes a wire message at `key`.
  mutating func put(_ key: Data, _ message: some WireMessage) throws {
    do { set(key, try message.serializedData()) } catch {
      throw LedgerError.encoding("\(type(of: message).protoMessageName) at \(key.hexString): \(error)")
    }
  }

  /// Writes `account`.
  mutating func putAccount(_ account: Account) throws { try put(StateKey.account(account.address), account) }
}

/// What a side of a transaction produced besides state writes, collected per entry.
struct EntryEffects: Sendable {
  var receipts: [EmittedReceipt] = []
  var blobEvents: [BlobEvent] = []
  var crossShard: [CrossShardUpdate] = []
}

/// The block and entry a rule runs for, and whether it is a vote (validation) or the application of a
/// decided block: only votes look at chunk availability.
struct RuleScope {
  let context: BlockContext
  let position: EntryPosition
  let validating: Bool
  var effects = EntryEffects()

  var parameters: ChainParameters { context.parameters }
  var shard: UInt32 { context.shard }
  var timestampMs: UInt64 { context.timestampMs }
  var blockRef: BlockRef { context.blockRef }

  func shard(of address: Data) -> UInt32 {
    Ledger.shard(ofAddressBytes: address, shardCount: parameters.shardCount)
  }
}

/// Common checks of the rules.
enum Require {
  /// The registered participant at `address`, or `not_registered`.
  static func participant(_ address: Data, in state: some StateView, _ who: String = "the sender") throws
    -> Participant
  {
    guard let participant = try state.participant(address) else {
      throw Rejection(.notRegistered, "\(who) \(address.hexString) is not a registered participant")
    }
    return participant
  }

  /// The registered patient at `address`, or `unknown_patient` / `not_a_patient`.
  static func patient(_ address: Data, in state: some StateView) throws -> Participant {
    guard let participant = try state.participant(address) else {
      throw Rejection(.unknownPatient, "patient \(address.hexString) is not a registered participant")
    }
    guard participant.role == .patient else {
      throw Rejection(
        .notAPatient, "\(address.hexString) is registered as \(participant.role.name), not as a patient")
    }
    return participant
  }

  /// The record `id` of `patient`, not erased.
  static func liveRecord(_ id: Data, of patient: Data, in state: some StateView) throws -> Record {
    guard let record = try state.record(id) else {
      throw Rejection(.unknownRecord, "no record \(id.hexString) in this shard")
    }
    guard record.patient == patient else {
      throw Rejection(
        .recordPatientMismatch,
        "record \(id.hexString) belongs to patient \(record.patient.hexString), not \(patient.hexString)")
    }
    guard !record.erased else { throw Rejection(.recordErased, "record \(id.hexString) was erased") }
    return record
  }

  /// An expiry of 0 (none) or later than the block's timestamp.
  static func futureExpiry(_ expiresAtMs: UInt64, _ field: String, scope: RuleScope) throws {
    if expiresAtMs != 0, expiresAtMs <= scope.timestampMs {
      throw Rejection(
        .expiryInPast, "\(field) \(expiresAtMs) is not after the block's timestamp \(scope.timestampMs)")
    }
  }
}

extension Role {
  /// The role's name in lowercase, e.g. `clinician`.
  public var name: String {
    switch self {
    case .unspecified: "unspecified"
    case .patient: "patient"
    case .clinician: "clinician"
    case .hospital: "hospital"
    case .lab: "lab"
    case .auditor: "auditor"
    case .admin: "admin"
    case .unrecognized(let value): "role \(value)"
    }
  }
}

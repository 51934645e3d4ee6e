import Wire

/// The kind of a transaction: its payload case. The raw value is the payload's field number in
/// `TransactionBody`, which is also the kind byte of the ledger's internal records.
public enum TransactionKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  case registerParticipant = 10
  case putRecord = 11
  case putImageManifest = 12
  case requestAccess = 13
  case decideRequest = 14
  case grantAccess = 15
  case revokeAccess = 16
  case eraseRecord = 17
  case transfer = 18

  /// The kind of `payload`.
  public init(_ payload: TransactionBody.Payload) {
    switch payload {
    case .registerParticipant: self = .registerParticipant
    case .putRecord: self = .putRecord
    case .putImageManifest: self = .putImageManifest
    case .requestAccess: self = .requestAccess
    case .decideRequest: self = .decideRequest
    case .grantAccess: self = .grantAccess
    case .revokeAccess: self = .revokeAccess
    case .eraseRecord: self = .eraseRecord
    case .transfer: self = .transfer
    }
  }

  /// The payload's field name in transaction.proto, e.g. `put_record`.
  public var description: String {
    switch self {
    case .registerParticipant: "register_participant"
    case .putRecord: "put_record"
    case .putImageManifest: "put_image_manifest"
    case .requestAccess: "request_access"
    case .decideRequest: "decide_request"
    case .grantAccess: "grant_access"
    case .revokeAccess: "revoke_access"
    case .eraseRecord: "erase_record"
    case .transfer: "transfer"
    }
  }

  /// Whether the kind needs a co-signature (signatures[1]).
  public var needsCosignature: Bool { self == .registerParticipant }
}

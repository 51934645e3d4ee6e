import ChainCrypto
import Foundation
import Wire

/// RequestAccess: home = the requester's shard, target = the patient's shard.
///
/// Home: the sender is a registered clinician, hospital, lab or auditor (`role_not_allowed`); the
/// requested expiry is 0 or after the block (`expiry_in_past`). Effect: the requester's copy of the
/// request (PENDING) and `14 || requester || position`.
/// Target: the patient is a registered patient; a named record exists in the shard, is the
/// patient's and is not erased (`unknown_record`, `record_patient_mismatch`, `record_erased`). Effect:
/// the request (PENDING) and `13 || patient || position`.
/// Compensation: the requester's copy becomes FAILED.
enum RequestAccessRules {
  static func request(_ p: RequestAccess, tx: CheckedTransaction) -> AccessRequest {
    AccessRequest(
      requestID: tx.id.data, requester: tx.sender.rawRepresentation, patient: p.patient, recordID: p.recordID,
      reason: p.reason, expiresAtMs: p.expiresAtMs, state: .pending)
  }

  static func home<S: StateWriter>(
    _ p: RequestAccess, tx: CheckedTransaction, state: inout S, scope: RuleScope
  ) throws -> UInt32 {
    let requester = try Require.participant(tx.sender.rawRepresentation, in: state)
    guard [.clinician, .hospital, .lab, .auditor].contains(requester.role) else {
      throw Rejection(.roleNotAllowed, "a \(requester.role.name) may not request access")
    }
    try Require.futureExpiry(p.expiresAtMs, "request_access.expires_at_ms", scope: scope)
    try state.put(StateKey.request(tx.id.data), request(p, tx: tx))
    state.set(
      StateKey.index(.requestsMade, party: tx.sender.rawRepresentation, position: scope.position), tx.id.data)
    return scope.shard(of: p.patient)
  }

  static func target<S: StateWriter>(
    _ p: RequestAccess, tx: CheckedTransaction, state: inout S, scope: RuleScope
  ) throws {
    _ = try Require.patient(p.patient, in: state)
    if !p.recordID.isEmpty { _ = try Require.liveRecord(p.recordID, of: p.patient, in: state) }
    try state.put(StateKey.request(tx.id.data), request(p, tx: tx))
    state.set(StateKey.index(.requestsReceived, party: p.patient, position: scope.position), tx.id.data)
  }

  static func compensate<S: StateWriter>(_ p: RequestAccess, tx: CheckedTransaction, state: inout S) throws {
    var copy = try state.accessRequest(tx.id.data) ?? request(p, tx: tx)
    copy.state = .failed
    try state.put(StateKey.request(tx.id.data), copy)
  }
}

/// DecideRequest: home = the patient's shard (where the request lives), target = the requester's.
///
/// Home: the request exists in the shard (`unknown_request`) and is the patient's copy, not a
/// requester's copy of a patient of another shard (`not_in_shard`); it is PENDING
/// (`request_not_pending`); the sender is the patient or a registered admin (`not_authorized`). On
/// approval: the expiry (the decision's, else the requested one) is 0 or after the block
/// (`expiry_in_past`), and a named record still exists unerased (`unknown_record`, `record_erased`).
/// Effect: the request becomes APPROVED or DENIED (decided_by, decision_reason, grant_id); on approval
/// a grant (id = tx id) with `11 || patient || position` and the grant pair entry.
/// Target: the requester's copy exists (`unknown_request`) and is PENDING (`request_not_pending`).
/// Effect: the copy is decided the same way; on approval the grantee's copy of the grant and
/// `12 || requester || position`.
/// Compensation: the request returns to PENDING and the grant is revoked.
enum DecideRequestRules {
  static func home<S: StateWriter>(
    _ p: DecideRequest, tx: CheckedTransaction, state: inout S, scope: RuleScope
  ) throws -> UInt32 {
    guard var request = try state.accessRequest(p.requestID) else {
      throw Rejection(
        .unknownRequest,
        "no access request \(p.requestID.hexString) in shard \(scope.shard) (requests are decided in their patient's shard)"
      )
    }
    guard scope.shard(of: request.patient) == scope.shard else {
      throw Rejection(
        .notInShard,
        "request \(p.requestID.hexString) is a copy; it is decided in its patient's shard \(scope.shard(of: request.patient))"
      )
    }
    guard request.state == .pending else {
      throw Rejection(.requestNotPending, "request \(p.requestID.hexString) is already \(request.state.name)")
    }
    if request.patient != tx.sender.rawRepresentation {
      let sender = try Require.participant(tx.sender.rawRepresentation, in: state)
      guard sender.role == .admin else {
        throw Rejection(
          .notAuthorized, "only patient \(request.patient.hexString) or an admin may decide this request")
      }
    }
    var grant: Grant?
    if p.approve {
      let expires = p.expiresAtMs != 0 ? p.expiresAtMs : request.expiresAtMs
      try Require.futureExpiry(expires, "the grant's expiry", scope: scope)
      if !request.recordID.isEmpty {
        _ = try Require.liveRecord(request.recordID, of: request.patient, in: state)
      }
      grant = Grant(
        grantID: tx.id.data, patient: request.patient, grantee: request.requester, recordID: request.recordID,
        expiresAtMs: expires, grantedIn: scope.blockRef, requestID: request.requestID)
    }
    decide(&request, p, tx: tx)
    try state.put(StateKey.request(request.requestID), request)
    if let grant {
      try GrantRules.create(grant, state: &state, scope: scope)
    }
    return scope.shard(of: request.requester)
  }

  static func target<S: StateWriter>(
    _ p: DecideRequest, tx: CheckedTransaction, origin: BlockRef, local: Bool, state: inout S,
    scope: RuleScope
  ) throws {
    guard var request = try state.accessRequest(p.requestID) else {
      throw Rejection(
        .unknownRequest, "no copy of access request \(p.requestID.hexString) in shard \(scope.shard)")
    }
    if !local {
      guard scope.shard(of: request.requester) == scope.shard else {
        throw Rejection(
          .wrongShard, "the requester of \(p.requestID.hexString) is not in shard \(scope.shard)")
      }
      guard request.state == .pending else {
        throw Rejection(
          .requestNotPending, "the requester's copy of \(p.requestID.hexString) is \(request.state.name)")
      }
      decide(&request, p, tx: tx)
      try state.put(StateKey.request(request.requestID), request)
      if p.approve {
        let grant = Grant(
          grantID: tx.id.data, patient: request.patient, grantee: request.requester,
          recordID: request.recordID,
          expiresAtMs: p.expiresAtMs != 0 ? p.expiresAtMs : request.expiresAtMs, grantedIn: origin,
          requestID: request.requestID)
        try state.put(StateKey.grant(grant.grantID), grant)
      }
    }
    if p.approve {
      state.set(
        StateKey.index(.grantsReceived, party: request.requester, position: scope.position), tx.id.data)
    }
  }

  static func compensate<S: StateWriter>(_ p: DecideRequest, tx: CheckedTransaction, state: inout S) throws {
    if var request = try state.accessRequest(p.requestID) {
      request.state = .pending
      request.decidedBy = Data()
      request.decisionReason = ""
      request.grantID = Data()
      try state.put(StateKey.request(request.requestID), request)
    }
    if p.approve, var grant = try state.grant(tx.id.data) {
      grant.revoked = true
      try state.put(StateKey.grant(grant.grantID), grant)
    }
  }

  private static func decide(_ request: inout AccessRequest, _ p: DecideRequest, tx: CheckedTransaction) {
    request.state = p.approve ? .approved : .denied
    request.decidedBy = tx.sender.rawRepresentation
    request.decisionReason = p.reason
    request.grantID = p.approve ? tx.id.data : Data()
  }
}

extension RequestState {
  /// The state's name in lowercase, e.g. `pending`.
  public var name: String {
    switch self {
    case .unspecified: "unspecified"
    case .pending: "pending"
    case .approved: "approved"
    case .denied: "denied"
    case .failed: "failed"
    case .unrecognized(let value): "state \(value)"
    }
  }
}

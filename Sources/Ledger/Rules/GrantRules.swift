import ChainCrypto
import Foundation
import Wire

/// GrantAccess and RevokeAccess: home = the patient's shard (where grants live), target = the
/// grantee's shard (which keeps a copy for the grantee's queries).
///
/// GrantAccess home: the sender is a registered patient (`role_not_allowed`); a named record exists
/// in the shard, is the sender's and is not erased; the expiry is 0 or after the block. Effect: the
/// grant (id = tx id), `11 || patient || position` and the grant pair entry.
/// GrantAccess target: the grantee is registered (`unknown_grantee`). Effect: the grantee's copy
/// (kept revoked if a revocation arrived first) and `12 || grantee || position`.
/// Compensation: the grant is revoked.
///
/// RevokeAccess home: the grant exists (`unknown_grant`) and is the patient's copy (`not_in_shard`);
/// the sender is its patient or a registered admin (`not_authorized`); it is not revoked
/// (`grant_revoked`) nor expired (`grant_expired`). Effect: revoked. Target: always valid; the
/// grantee's copy is marked revoked (a revoked placeholder if the grant's APPLY has not arrived yet).
/// Compensation: the grant is un-revoked.
enum GrantRules {
  /// Writes a new grant in the patient's shard with its index and pair entries.
  static func create<S: StateWriter>(_ grant: Grant, state: inout S, scope: RuleScope) throws {
    try state.put(StateKey.grant(grant.grantID), grant)
    state.set(StateKey.index(.grantsGiven, party: grant.patient, position: scope.position), grant.grantID)
    let pairKey = StateKey.grantPair(patient: grant.patient, grantee: grant.grantee)
    var ids = state.grantIDs(patient: grant.patient, grantee: grant.grantee)
    ids.append(grant.grantID)
    ids.sort { $0.lexicographicallyPrecedes($1) }
    state.set(pairKey, ids.reduce(into: Data()) { $0.append($1) })
  }

  static func grant(_ p: GrantAccess, tx: CheckedTransaction, grantedIn: BlockRef) -> Grant {
    Grant(
      grantID: tx.id.data, patient: tx.sender.rawRepresentation, grantee: p.grantee, recordID: p.recordID,
      expiresAtMs: p.expiresAtMs, grantedIn: grantedIn)
  }

  static func homeGrant<S: StateWriter>(
    _ p: GrantAccess, tx: CheckedTransaction, state: inout S, scope: RuleScope
  ) throws -> UInt32 {
    let sender = try Require.participant(tx.sender.rawRepresentation, in: state)
    guard sender.role == .patient else {
      throw Rejection(.roleNotAllowed, "only patients grant access; the sender is a \(sender.role.name)")
    }
    if !p.recordID.isEmpty {
      _ = try Require.liveRecord(p.recordID, of: tx.sender.rawRepresentation, in: state)
    }
    try Require.futureExpiry(p.expiresAtMs, "grant_access.expires_at_ms", scope: scope)
    try create(grant(p, tx: tx, grantedIn: scope.blockRef), state: &state, scope: scope)
    return scope.shard(of: p.grantee)
  }

  static func targetGrant<S: StateWriter>(
    _ p: GrantAccess, tx: CheckedTransaction, origin: BlockRef, local: Bool, state: inout S, scope: RuleScope
  ) throws {
    guard try state.participant(p.grantee) != nil else {
      throw Rejection(.unknownGrantee, "grantee \(p.grantee.hexString) is not a registered participant")
    }
    if !local {
      var copy = grant(p, tx: tx, grantedIn: origin)
      if let existing = try state.grant(tx.id.data) { copy.revoked = existing.revoked }
      try state.put(StateKey.grant(copy.grantID), copy)
    }
    state.set(StateKey.index(.grantsReceived, party: p.grantee, position: scope.position), tx.id.data)
  }

  static func compensateGrant<S: StateWriter>(tx: CheckedTransaction, state: inout S) throws {
    if var grant = try state.grant(tx.id.data) {
      grant.revoked = true
      try state.put(StateKey.grant(grant.grantID), grant)
    }
  }

  static func homeRevoke<S: StateWriter>(
    _ p: RevokeAccess, tx: CheckedTransaction, state: inout S, scope: RuleScope
  ) throws -> UInt32 {
    guard var grant = try state.grant(p.grantID) else {
      throw Rejection(
        .unknownGrant,
        "no grant \(p.grantID.hexString) in shard \(scope.shard) (grants are revoked in their patient's shard)"
      )
    }
    guard !grant.patient.isEmpty, scope.shard(of: grant.patient) == scope.shard else {
      throw Rejection(
        .notInShard, "grant \(p.grantID.hexString) is a copy; it is revoked in its patient's shard")
    }
    if grant.patient != tx.sender.rawRepresentation {
      let sender = try Require.participant(tx.sender.rawRepresentation, in: state)
      guard sender.role == .admin else {
        throw Rejection(
          .notAuthorized, "only patient \(grant.patient.hexString) or an admin may revoke this grant")
      }
    }
    guard !grant.revoked else {
      throw Rejection(.grantRevoked, "grant \(p.grantID.hexString) is already revoked")
    }
    if grant.expiresAtMs != 0, grant.expiresAtMs <= scope.timestampMs {
      throw Rejection(
        .grantExpired,
        "grant \(p.grantID.hexString) expired at \(grant.expiresAtMs), before the block's \(scope.timestampMs)"
      )
    }
    grant.revoked = true
    try state.put(StateKey.grant(grant.grantID), grant)
    return scope.shard(of: grant.grantee)
  }

  static func targetRevoke<S: StateWriter>(_ p: RevokeAccess, local: Bool, state: inout S) throws {
    guard !local else { return }
    var copy = try state.grant(p.grantID) ?? Grant(grantID: p.grantID)
    copy.revoked = true
    try state.put(StateKey.grant(p.grantID), copy)
  }

  static func compensateRevoke<S: StateWriter>(_ p: RevokeAccess, state: inout S) throws {
    if var grant = try state.grant(p.grantID) {
      grant.revoked = false
      try state.put(StateKey.grant(grant.grantID), grant)
    }
  }
}

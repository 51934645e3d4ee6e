import ChainCrypto
import Foundation
import Wire

/// Dispatches a transaction's sides to the rules of its kind (docs/ledger.md, "Transaction kinds").
enum TransactionRules {
  /// Runs a transaction of this shard: the common rules (home shard, `valid_until_ms`, nonce), the
  /// home side, and the target side too when the other party is in this shard. A cross-shard
  /// transaction records its pending home side and emits an APPLY receipt.
  static func execute<S: StateWriter>(
    _ tx: CheckedTransaction, state: inout S, scope: inout RuleScope
  ) throws -> EntryResult.CrossShard {
    let home = scope.parameters.shard(of: tx.sender)
    guard home == scope.shard else {
      throw Rejection(
        .wrongShard, "the sender \(tx.sender) lives in shard \(home), not in shard \(scope.shard)")
    }
    if tx.body.validUntilMs != 0, scope.timestampMs > tx.body.validUntilMs {
      throw Rejection(
        .expired, "valid until \(tx.body.validUntilMs), but the block's timestamp is \(scope.timestampMs)")
    }
    var account = try state.account(tx.sender.rawRepresentation) ?? Account.new(tx.sender, shard: scope.shard)
    let expected = account.nonce &+ 1
    guard tx.nonce == expected else {
      throw Rejection(.badNonce, "expected nonce \(expected), got \(tx.nonce)")
    }
    account.nonce = expected
    try state.putAccount(account)

    let target: UInt32?
    switch tx.payload {
    case .registerParticipant(let p):
      try RegisterParticipantRules.home(p, tx: tx, state: &state, scope: scope)
      target = nil
    case .putRecord, .putImageManifest:
      target = try RecordRules.home(
        RecordRules.content(tx.payload, tx: tx)!, tx: tx, state: state, scope: scope)
    case .requestAccess(let p):
      target = try RequestAccessRules.home(p, tx: tx, state: &state, scope: scope)
    case .decideRequest(let p):
      target = try DecideRequestRules.home(p, tx: tx, state: &state, scope: scope)
    case .grantAccess(let p):
      target = try GrantRules.homeGrant(p, tx: tx, state: &state, scope: scope)
    case .revokeAccess(let p):
      target = try GrantRules.homeRevoke(p, tx: tx, state: &state, scope: scope)
    case .eraseRecord(let p):
      target = try EraseRules.home(p, tx: tx, state: state, scope: scope)
    case .transfer(let p):
      target = try TransferRules.home(p, tx: tx, state: &state, scope: scope)
    }
    guard let target else { return .none }
    if target == scope.shard {
      try applyTarget(tx, origin: scope.blockRef, local: true, state: &state, scope: &scope)
      return .none
    }
    let record = CrossShardHome(kind: tx.kind, targetShard: target, state: .pending, position: scope.position)
    state.set(StateKey.crossShardHome(tx.id.data), record.encoded)
    scope.effects.receipts.append(
      EmittedReceipt(
        kind: .apply, txID: tx.id.data, targetShard: target, entryIndex: Int(scope.position.index)))
    return .pending(targetShard: target)
  }

  /// The target side of `tx`, whose home block is `origin`; `local` when home and target are this shard.
  static func applyTarget<S: StateWriter>(
    _ tx: CheckedTransaction, origin: BlockRef, local: Bool, state: inout S, scope: inout RuleScope
  ) throws {
    switch tx.payload {
    case .registerParticipant:
      throw Rejection(.receiptMismatch, "register_participant has no cross-shard side")
    case .putRecord, .putImageManifest:
      try RecordRules.target(RecordRules.content(tx.payload, tx: tx)!, state: &state, scope: &scope)
    case .requestAccess(let p):
      try RequestAccessRules.target(p, tx: tx, state: &state, scope: scope)
    case .decideRequest(let p):
      try DecideRequestRules.target(p, tx: tx, origin: origin, local: local, state: &state, scope: scope)
    case .grantAccess(let p):
      try GrantRules.targetGrant(p, tx: tx, origin: origin, local: local, state: &state, scope: scope)
    case .revokeAccess(let p):
      try GrantRules.targetRevoke(p, local: local, state: &state)
    case .eraseRecord(let p):
      try EraseRules.target(p, tx: tx, state: &state, scope: &scope)
    case .transfer(let p):
      try TransferRules.target(p, state: &state, scope: scope)
    }
  }

  /// Undoes the home side of `tx` after its target shard rejected the other side.
  static func compensate<S: StateWriter>(_ tx: CheckedTransaction, state: inout S, scope: RuleScope) throws {
    switch tx.payload {
    case .registerParticipant, .putRecord, .putImageManifest, .eraseRecord: break
    case .requestAccess(let p): try RequestAccessRules.compensate(p, tx: tx, state: &state)
    case .decideRequest(let p): try DecideRequestRules.compensate(p, tx: tx, state: &state)
    case .grantAccess: try GrantRules.compensateGrant(tx: tx, state: &state)
    case .revokeAccess(let p): try GrantRules.compensateRevoke(p, state: &state)
    case .transfer(let p): try TransferRules.compensate(p, tx: tx, state: &state, scope: scope)
    }
  }
}

import ChainCrypto
import Foundation
import Wire

/// EraseRecord: home = the sender's shard, target = the patient's shard (local when the sender is the
/// patient or an admin of the patient's shard).
///
/// Home: the sender is registered (`not_registered`) and is the patient named or an admin
/// (`not_authorized`). Target: the record exists (`unknown_record`), is the named patient's
/// (`record_patient_mismatch`) and is not erased (`record_erased`). Effect: erased, erased_by = tx
/// id, erase_reason; the blob's reference is released (crypto-shredding happens in the blob store).
/// Compensation: none.
enum EraseRules {
  static func home(_ p: EraseRecord, tx: CheckedTransaction, state: some StateView, scope: RuleScope) throws
    -> UInt32
  {
    let sender = try Require.participant(tx.sender.rawRepresentation, in: state)
    if p.patient != tx.sender.rawRepresentation, sender.role != .admin {
      throw Rejection(.notAuthorized, "only patient \(p.patient.hexString) or an admin may erase its records")
    }
    return scope.shard(of: p.patient)
  }

  static func target<S: StateWriter>(
    _ p: EraseRecord, tx: CheckedTransaction, state: inout S, scope: inout RuleScope
  )
    throws
  {
    var record = try Require.liveRecord(p.recordID, of: p.patient, in: state)
    record.erased = true
    record.erasedBy = tx.id.data
    record.eraseReason = p.reason
    try state.put(StateKey.record(record.recordID), record)
    scope.effects.blobEvents.append(
      .recordErased(recordID: record.recordID, blobID: record.content?.merkleRoot ?? Data()))
  }
}

/// Transfer: home = the sender's shard, target = the recipient's shard.
///
/// Home: the balance covers the amount (`insufficient_balance`); effect: debit. Target: the credit
/// does not overflow (`balance_overflow`); effect: credit (the account is created if new).
/// Compensation: the sender is refunded (saturating at 2^64 - 1).
enum TransferRules {
  static func home<S: StateWriter>(_ p: Transfer, tx: CheckedTransaction, state: inout S, scope: RuleScope)
    throws
    -> UInt32
  {
    var account = try state.account(tx.sender.rawRepresentation) ?? Account.new(tx.sender, shard: scope.shard)
    guard account.balance >= p.amount else {
      throw Rejection(.insufficientBalance, "balance \(account.balance) is less than the amount \(p.amount)")
    }
    account.balance -= p.amount
    try state.putAccount(account)
    return scope.shard(of: p.recipient)
  }

  static func target<S: StateWriter>(_ p: Transfer, state: inout S, scope: RuleScope) throws {
    var account = try state.account(p.recipient) ?? Account.new(raw: p.recipient, shard: scope.shard)
    let (sum, overflow) = account.balance.addingReportingOverflow(p.amount)
    guard !overflow else {
      throw Rejection(
        .balanceOverflow, "crediting \(p.amount) to \(p.recipient.hexString) would overflow its balance")
    }
    account.balance = sum
    try state.putAccount(account)
  }

  static func compensate<S: StateWriter>(
    _ p: Transfer, tx: CheckedTransaction, state: inout S, scope: RuleScope
  )
    throws
  {
    var account = try state.account(tx.sender.rawRepresentation) ?? Account.new(tx.sender, shard: scope.shard)
    let (sum, overflow) = account.balance.addingReportingOverflow(p.amount)
    account.balance = overflow ? .max : sum
    try state.putAccount(account)
  }
}

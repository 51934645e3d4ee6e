import ChainCrypto
import Foundation
import Wire

/// RegisterParticipant: local to the sender's shard.
///
/// - the sender is not registered (`already_registered`);
/// - signatures[1] is by a genesis authority allowed to register the role: an admin for admins,
///   hospitals and labs; an admin, hospital or lab for patients, clinicians and auditors
///   (`unauthorized_cosigner`).
///
/// Effect: the sender's account gets its `Participant` (key, role, organisation, name, encryption
/// key, registered_in = this block).
enum RegisterParticipantRules {
  static func home<S: StateWriter>(
    _ p: RegisterParticipant, tx: CheckedTransaction, state: inout S, scope: RuleScope
  ) throws {
    var account = try state.account(tx.sender.rawRepresentation) ?? Account.new(tx.sender, shard: scope.shard)
    if account.participant != nil {
      throw Rejection(.alreadyRegistered, "\(tx.sender) is already registered")
    }
    let cosigner = tx.cosigners[0].address
    let allowed: Set<Role> =
      switch p.role {
      case .admin, .hospital, .lab: [.admin]
      default: [.admin, .hospital, .lab]
      }
    guard let authority = scope.parameters.authorities[cosigner] else {
      throw Rejection(
        .unauthorizedCosigner,
        "co-signer \(cosigner) is not a genesis participant, so it cannot authorize registrations")
    }
    guard allowed.contains(authority) else {
      throw Rejection(
        .unauthorizedCosigner,
        "co-signer \(cosigner) is a genesis \(authority.name); registering a \(p.role.name) needs "
          + allowed.map(\.name).sorted().joined(separator: " or "))
    }
    account.participant = Participant(
      address: tx.sender.rawRepresentation, publicKey: tx.senderKey.rawRepresentation, role: p.role,
      organisation: p.organisation, displayName: p.displayName, encryptionKey: p.encryptionKey,
      registeredIn: scope.blockRef)
    try state.putAccount(account)
  }
}

extension Account {
  /// A fresh account (nonce 0, balance 0) of `address` in `shard`.
  static func new(_ address: Address, shard: UInt32) -> Account {
    Account(address: address.rawRepresentation, shard: shard)
  }

  /// A fresh account of the raw `address` in `shard`.
  static func new(raw address: Data, shard: UInt32) -> Account { Account(address: address, shard: shard) }
}

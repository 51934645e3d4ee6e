import ChainCrypto
import Foundation
import Wire

/// A transaction that passed the stateless checks (`TransactionChecks`): decoded, for this network,
/// with exactly one payload, well-formed fields, and signatures that are well formed and, once
/// `TransactionChecks.verifySignatures` or `check` ran, valid.
public struct CheckedTransaction: Sendable, Hashable {
  /// The transaction as it travels.
  public let signed: SignedTransaction
  /// The decoded body.
  public let body: TransactionBody
  /// The payload (exactly one is set).
  public let payload: TransactionBody.Payload
  /// The transaction id: SHA-256 of the body bytes.
  public let id: SHA256Digest
  /// The sender (the address of signatures[0]'s key).
  public let sender: Address
  /// signatures[0]'s key.
  public let senderKey: Ed25519.PublicKey
  /// The keys of the co-signatures (signatures[1...]).
  public let cosigners: [Ed25519.PublicKey]

  /// The payload's kind.
  public var kind: TransactionKind { TransactionKind(payload) }
  /// The nonce.
  public var nonce: UInt64 { body.nonce }

  init(
    signed: SignedTransaction, body: TransactionBody, payload: TransactionBody.Payload, id: SHA256Digest,
    sender: Address, senderKey: Ed25519.PublicKey, cosigners: [Ed25519.PublicKey]
  ) {
    self.signed = signed
    self.body = body
    self.payload = payload
    self.id = id
    self.sender = sender
    self.senderKey = senderKey
    self.cosigners = cosigners
  }
}

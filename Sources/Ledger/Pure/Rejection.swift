/// Why an entry (a transaction or a receipt) is invalid: a stable machine code and a human message,
/// for example `bad_nonce: expected nonce 4, got 6`.
///
/// The codes are part of the protocol's observable behaviour (clients see them as the reason of a
/// rejected transaction); docs/ledger.md lists each with its rule. Never rename one.
public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
  /// The machine code.
  public var code: RejectionCode
  /// What exactly is wrong, naming the field or object and the values involved.
  public var message: String

  /// A rejection with `code` and `message`.
  public init(_ code: RejectionCode, _ message: String) {
    self.code = code
    self.message = message
  }

  /// `code: message`.
  public var description: String { "\(code.rawValue): \(message)" }
}

/// The stable codes of `Rejection`, grouped as in docs/ledger.md.
public enum RejectionCode: String, Sendable, Hashable, CaseIterable {
  // MARK: Form (stateless)
  /// The serialized transaction is larger than `ConsensusParams.max_transaction_bytes`.
  case tooLarge = "too_large"
  /// An entry is not a decodable `TBlockEntry` with exactly one member set.
  case malformedEntry = "malformed_entry"
  /// The body is not a decodable `TransactionBody`.
  case malformedBody = "malformed_body"
  /// The body's chain id is not this network's.
  case wrongChain = "wrong_chain"
  /// No payload is set.
  case missingPayload = "missing_payload"
  /// More than one payload field occurs in the body.
  case multiplePayloads = "multiple_payloads"
  /// No signature.
  case noSignature = "no_signature"
  /// More than 4 signatures.
  case tooManySignatures = "too_many_signatures"
  /// A signature or public key of the wrong length, or a public key that is not a valid point.
  case malformedSignature = "malformed_signature"
  /// A signature does not verify over "sehc/v1/tx" || body.
  case badSignature = "bad_signature"
  /// The body's sender is not the address of signatures[0]'s key.
  case senderMismatch = "sender_mismatch"
  /// The same key signs twice.
  case duplicateSigner = "duplicate_signer"
  /// A kind that needs a co-signature (RegisterParticipant) has none.
  case missingCosignature = "missing_cosignature"
  /// A kind that takes no co-signature has one.
  case unexpectedCosignature = "unexpected_cosignature"
  /// An address field is not 20 bytes.
  case invalidAddress = "invalid_address"
  /// An id field (record, grant, request, transaction) is not 32 bytes.
  case invalidID = "invalid_id"
  /// A text field is empty where it must not be, too long, or has characters its format forbids.
  case invalidText = "invalid_text"
  /// A role that is not one of the six roles.
  case invalidRole = "invalid_role"
  /// An encryption key that is neither empty nor 32 bytes.
  case invalidKey = "invalid_key"
  /// A blob manifest that is inconsistent (chunk size, count, hashes, Merkle root, sizes).
  case invalidManifest = "invalid_manifest"
  /// Metadata with too many attributes, unsorted or duplicate keys, or oversized keys or values.
  case invalidMetadata = "invalid_metadata"
  /// A transfer of zero tokens.
  case zeroAmount = "zero_amount"
  /// A transfer to the sender itself.
  case selfTransfer = "self_transfer"
  /// A grant to the sender itself.
  case selfGrant = "self_grant"

  // MARK: State (stateful)
  /// `valid_until_ms` is earlier than the block's timestamp.
  case expired = "expired"
  /// The nonce is not the sender's last committed nonce + 1.
  case badNonce = "bad_nonce"
  /// The sender is not a registered participant.
  case notRegistered = "not_registered"
  /// RegisterParticipant for an address that is registered.
  case alreadyRegistered = "already_registered"
  /// The co-signer of a registration is not a genesis authority allowed to register that role.
  case unauthorizedCosigner = "unauthorized_cosigner"
  /// The sender's role may not send this kind (or not for this patient).
  case roleNotAllowed = "role_not_allowed"
  /// The patient named is not a registered participant.
  case unknownPatient = "unknown_patient"
  /// The participant named as patient is registered with another role.
  case notAPatient = "not_a_patient"
  /// The grantee is not a registered participant.
  case unknownGrantee = "unknown_grantee"
  /// No record with this id in the shard.
  case unknownRecord = "unknown_record"
  /// The record belongs to another patient than the one named.
  case recordPatientMismatch = "record_patient_mismatch"
  /// The record was erased.
  case recordErased = "record_erased"
  /// No access request with this id in the shard.
  case unknownRequest = "unknown_request"
  /// The access request was already decided (or failed).
  case requestNotPending = "request_not_pending"
  /// No grant with this id in the shard.
  case unknownGrant = "unknown_grant"
  /// The grant is already revoked.
  case grantRevoked = "grant_revoked"
  /// The grant's expiry has passed.
  case grantExpired = "grant_expired"
  /// The object is a copy kept for another party; it must be changed in its patient's shard.
  case notInShard = "not_in_shard"
  /// The sender is neither the patient concerned nor an admin.
  case notAuthorized = "not_authorized"
  /// An expiry that is not after the block's timestamp.
  case expiryInPast = "expiry_in_past"
  /// The sender's balance is lower than the amount.
  case insufficientBalance = "insufficient_balance"
  /// Crediting would overflow the recipient's balance.
  case balanceOverflow = "balance_overflow"
  /// The validator does not hold every chunk of the record's blob (votes only).
  case chunksMissing = "chunks_missing"

  // MARK: Receipts
  /// A receipt with an unspecified kind or a transaction id that is not 32 bytes.
  case badReceipt = "bad_receipt"
  /// A receipt whose target is not this shard, or whose source is this shard.
  case wrongShard = "wrong_shard"
  /// The receipt's source header does not decode or is for another network.
  case badReceiptHeader = "bad_receipt_header"
  /// The receipt's source entry is not in the source block (inclusion proof fails).
  case receiptNotInBlock = "receipt_not_in_block"
  /// No shard membership is known for the source block's epoch.
  case unknownEpoch = "unknown_epoch"
  /// A vote of the certificate is malformed, for another block, or badly signed, or a voter twice.
  case badCertificate = "bad_certificate"
  /// A vote of the certificate is by a validator that is not a member of the source shard.
  case nonMemberVote = "non_member_vote"
  /// The certificate has votes of at most half of the source shard's members.
  case minorityCertificate = "minority_certificate"
  /// An APPLY receipt's entry was not accepted by a majority of the source shard.
  case receiptEntryRejected = "receipt_entry_rejected"
  /// An ABORT receipt's APPLY entry was accepted by the target shard after all.
  case receiptEntryAccepted = "receipt_entry_accepted"
  /// The source entry does not match the receipt (kind, transaction id, shards).
  case receiptMismatch = "receipt_mismatch"
  /// An ABORT for a transaction this shard has no pending cross-shard side of.
  case noPendingTransaction = "no_pending_transaction"

  // MARK: Apply
  /// Accepted by the shard's votes but invalid against the state the accepted entries produce.
  case voidAtApply = "void_at_apply"
  /// Rejected by the shard's votes although valid against this node's state.
  case rejectedByVote = "rejected_by_vote"
}

extension Rejection {
  static func field(_ code: RejectionCode, _ field: String, _ detail: String) -> Rejection {
    Rejection(code, "\(field): \(detail)")
  }
}

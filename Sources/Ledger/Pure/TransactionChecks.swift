import ChainCrypto
import Foundation
import Wire

/// The stateless transaction checks (docs/ledger.md, "Form rules"): everything that can be judged
/// from the transaction alone and the chain parameters. Pure and deterministic.
///
/// `check` runs them all. The block executor instead runs `checkForm` on every entry and then
/// verifies all signatures of a block in one `Ed25519.batchVerify` (`signatureItems`).
public enum TransactionChecks {
  /// The most signatures a transaction may carry.
  public static let maxSignatures = 4

  /// Every stateless check, signatures included.
  public static func check(
    _ signed: SignedTransaction, parameters: ChainParameters, encodedSize: Int? = nil
  ) throws(Rejection) -> CheckedTransaction {
    let checked = try checkForm(signed, parameters: parameters, encodedSize: encodedSize)
    let verdicts = signatureItems(checked).map {
      $0.publicKey.isValidSignature($0.signature, domain: .transaction, message: $0.message)
    }
    try signatureVerdicts(verdicts)
    return checked
  }

  /// Every stateless check but the signature verification itself (lengths, keys and the sender
  /// address are checked). `encodedSize` is the size of the serialized SignedTransaction when the
  /// caller has it (an entry's bytes); otherwise it is computed.
  public static func checkForm(
    _ signed: SignedTransaction, parameters: ChainParameters, encodedSize: Int? = nil
  ) throws(Rejection) -> CheckedTransaction {
    let size: Int
    if let encodedSize {
      size = encodedSize
    } else {
      do { size = try signed.serializedData().count } catch {
        throw Rejection(.malformedBody, "the transaction does not encode: \(error)")
      }
    }
    guard size <= parameters.maxTransactionBytes else {
      throw Rejection(
        .tooLarge, "the transaction is \(size) bytes; the limit is \(parameters.maxTransactionBytes)")
    }
    guard !signed.signatures.isEmpty else {
      throw Rejection(.noSignature, "the transaction has no signature")
    }
    guard signed.signatures.count <= maxSignatures else {
      throw Rejection(
        .tooManySignatures, "\(signed.signatures.count) signatures; at most \(maxSignatures) are allowed")
    }
    let body: TransactionBody
    do { body = try TransactionBody(serializedBytes: signed.body) } catch {
      throw Rejection(.malformedBody, "the body is not a TransactionBody: \(error)")
    }
    guard body.chainID == parameters.chainID else {
      throw Rejection(
        .wrongChain, "the transaction is for chain \"\(body.chainID)\", not \"\(parameters.chainID)\"")
    }
    let payloadFields = (FieldScanner.fieldNumbers(signed.body) ?? []).filter { (10...18).contains($0) }
    guard let payload = body.payload, !payloadFields.isEmpty else {
      throw Rejection(.missingPayload, "the body sets no payload")
    }
    guard payloadFields.count == 1 else {
      throw Rejection(
        .multiplePayloads,
        "the body has \(payloadFields.count) payload fields (numbers \(payloadFields.map(String.init).joined(separator: ", "))); exactly one is allowed"
      )
    }
    try FieldRules.address(body.sender, "sender")
    var keys: [Ed25519.PublicKey] = []
    for (index, signature) in signed.signatures.enumerated() {
      guard signature.signature.count == Ed25519.signatureByteCount else {
        throw Rejection(
          .malformedSignature, "signatures[\(index)].signature is \(signature.signature.count) bytes, not 64")
      }
      let key: Ed25519.PublicKey
      do { key = try Ed25519.PublicKey(rawRepresentation: signature.publicKey) } catch {
        throw Rejection(
          .malformedSignature, "signatures[\(index)].public_key is not an Ed25519 public key: \(error)")
      }
      guard !keys.contains(key) else {
        throw Rejection(.duplicateSigner, "signatures[\(index)] is by the same key as an earlier signature")
      }
      keys.append(key)
    }
    let sender = keys[0].address
    guard sender.rawRepresentation == body.sender else {
      throw Rejection(
        .senderMismatch,
        "sender \(body.sender.hexString) is not \(sender.hex), the address of signatures[0]'s key")
    }
    let kind = TransactionKind(payload)
    if kind.needsCosignature, keys.count < 2 {
      throw Rejection(.missingCosignature, "\(kind) needs an authority's co-signature as signatures[1]")
    }
    if !kind.needsCosignature, keys.count > 1 {
      throw Rejection(.unexpectedCosignature, "\(kind) takes only the sender's signature, got \(keys.count)")
    }
    if kind.needsCosignature, keys.count > 2 {
      throw Rejection(.unexpectedCosignature, "\(kind) takes exactly one co-signature, got \(keys.count - 1)")
    }
    try payloadForm(payload, sender: body.sender)
    return CheckedTransaction(
      signed: signed, body: body, payload: payload, id: SHA256.hash(signed.body), sender: sender,
      senderKey: keys[0], cosigners: Array(keys.dropFirst()))
  }

  /// The signatures of `transaction`, as batch items over "sehc/v1/tx" || body.
  public static func signatureItems(_ transaction: CheckedTransaction) -> [Ed25519.BatchItem] {
    ([transaction.senderKey] + transaction.cosigners).enumerated().map { index, key in
      Ed25519.BatchItem(
        publicKey: key, message: transaction.signed.body,
        signature: transaction.signed.signatures[index].signature, domain: .transaction)
    }
  }

  /// Throws for the first false verdict (verdicts in signature order).
  public static func signatureVerdicts(_ verdicts: [Bool]) throws(Rejection) {
    if let index = verdicts.firstIndex(of: false) {
      throw Rejection(.badSignature, "signatures[\(index)] does not verify over \"sehc/v1/tx\" || body")
    }
  }

  /// The form rules of each payload.
  static func payloadForm(_ payload: TransactionBody.Payload, sender: Data) throws(Rejection) {
    switch payload {
    case .registerParticipant(let p):
      guard p.role.isAssignable else {
        throw .field(.invalidRole, "register_participant.role", "\(p.role) is not one of the six roles")
      }
      try FieldRules.text(p.organisation, "register_participant.organisation", min: 1, max: 128)
      try FieldRules.text(p.displayName, "register_participant.display_name", max: 128)
      guard p.encryptionKey.isEmpty || p.encryptionKey.count == 32 else {
        throw .field(
          .invalidKey, "register_participant.encryption_key",
          "must be empty or a 32-byte X25519 key, got \(p.encryptionKey.count) bytes")
      }
    case .putRecord(let p):
      try FieldRules.address(p.patient, "put_record.patient")
      try FieldRules.kind(p.kind, "put_record.kind")
      try FieldRules.mediaType(p.mediaType, "put_record.media_type")
      try FieldRules.manifest(p.content, "put_record.content")
      try FieldRules.metadata(p.metadata, "put_record.metadata")
    case .putImageManifest(let p):
      try FieldRules.address(p.patient, "put_image_manifest.patient")
      try FieldRules.kind(p.kind, "put_image_manifest.kind")
      try FieldRules.mediaType(p.mediaType, "put_image_manifest.media_type")
      try FieldRules.manifest(p.content, "put_image_manifest.content")
      try FieldRules.modality(p.modality, "put_image_manifest.modality")
      try FieldRules.dicomUID(p.studyInstanceUID, "put_image_manifest.study_instance_uid")
      try FieldRules.metadata(p.metadata, "put_image_manifest.metadata")
    case .requestAccess(let p):
      try FieldRules.address(p.patient, "request_access.patient")
      try FieldRules.optionalID(p.recordID, "request_access.record_id")
      try FieldRules.text(p.reason, "request_access.reason", min: 1, max: 512)
    case .decideRequest(let p):
      try FieldRules.id(p.requestID, "decide_request.request_id")
      try FieldRules.text(p.reason, "decide_request.reason", max: 512)
    case .grantAccess(let p):
      try FieldRules.address(p.grantee, "grant_access.grantee")
      try FieldRules.optionalID(p.recordID, "grant_access.record_id")
      guard p.grantee != sender else { throw .field(.selfGrant, "grant_access.grantee", "is the sender") }
    case .revokeAccess(let p):
      try FieldRules.id(p.grantID, "revoke_access.grant_id")
    case .eraseRecord(let p):
      try FieldRules.id(p.recordID, "erase_record.record_id")
      try FieldRules.address(p.patient, "erase_record.patient")
      try FieldRules.text(p.reason, "erase_record.reason", max: 512)
    case .transfer(let p):
      try FieldRules.address(p.recipient, "transfer.recipient")
      guard p.amount > 0 else { throw .field(.zeroAmount, "transfer.amount", "must not be zero") }
      guard p.recipient != sender else { throw .field(.selfTransfer, "transfer.recipient", "is the sender") }
    }
  }
}

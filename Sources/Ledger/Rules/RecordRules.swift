import ChainCrypto
import Foundation
import Wire

/// PutRecord and PutImageManifest: home = the author's shard, target = the patient's shard.
///
/// Home: the sender is registered as a clinician, hospital or lab, or is the patient itself
/// (`not_registered`, `role_not_allowed`).
/// Target: the patient is a registered patient (`unknown_patient`, `not_a_patient`); when voting, the
/// voter holds every chunk of the content (`chunks_missing`). Effect: the record (id = tx id,
/// created_in = the block of the patient's shard) and its index entry `10 || patient || position`.
/// Compensation: none (the home side only consumed the nonce).
enum RecordRules {
  /// The fields both kinds share.
  struct Content {
    var patient: Data
    var record: Record
    var manifest: BlobManifest
  }

  static func content(_ payload: TransactionBody.Payload, tx: CheckedTransaction) -> Content? {
    switch payload {
    case .putRecord(let p):
      return Content(
        patient: p.patient,
        record: Record(
          recordID: tx.id.data, patient: p.patient, author: tx.sender.rawRepresentation, kind: p.kind,
          mediaType: p.mediaType, content: p.content, metadata: p.metadata, isImage: false),
        manifest: p.content ?? BlobManifest())
    case .putImageManifest(let p):
      return Content(
        patient: p.patient,
        record: Record(
          recordID: tx.id.data, patient: p.patient, author: tx.sender.rawRepresentation, kind: p.kind,
          mediaType: p.mediaType, content: p.content, metadata: p.metadata, isImage: true,
          modality: p.modality,
          studyInstanceUID: p.studyInstanceUID),
        manifest: p.content ?? BlobManifest())
    default:
      return nil
    }
  }

  static func home(_ content: Content, tx: CheckedTransaction, state: some StateView, scope: RuleScope) throws
    -> UInt32
  {
    let author = try Require.participant(tx.sender.rawRepresentation, in: state)
    switch author.role {
    case .clinician, .hospital, .lab: break
    case .patient:
      guard content.patient == tx.sender.rawRepresentation else {
        throw Rejection(
          .roleNotAllowed, "a patient may add records only for itself, not for \(content.patient.hexString)")
      }
    default:
      throw Rejection(.roleNotAllowed, "a \(author.role.name) may not add records")
    }
    return scope.shard(of: content.patient)
  }

  static func target<S: StateWriter>(_ content: Content, state: inout S, scope: inout RuleScope) throws {
    _ = try Require.patient(content.patient, in: state)
    if scope.validating, let chunks = scope.context.chunks, !chunks.hasAllChunks(content.manifest) {
      throw Rejection(
        .chunksMissing,
        "this validator does not hold every chunk of blob \(content.manifest.merkleRoot.hexString)")
    }
    var record = content.record
    record.createdIn = scope.blockRef
    try state.put(StateKey.record(record.recordID), record)
    state.set(
      StateKey.index(.recordsByPatient, party: content.patient, position: scope.position), record.recordID)
    scope.effects.blobEvents.append(
      .recordCreated(recordID: record.recordID, blobID: content.manifest.merkleRoot))
  }
}

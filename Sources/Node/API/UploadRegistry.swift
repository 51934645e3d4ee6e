import ChainCrypto
import Foundation
import Wire

/// What a `BeginUpload` asked for, kept with its session until the upload is finished: who uploads,
/// for which patient, what the image is, and, once every byte arrived, its manifest (so that a call
/// whose replication or submission failed can be retried on the same session).
struct UploadTicket: Codable, Sendable, Equatable {
  var sessionID: Data
  var username: String
  var owner: Data
  var patient: Data
  var kind: String
  var mediaType: String
  var modality: String
  var studyInstanceUID: String
  var metadata: [[String]]
  var manifestOnly: Bool
  var waitFor: Int32
  /// The serialized `BlobManifest`, once the content is complete and stored as a blob.
  var manifest: Data?

  /// The image manifest transaction's payload for `manifest`.
  func payload(_ manifest: BlobManifest) -> TransactionBody.Payload {
    .putImageManifest(
      PutImageManifest(
        patient: patient, kind: kind, mediaType: mediaType, content: manifest, modality: modality,
        studyInstanceUID: studyInstanceUID,
        metadata: metadata.map { Attribute(key: $0[0], value: $0[1]) }))
  }
}

/// The upload tickets of this node: one JSON file per session in a directory of its own, written
/// atomically, so sessions survive restarts as the blob store's sessions do.
final class UploadRegistry: Sendable {
  let directory: String

  /// Opens (creating if needed) the registry in `directory`.
  init(directory: String) throws {
    self.directory = directory
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
  }

  private func path(_ id: Data) -> String { directory + "/" + id.hexString + ".json" }

  func save(_ ticket: UploadTicket) throws {
    try JSONEncoder().encode(ticket).write(to: URL(fileURLWithPath: path(ticket.sessionID)), options: .atomic)
  }

  func ticket(_ id: Data) throws -> UploadTicket? {
    guard id.count == 16, let data = FileManager.default.contents(atPath: path(id)) else { return nil }
    return try JSONDecoder().decode(UploadTicket.self, from: data)
  }

  func remove(_ id: Data) { try? FileManager.default.removeItem(atPath: path(id)) }
}

import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Wire

/// Resumable image uploads: a session (id + offset) in the blob store, and a ticket saying what the
/// image is and who uploads it.
extension HealthChainService {
  /// Opens a session after checking that the image manifest transaction would pass (its fields, and,
  /// unless `manifest_only`, the caller's and the patient's roles), so that nobody uploads gigabytes
  /// for a transaction the chain refuses.
  public func beginUpload(request: BeginUploadRequest, context: ServerContext) async throws -> UploadSession {
    let principal = try Principal.required()
    _ = try Inputs.commitment(request.waitFor)
    let patient = try Inputs.address(request.patient, "patient")
    guard (1...ChainParameters.maxBlobSize).contains(request.totalSize) else {
      throw APIError.invalid("total_size is \(request.totalSize); an image is 1 byte to 4 GiB")
    }
    guard request.contentHash.isEmpty || request.contentHash.count == 32 else {
      throw APIError.invalid("content_hash must be empty or 32 bytes, got \(request.contentHash.count)")
    }
    let ticket = UploadTicket(
      sessionID: Data(), username: principal.username, owner: principal.address.rawRepresentation,
      patient: patient.rawRepresentation, kind: request.kind, mediaType: request.mediaType,
      modality: request.modality, studyInstanceUID: request.studyInstanceUID,
      metadata: request.metadata.map { [$0.key, $0.value] }, manifestOnly: request.manifestOnly,
      waitFor: request.waitFor.rawValue, manifest: nil)
    let payload = ticket.payload(Self.placeholderManifest(size: request.totalSize))
    let rejection =
      request.manifestOnly
      ? try pipeline.formRejection(payload)
      : try await pipeline.probe(payload, signer: try self.context.signingKey(principal))
    if let rejection {
      throw APIError.invalid("the image manifest transaction would be rejected: \(rejection.description)")
    }
    return try await handle("opening the upload session") {
      let session = try self.context.blobs.beginUpload(
        totalSize: request.totalSize, contentHash: request.contentHash, nowMs: self.context.nowMs,
        ttlMs: self.context.configuration.uploadTTLms)
      var saved = ticket
      saved.sessionID = session.sessionID
      try self.context.uploads.save(saved)
      return session
    }
  }

  /// Takes pieces at the session's offset. When the last byte is in, builds the manifest, replicates
  /// the chunks to the patient's shard and (unless `manifest_only`) submits the PutImageManifest. A
  /// stream that ends early answers with the session's progress; a session whose content is complete
  /// but whose replication or submission failed is retried by a stream of just its id.
  public func uploadImage(request: RPCAsyncSequence<UploadChunk, any Error>, context: ServerContext)
    async throws -> UploadImageResponse
  {
    let principal = try Principal.required()
    var pieces = request.makeAsyncIterator()
    guard let first = try await pieces.next() else {
      throw APIError.invalid("the upload stream is empty; its first piece must carry session_id")
    }
    let id = first.sessionID
    guard !id.isEmpty else { throw APIError.invalid("the first piece of an upload must carry session_id") }
    var ticket = try ownTicket(id, principal)
    let api = self.context
    let manifest: BlobManifest
    if let stored = ticket.manifest {
      manifest = try await handle("reading the upload") { try BlobManifest(serializedBytes: stored) }
      var piece: UploadChunk? = first
      while let current = piece {
        guard current.data.isEmpty else {
          throw APIError.precondition(
            "upload session \(id.hexString) already holds all \(manifest.totalSize) bytes; send only its id to finish it"
          )
        }
        piece = try await pieces.next()
      }
    } else {
      var piece: UploadChunk? = first
      while let current = piece {
        guard current.sessionID.isEmpty || current.sessionID == id else {
          throw APIError.invalid(
            "a piece names session \(current.sessionID.hexString) in a stream of \(id.hexString)")
        }
        guard current.data.count <= ChainParameters.chunkSize else {
          throw APIError.exhausted(
            "a piece of \(current.data.count) bytes; pieces are at most \(ChainParameters.chunkSize) bytes")
        }
        if !current.data.isEmpty {
          _ = try await handle("storing the piece") {
            try api.blobs.appendUpload(id, offset: current.offset, data: current.data, nowMs: api.nowMs)
          }
        }
        piece = try await pieces.next()
      }
      let session = try await handle("reading the upload session") {
        try api.blobs.uploadSession(id, nowMs: api.nowMs)
      }
      guard session.complete else { return UploadImageResponse(session: session) }
      manifest = try await handle("finishing the upload") { try api.blobs.finishUpload(id, nowMs: api.nowMs) }
      ticket.manifest = try await handle("saving the upload") { try manifest.serializedData() }
      try await handle("saving the upload") { try api.uploads.save(ticket) }
    }
    let session = Self.finished(id, manifest)
    try await Replication(context: api).replicate(
      manifest, shard: api.shard(of: try Address(rawRepresentation: ticket.patient)))
    guard !ticket.manifestOnly else {
      api.uploads.remove(id)
      return UploadImageResponse(session: session, manifest: manifest)
    }
    let response = try await pipeline.submit(
      ticket.payload(manifest), signer: try api.signingKey(principal),
      waitFor: Commitment(rawValue: ticket.waitFor), chunks: api.blobs)
    api.uploads.remove(id)
    return UploadImageResponse(
      session: session, manifest: manifest, transaction: response, recordID: response.txID)
  }

  public func getUpload(request: GetUploadRequest, context: ServerContext) async throws -> UploadSession {
    let principal = try Principal.required()
    let ticket = try ownTicket(request.sessionID, principal)
    if let stored = ticket.manifest {
      return Self.finished(
        ticket.sessionID, try await handle("reading the upload") { try BlobManifest(serializedBytes: stored) }
      )
    }
    return try await handle("reading the upload session") {
      try self.context.blobs.uploadSession(request.sessionID, nowMs: self.context.nowMs)
    }
  }

  /// The caller's ticket of session `id`: NOT_FOUND for an unknown session, PERMISSION_DENIED for
  /// another user's.
  private func ownTicket(_ id: Data, _ principal: Principal) throws -> UploadTicket {
    guard id.count == 16 else { throw APIError.invalid("session_id must be 16 bytes, got \(id.count)") }
    let found: UploadTicket?
    do { found = try context.uploads.ticket(id) } catch {
      throw APIError.internal("reading the upload", cause: error)
    }
    guard let ticket = found else {
      throw APIError.notFound("no upload session \(id.hexString) (never opened, finished, or expired)")
    }
    guard ticket.owner == principal.address.rawRepresentation, ticket.username == principal.username else {
      throw APIError.denied("upload session \(id.hexString) belongs to another user")
    }
    if ticket.manifest == nil {
      do { _ = try context.blobs.uploadSession(id, nowMs: context.nowMs) } catch let error as BlobStoreError {
        switch error {
        case .unknownSession, .sessionExpired:
          // The blob store discarded or expired the session: its ticket goes too.
          context.uploads.remove(id)
          throw error.rpcError(doing: "reading the upload session")
        default: break
        }
      }
    }
    return ticket
  }

  /// A complete session's progress.
  private static func finished(_ id: Data, _ manifest: BlobManifest) -> UploadSession {
    UploadSession(
      sessionID: id, totalSize: manifest.totalSize, received: manifest.totalSize,
      chunkSize: UInt32(ChainParameters.chunkSize), complete: true)
  }

  /// A self-consistent manifest of `size` bytes, for checking the fields of an image manifest
  /// transaction before its content exists.
  static func placeholderManifest(size: UInt64) -> BlobManifest {
    let chunk = UInt64(ChainParameters.chunkSize)
    let count = Int((size + chunk - 1) / chunk)
    return BlobManifests.make(
      chunkHashes: Array(repeating: Data(count: 32), count: count), totalSize: size,
      contentHash: Data(count: 32))
  }
}

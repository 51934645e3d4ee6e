import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Wire

/// Transactions: submitted as the client signed them, or signed by the node with the caller's
/// custodial key for the high-level calls.
extension HealthChainService {
  public func submitTransaction(request: SubmitTransactionRequest, context: ServerContext) async throws
    -> TransactionResponse
  {
    let transaction = try Inputs.required(request.transaction, "transaction")
    return try await pipeline.submit(
      transaction, waitFor: try Inputs.commitment(request.waitFor), timeoutMs: request.timeoutMs)
  }

  /// Stores the content as an encrypted blob, replicates it to the patient's shard, and submits a
  /// PutRecord naming its manifest. The content is stored only once the transaction passed the checks.
  public func putRecord(request: PutRecordRequest, context: ServerContext) async throws -> TransactionResponse
  {
    let principal = try Principal.required()
    let commitment = try Inputs.commitment(request.waitFor)
    let patient = try Inputs.address(request.patient, "patient")
    let content = request.content
    guard !content.isEmpty else {
      throw APIError.invalid("content is empty; a record holds 1 byte to 4 MiB (use BeginUpload for images)")
    }
    guard content.count <= self.context.configuration.maxRecordBytes else {
      throw APIError.exhausted(
        "content is \(content.count) bytes; PutRecord takes at most \(self.context.configuration.maxRecordBytes) "
          + "(use BeginUpload and UploadImage for larger content)")
    }
    let manifest = BlobManifests.make(content)
    let payload = TransactionBody.Payload.putRecord(
      PutRecord(
        patient: patient.rawRepresentation, kind: request.kind, mediaType: request.mediaType,
        content: manifest,
        metadata: request.metadata))
    let api = self.context
    return try await pipeline.submit(
      payload, signer: try api.signingKey(principal), waitFor: commitment,
      prepare: {
        _ = try api.blobs.put(content)
        try await Replication(context: api).replicate(manifest, shard: api.shard(of: patient))
      })
  }

  public func requestAccess(request: RequestAccessRequest, context: ServerContext) async throws
    -> TransactionResponse
  {
    try await custodial(.requestAccess(try Inputs.required(request.request, "request")), request.waitFor)
  }

  public func decideRequest(request: DecideRequestRequest, context: ServerContext) async throws
    -> TransactionResponse
  {
    try await custodial(.decideRequest(try Inputs.required(request.decision, "decision")), request.waitFor)
  }

  public func grantAccess(request: GrantAccessRequest, context: ServerContext) async throws
    -> TransactionResponse
  {
    try await custodial(.grantAccess(try Inputs.required(request.grant, "grant")), request.waitFor)
  }

  public func revokeAccess(request: RevokeAccessRequest, context: ServerContext) async throws
    -> TransactionResponse
  {
    try await custodial(.revokeAccess(try Inputs.required(request.revoke, "revoke")), request.waitFor)
  }

  /// Submits the erasure; every node that applies its block destroys the record's data key and
  /// chunks (the backend applies the block's blob events to its blob store).
  public func eraseRecord(request: EraseRecordRequest, context: ServerContext) async throws
    -> TransactionResponse
  {
    try await custodial(.eraseRecord(try Inputs.required(request.erase, "erase")), request.waitFor)
  }

  public func transfer(request: TransferRequest, context: ServerContext) async throws -> TransactionResponse {
    try await custodial(.transfer(try Inputs.required(request.transfer, "transfer")), request.waitFor)
  }

  /// Signs `payload` with the caller's custodial key and submits it.
  private func custodial(_ payload: TransactionBody.Payload, _ waitFor: Commitment) async throws
    -> TransactionResponse
  {
    let principal = try Principal.required()
    let commitment = try Inputs.commitment(waitFor)
    return try await pipeline.submit(payload, signer: try context.signingKey(principal), waitFor: commitment)
  }
}

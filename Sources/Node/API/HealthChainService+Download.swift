import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Wire

/// Downloads: the record first, then its content chunk by chunk, each checked against the record's
/// manifest on chain.
extension HealthChainService {
  /// Streams the content of a record the caller may read. Each chunk is read from this node's blob
  /// store, or, when it is missing or damaged here, fetched from another member of the patient's shard
  /// (and stored here again); a chunk that does not match the manifest is never sent: the call ends
  /// with DATA_LOSS.
  public func download(
    request: DownloadRequest, response: RPCWriter<DownloadResponse>, context: ServerContext
  )
    async throws
  {
    let principal = try Principal.required()
    let id = try Inputs.id(request.recordID, "record_id")
    let access = RecordAccess(context: self.context)
    let record = try await access.record(id)
    try access.requireRead(principal, record)
    let manifest = try Inputs.required(record.content, "the record's content")
    guard Int(request.fromChunk) <= manifest.chunkHashes.count else {
      throw APIError.invalid(
        "from_chunk \(request.fromChunk) is past the last chunk; the content has \(manifest.chunkHashes.count)"
      )
    }
    try await response.write(DownloadResponse(part: .record(record)))
    let shard = Ledger.shard(ofAddressBytes: record.patient, shardCount: self.context.shardCount)
    for index in Int(request.fromChunk)..<manifest.chunkHashes.count {
      let data = try await chunk(index, of: manifest, shard: shard)
      try await response.write(
        DownloadResponse(part: .chunk(DownloadChunk(index: UInt32(index), data: data))))
    }
  }

  /// Chunk `index` of `manifest`, checked against it.
  private func chunk(_ index: Int, of manifest: BlobManifest, shard: UInt32) async throws -> Data {
    let blobs = context.blobs
    do {
      return try blobs.readChunk(manifest, index: index)
    } catch BlobStoreError.erased(let blob) {
      throw APIError.notFound("blob \(blob) was erased here (crypto-shredded)")
    } catch {
      // Missing or damaged here: another member has it.
    }
    let replica: ChunkReplica
    do { replica = try await context.backend.fetchChunk(manifest, index: index, shard: shard) } catch {
      throw error.rpcError
    }
    guard replica.data.count == BlobManifests.chunkLength(manifest, index: index),
      SHA256.hash(replica.data).data == manifest.chunkHashes[index]
    else {
      throw APIError.dataLoss(
        "chunk \(index) of blob \(manifest.merkleRoot.hexString) does not match the record's manifest, here or "
          + "at the member it was fetched from")
    }
    var repaired = replica
    repaired.blobID = manifest.merkleRoot
    repaired.index = UInt32(index)
    repaired.chunkHash = manifest.chunkHashes[index]
    try? blobs.importChunk(repaired, manifest: manifest)
    return replica.data
  }
}

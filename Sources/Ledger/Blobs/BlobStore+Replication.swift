import ChainCrypto
import Foundation
import Wire

/// Chunk replication between members of a shard (peer.proto `ChunkReplica`): chunks travel in
/// plaintext over mutual TLS; the receiver checks the hash and seals the chunk under its own data key
/// for the blob.
extension BlobStore {
  /// Stores a replicated chunk of the blob of `manifest`: its data must hash to its chunk hash, which
  /// must be the manifest's hash at its index, and the blob id must be the manifest's root. The first
  /// chunk of a blob new here creates the blob with a fresh data key. Chunks already held are accepted
  /// as they are. Replicas of a blob erased here are refused.
  public func importChunk(_ replica: ChunkReplica, manifest: BlobManifest) throws {
    try BlobManifests.validate(manifest)
    let index = Int(replica.index)
    guard replica.blobID == manifest.merkleRoot, manifest.chunkHashes.indices.contains(index),
      manifest.chunkHashes[index] == replica.chunkHash
    else {
      throw BlobStoreError.invalidManifest(
        "the replica of chunk \(index) does not belong to blob \(manifest.merkleRoot.hexString)")
    }
    guard replica.data.count == BlobManifests.chunkLength(manifest, index: index),
      SHA256.hash(replica.data).data == replica.chunkHash
    else {
      throw BlobStoreError.corruptChunk(
        blob: manifest.merkleRoot.hexString, index: index,
        detail: "the replicated data does not hash to the chunk hash")
    }
    try lock.withLock { _ in
      let blobID = manifest.merkleRoot
      guard !FileManager.default.fileExists(atPath: root + "/erased/" + blobID.hexString) else {
        throw BlobStoreError.erased(blobID.hexString)
      }
      let path = chunkPath(blobID, hash: replica.chunkHash)
      if FileManager.default.fileExists(atPath: path) { return }
      let key: SymmetricKey
      if hasKeyUnlocked(blobID) {
        key = try dataKey(blobID)
      } else {
        // A blob new here: an empty blob (key and manifest, no chunks) is installed first.
        key = try SymmetricKey.random()
        let staging = root + "/blobs/.staging-" + UUID().uuidString
        try DurableFile.makeDirectory(staging + "/chunks")
        try install(staging: staging, key: key, manifest: manifest)
      }
      var context = try AES256GCM.KeyedContext(key: key)
      try writeFile(
        try context.seal(replica.data, authenticating: Self.chunkLabel + replica.chunkHash).combined,
        to: path,
        sync: true)
    }
  }

  /// Chunk `index` of a blob held here, as a replica for another member (or a FetchChunk answer).
  public func exportChunk(blobID: Data, index: Int) throws -> ChunkReplica {
    guard let manifest = try manifest(blobID: blobID) else {
      throw BlobStoreError.unknownBlob(blobID.hexString)
    }
    let data = try readChunk(manifest, index: index)
    return ChunkReplica(
      blobID: blobID, index: UInt32(index), chunkHash: manifest.chunkHashes[index], data: data)
  }
}

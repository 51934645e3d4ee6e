import ChainCrypto
import Foundation
import Wire

/// Blob manifests (transaction.proto `BlobManifest`): chunks of 1 MiB, SHA-256 of each plaintext
/// chunk, the RFC 6962 root over those hashes (the blob id), and the SHA-256 of the whole content.
public enum BlobManifests {
  /// The manifest of `data`.
  public static func make(_ data: Data) -> BlobManifest {
    let chunk = ChainParameters.chunkSize
    let hashes = stride(from: 0, to: data.count, by: chunk).map { start in
      data.withUnsafeBytes {
        SHA256.hash(UnsafeRawBufferPointer(rebasing: $0[start..<min(start + chunk, data.count)])).data
      }
    }
    return make(chunkHashes: hashes, totalSize: UInt64(data.count), contentHash: SHA256.hash(data).data)
  }

  /// The manifest of content with these chunk hashes.
  public static func make(chunkHashes: [Data], totalSize: UInt64, contentHash: Data) -> BlobManifest {
    BlobManifest(
      totalSize: totalSize, chunkSize: UInt32(ChainParameters.chunkSize), chunkHashes: chunkHashes,
      merkleRoot: MerkleTree(leaves: chunkHashes).root.data, contentHash: contentHash)
  }

  /// Throws unless `manifest` is self-consistent (the form rule of transactions).
  public static func validate(_ manifest: BlobManifest) throws(BlobStoreError) {
    do { try FieldRules.manifest(manifest, "manifest") } catch { throw .invalidManifest(error.message) }
  }

  /// The plaintext length of chunk `index`.
  public static func chunkLength(_ manifest: BlobManifest, index: Int) -> Int {
    let size = Int(manifest.chunkSize)
    let start = index * size
    return min(size, Int(manifest.totalSize) - start)
  }
}

import ChainCrypto
import Foundation
import Ledger
import Wire

/// Copies a blob's chunks to the members of the shard whose validators vote on its manifest: a record
/// or image is valid in a member's vote only if that member holds every chunk, so a transaction naming
/// content held by a minority would be rejected.
struct Replication {
  let context: APIContext

  /// Replicates `manifest`'s chunks (stored here) to `shard`; UNAVAILABLE unless a majority of its
  /// members hold them afterwards.
  func replicate(_ manifest: BlobManifest, shard: UInt32) async throws {
    let holders: Int
    do { holders = try await context.backend.replicate(manifest, shard: shard) } catch {
      throw error.rpcError
    }
    let assignment = await context.backend.currentAssignment()
    let members = assignment.shards.first { $0.shard == shard }?.members.count ?? 0
    guard holders * 2 > members else {
      throw APIError.unavailable(
        "only \(holders) of the \(members) members of shard \(shard) hold the content of blob "
          + "\(manifest.merkleRoot.hexString); a majority must before the transaction can pass; retry")
    }
  }
}

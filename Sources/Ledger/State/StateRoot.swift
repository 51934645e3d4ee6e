import ChainCrypto
import Foundation

/// The state root of a shard (docs/ledger.md, "State root"): a two-level RFC 6962 tree that is cheap to
/// update after a block.
///
/// 1. Every entry (key, value) goes to bucket `b = (SHA-256(key)[0] << 4) | (SHA-256(key)[1] >> 4)`,
///    the top 12 bits of the key's hash (4,096 buckets).
/// 2. A bucket's root is the RFC 6962 tree hash over its entries sorted by key (byte-wise), the leaf
///    data of an entry being `len(key) as 4 bytes big-endian || key || value`. An empty bucket's root
///    is SHA-256 of the empty string.
/// 3. The state root is the RFC 6962 tree hash over the 4,096 bucket roots in bucket order, each
///    32-byte bucket root being one leaf's data.
///
/// A block recomputes only the buckets it wrote to, and the top tree (4,095 node hashes).
public enum StateRoot {
  /// The number of buckets.
  public static let bucketCount = 4096

  /// The bucket of `key`: the top 12 bits of SHA-256(key).
  public static func bucket(of key: Data) -> Int {
    let digest = SHA256.hash(key).data
    return Int(digest[digest.startIndex]) << 4 | Int(digest[digest.startIndex + 1]) >> 4
  }

  /// The RFC 6962 leaf hash of an entry: SHA-256(0x00 || len(key) (4 bytes BE) || key || value).
  public static func leafHash(key: Data, value: Data) -> SHA256Digest {
    var hasher = SHA256Hasher()
    var prefix = Data([0])
    prefix.append(UInt32(key.count).bigEndianBytes)
    hasher.update(prefix)
    hasher.update(key)
    hasher.update(value)
    return hasher.finalize()
  }

  /// The root of an empty bucket (and of an empty tree): SHA-256 of the empty string.
  public static let emptyRoot = SHA256.hash(Data())

  /// The RFC 6962 tree hash over leaves whose leaf hashes are given, in order.
  public static func treeHash(leafHashes: [SHA256Digest]) -> SHA256Digest {
    guard !leafHashes.isEmpty else { return emptyRoot }
    // Level by level, a node without a right sibling carried up unchanged: RFC 6962's left-balanced tree.
    var level = leafHashes
    while level.count > 1 {
      var next = 0
      var index = 0
      while index + 1 < level.count {
        level[next] = MerkleTree.nodeHash(level[index], level[index + 1])
        next += 1
        index += 2
      }
      if index < level.count {
        level[next] = level[index]
        next += 1
      }
      level.removeLast(level.count - next)
    }
    return level[0]
  }

  /// The state root over the given bucket roots (4,096 of them, in bucket order).
  public static func root(bucketRoots: [SHA256Digest]) -> SHA256Digest {
    precondition(bucketRoots.count == bucketCount)
    return treeHash(leafHashes: bucketRoots.map { MerkleTree.leafHash($0.data) })
  }

  /// The state root of `entries` computed from scratch (the reference definition; `ShardState` keeps
  /// it incrementally). Keys must be unique.
  public static func root(entries: some Sequence<(key: Data, value: Data)>) -> SHA256Digest {
    var buckets = [[(key: Data, value: Data)]](repeating: [], count: bucketCount)
    for entry in entries { buckets[bucket(of: entry.key)].append(entry) }
    return root(
      bucketRoots: buckets.map { bucket in
        treeHash(
          leafHashes: bucket.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
            leafHash(key: $0.key, value: $0.value)
          })
      })
  }
}

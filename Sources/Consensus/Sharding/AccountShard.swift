import ChainCrypto
import Foundation

/// Which shard an account lives in (DESIGN §5, docs/wire.md): the big-endian `UInt64` of the first 8
/// bytes of SHA-256(address), modulo the shard count.
public enum AccountShard {
  /// The shard of the account `address` (20 bytes) among `shardCount` shards.
  public static func shard(of address: Data, shardCount: UInt32) -> UInt32 {
    UInt32(Bytes.readU64be(SHA256.hash(address).data) % UInt64(shardCount))
  }

  /// The shard of `address`.
  public static func shard(of address: Address, shardCount: UInt32) -> UInt32 {
    shard(of: address.rawRepresentation, shardCount: shardCount)
  }
}

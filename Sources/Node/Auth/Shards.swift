import ChainCrypto
import Foundation

/// Which shard an account lives in (DESIGN §5, docs/wire.md): the big-endian `UInt64` of
/// SHA-256(address)[0..<8], modulo the number of shards.
public enum Shards {
  /// The shard of `address` among `count` shards (`count` ≥ 1).
  public static func shard(of address: Address, count: UInt32) -> UInt32 {
    precondition(count > 0, "a network has at least one shard")
    let digest = SHA256.hash(address.rawRepresentation).data
    let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return UInt32(value % UInt64(count))
  }
}

import ChainCrypto
import Foundation

/// The shard an account lives in (DESIGN §5): the big-endian `UInt64` of the first 8 bytes of
/// SHA-256(address bytes), modulo `shardCount`.
///
/// Every object of the state lives in exactly one shard: participants and accounts in their own
/// shard; records, grants and access requests in their patient's shard.
public func shard(of address: Address, shardCount: UInt32) -> UInt32 {
  shard(ofAddressBytes: address.rawRepresentation, shardCount: shardCount)
}

/// `shard(of:shardCount:)` for an address given as its raw bytes (any length is hashed as given;
/// callers check the length first).
public func shard(ofAddressBytes bytes: Data, shardCount: UInt32) -> UInt32 {
  precondition(shardCount > 0, "shardCount must be at least 1")
  let digest = SHA256.hash(bytes).data
  var value: UInt64 = 0
  for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
  return UInt32(value % UInt64(shardCount))
}

import ChainCrypto
import Foundation
import Wire

/// The members of every shard in one epoch, each shard's members in leader order (reputation
/// descending).
public struct EpochAssignment: Sendable, Hashable {
  /// The epoch.
  public let epoch: UInt64
  /// The seed it was drawn from.
  public let seed: Data
  /// For each shard, its members in leader order.
  public let shards: [[Address]]
  private let shardByMember: [Address: UInt32]

  init(epoch: UInt64, seed: Data, shards: [[Address]]) {
    self.epoch = epoch
    self.seed = seed
    self.shards = shards
    var shardByMember: [Address: UInt32] = [:]
    for (shard, members) in shards.enumerated() {
      for member in members { shardByMember[member] = UInt32(shard) }
    }
    self.shardByMember = shardByMember
  }

  /// The members of `shard` in leader order (empty for an unknown shard).
  public func members(of shard: UInt32) -> [Address] {
    Int(shard) < shards.count ? shards[Int(shard)] : []
  }

  /// The shard of validator `address`.
  public func shard(of address: Address) -> UInt32? { shardByMember[address] }

  /// The `ShardAssignment` message of this assignment.
  public var message: ShardAssignment {
    ShardAssignment(
      epoch: epoch, seed: seed,
      shards: shards.enumerated().map { ShardMembers(shard: UInt32($0), members: $1.map(\.rawRepresentation)) })
  }
}

/// Reputation-based sharding (docs/protocol.md §2.1): validators sorted by reputation, cut into tiers of
/// k, each tier spread over the shards by a Fisher–Yates permutation driven by SHA-256-counter
/// randomness from the epoch seed. Every shard receives one validator of each full tier.
public enum ShardAssigner {
  /// The seed of epoch 0: `SHA-256("sehc/v1/shard" || SHA-256(genesis bytes))`.
  public static func genesisSeed(genesisBytes: Data) -> Data {
    Bytes.sha256(Data("sehc/v1/shard".utf8), SHA256.hash(genesisBytes).data)
  }

  /// The seed carried by the RBlock that ends an epoch: `SHA-256("sehc/v1/shard" || previous_hash)`.
  public static func nextSeed(previousHash: Data) -> Data {
    Bytes.sha256(Data("sehc/v1/shard".utf8), previousHash)
  }

  /// `validators` sorted by reputation descending, ties by `SHA-256(seed || address)` ascending, then by
  /// address (§2.1 step 2; also the RChain proposer order of §4.1).
  public static func rank(_ validators: [Address], reputation: [Address: UInt32], seed: Data) -> [Address] {
    let keyed = validators.map { address in
      (address, reputation[address] ?? 0, SHA256.hash([seed, address.rawRepresentation]).data)
    }
    return keyed.sorted { a, b in
      if a.1 != b.1 { return a.1 > b.1 }
      if a.2 != b.2 { return a.2.lexicographicallyPrecedes(b.2) }
      return a.0 < b.0
    }.map(\.0)
  }

  /// The assignment of `epoch` for `validators` with reputations `reputation` (ppm) drawn from `seed`.
  public static func assign(
    epoch: UInt64, seed: Data, validators: [Address], reputation: [Address: UInt32], shardCount: UInt32
  ) -> EpochAssignment {
    let k = Int(shardCount)
    let ranked = rank(validators, reputation: reputation, seed: seed)
    var randomness = CounterRandomness(seed: seed)
    var shards = [[Address]](repeating: [], count: k)
    var start = 0
    while start < ranked.count {
      let tier = ranked[start..<min(start + k, ranked.count)]
      var permutation = Array(0..<k)
      if k > 1 {
        for j in stride(from: k - 1, through: 1, by: -1) {
          let x = Int(randomness.next() % UInt64(j + 1))
          permutation.swapAt(j, x)
        }
      }
      for (j, member) in tier.enumerated() { shards[permutation[j]].append(member) }
      start += k
    }
    return EpochAssignment(epoch: epoch, seed: seed, shards: shards)
  }
}

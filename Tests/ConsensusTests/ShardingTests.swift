import ChainCrypto
import Foundation
import Testing

@testable import Consensus

/// Reputation-based sharding (docs/protocol.md §2.1).
@Suite struct ShardingTests {
  /// A case computed independently (Python hashlib, /docs/protocol.md §2.1 step by step): seven validators
  /// `0x01…01` … `0x07…07` with reputations 0.5, 0.9, 0.5, 0.1, 0.7, 0.5, 0 and three shards.
  @Test func aHandComputedAssignment() throws {
    let addresses = (1...7).map { try! Address(rawRepresentation: Data(repeating: UInt8($0), count: 20)) }
    let reputation: [Address: UInt32] = [
      addresses[0]: 500_000, addresses[1]: 900_000, addresses[2]: 500_000, addresses[3]: 100_000,
      addresses[4]: 700_000, addresses[5]: 500_000, addresses[6]: 0,
    ]
    let seed = SHA256.hash([Data("sehc/v1/shard".utf8), Data("test-previous-hash".utf8)]).data
    #expect(seed.map { String(format: "%02x", $0) }.joined() == "7e3d0b6da5720fde6f180700fe09ac317ad80eb473f8ba32e2c6e230bf062548")
    let ranked = ShardAssigner.rank(addresses, reputation: reputation, seed: seed)
    #expect(ranked.map { $0.rawRepresentation[0] } == [2, 5, 3, 6, 1, 4, 7])
    let assignment = ShardAssigner.assign(epoch: 1, seed: seed, validators: addresses, reputation: reputation, shardCount: 3)
    #expect(assignment.shards.map { $0.map { $0.rawRepresentation[0] } } == [[3, 6], [2, 4], [5, 1, 7]])
  }

  @Test(arguments: [(9, 3), (10, 3), (16, 4), (7, 2), (5, 5), (12, 1)])
  func everyShardGetsOneValidatorOfEachTier(_ n: Int, _ k: Int) {
    let addresses = (0..<n).map { Address(publicKeyBytes: Data([UInt8($0), 1])) }
    var reputation: [Address: UInt32] = [:]
    for (i, a) in addresses.enumerated() { reputation[a] = UInt32((i * 7_919) % 1_000_000) }
    for epoch in 0..<20 {
      let seed = SHA256.hash(Data("seed-\(epoch)".utf8)).data
      let assignment = ShardAssigner.assign(
        epoch: UInt64(epoch), seed: seed, validators: addresses, reputation: reputation, shardCount: UInt32(k))
      let ranked = ShardAssigner.rank(addresses, reputation: reputation, seed: seed)
      #expect(Set(assignment.shards.flatMap { $0 }) == Set(addresses))
      #expect(assignment.shards.map(\.count).reduce(0, +) == n)
      for (tierIndex, start) in stride(from: 0, to: n, by: k).enumerated() {
        let tier = Set(ranked[start..<min(start + k, n)])
        let perShard = assignment.shards.map { $0.filter(tier.contains).count }
        #expect(perShard.allSatisfy { $0 <= 1 }, "tier \(tierIndex)")
        if tier.count == k { #expect(perShard.allSatisfy { $0 == 1 }) }
      }
      // Leader order: reputation descending inside every shard.
      for members in assignment.shards {
        #expect(members == ranked.filter(members.contains))
      }
    }
  }

  @Test func theAssignmentIsAFunctionOfItsInputs() {
    let addresses = (0..<8).map { Address(publicKeyBytes: Data([UInt8($0)])) }
    let reputation = Dictionary(uniqueKeysWithValues: addresses.map { ($0, UInt32(500_000)) })
    let a = ShardAssigner.assign(epoch: 0, seed: Data([1]), validators: addresses, reputation: reputation, shardCount: 2)
    let b = ShardAssigner.assign(epoch: 0, seed: Data([1]), validators: addresses.reversed(), reputation: reputation, shardCount: 2)
    let c = ShardAssigner.assign(epoch: 0, seed: Data([2]), validators: addresses, reputation: reputation, shardCount: 2)
    #expect(a.shards == b.shards)
    #expect(a.shards != c.shards)
  }

  @Test func theCounterStreamReadsFourBigEndianValuesPerHash() {
    var stream = CounterRandomness(seed: Data("s".utf8))
    let block = SHA256.hash([Data("s".utf8), Data(count: 8)]).data
    let expected = (0..<4).map { i in block[(i * 8)..<(i * 8 + 8)].reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } }
    #expect((0..<4).map { _ in stream.next() } == expected)
    let second = SHA256.hash([Data("s".utf8), Data([0, 0, 0, 0, 0, 0, 0, 1])]).data
    #expect(stream.next() == second.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) })
  }

  @Test func accountsAreShardedByTheirHash() {
    let account = Data(repeating: 0x11, count: 20)
    let digest = SHA256.hash(account).data
    let value = digest.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
    #expect(AccountShard.shard(of: account, shardCount: 3) == UInt32(value % 3))
  }

  @Test func theGenesisAndNextSeedsFollowTheSpecification() {
    let genesis = Data("genesis".utf8)
    #expect(
      ShardAssigner.genesisSeed(genesisBytes: genesis)
        == SHA256.hash([Data("sehc/v1/shard".utf8), SHA256.hash(genesis).data]).data)
    #expect(
      ShardAssigner.nextSeed(previousHash: Data(repeating: 1, count: 32))
        == SHA256.hash([Data("sehc/v1/shard".utf8), Data(repeating: 1, count: 32)]).data)
  }
}

import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// RBlock certificates (more than two thirds of all validators and more than half of every shard)
/// and the crediting of RBlock rewards.
@Suite struct RBlockTests {
  let net: TestNetwork

  init() throws { net = try TestNetwork(shardCount: 2, membersPerShard: 4) }

  func header(height: UInt64 = 1, rewards: [Reward] = []) -> RBlockHeader {
    RBlockHeader(
      chainID: net.chainID, height: height, epoch: 0, previousHash: BlockHashes.zero,
      proposer: net.validators[0].address.rawRepresentation, timestampMs: 5,
      shards: [ShardCoverage(shard: 0), ShardCoverage(shard: 1)], rewards: rewards)
  }

  func block(_ header: RBlockHeader, signers: [Ed25519.PrivateKey]) throws -> RBlock {
    let bytes = try header.serializedData()
    let hash = BlockHashes.hash(header: bytes)
    var signatures: [Address: Data] = [:]
    for key in signers { signatures[key.address] = try RBlocks.sign(hash: hash, key: key) }
    return RBlock(
      header: bytes, certificate: RBlocks.certificate(signatures: signatures, membership: net.membership))
  }

  func verify(_ block: RBlock) throws -> RBlocks.VerifiedRBlock {
    try RBlocks.verify(
      block, chainID: net.chainID, membership: net.membership, assignment: net.assignment, previous: nil)
  }

  @Test func allSignersVerify() throws {
    let verified = try verify(try block(header(), signers: net.validators))
    #expect(verified.signers.count == 8)
  }

  @Test func twoThirdsOfAllValidatorsAreNeeded() throws {
    // 5 of 8: not more than two thirds (5 * 3 = 15 <= 16), although each shard has a majority.
    let five = net.memberKeys(0).prefix(3) + net.memberKeys(1).prefix(2)
    #expect(throws: LedgerError.self) { try verify(try block(header(), signers: Array(five))) }
  }

  @Test func aMajorityOfEveryShardIsNeeded() throws {
    // 6 of 8 (more than two thirds) but only 2 of shard 1's 4 members.
    let six = net.memberKeys(0) + net.memberKeys(1).prefix(2)
    do {
      _ = try verify(try block(header(), signers: Array(six)))
      Issue.record("accepted a certificate without a majority of shard 1")
    } catch {
      #expect("\(error)".contains("2 of the 4 members of shard 1"))
    }
    let seven = net.memberKeys(0) + net.memberKeys(1).prefix(3)
    #expect(try verify(try block(header(), signers: Array(seven))).signers.count == 7)
  }

  @Test func tamperedCertificates() throws {
    var tampered = try block(header(), signers: net.validators)
    tampered.certificate!.signatures[3][0] ^= 1
    #expect(throws: LedgerError.self) { try verify(tampered) }
    tampered = try block(header(), signers: net.validators)
    tampered.certificate!.signatures.removeLast()
    #expect(throws: LedgerError.self) { try verify(tampered) }
    tampered = try block(header(), signers: net.validators)
    tampered.certificate!.signers = Data([0xff, 0xff])
    #expect(throws: LedgerError.self) { try verify(tampered) }
    // The signatures are over the hash of another header.
    tampered = try block(header(), signers: net.validators)
    var other = header()
    other.timestampMs = 6
    tampered.header = try other.serializedData()
    #expect(throws: LedgerError.self) { try verify(tampered) }
  }

  @Test func linksAndChain() throws {
    let first = try block(header(), signers: net.validators)
    let verifiedFirst = try verify(first)
    var next = header(height: 2)
    next.previousHash = verifiedFirst.hash.data
    let second = try block(next, signers: net.validators)
    _ = try RBlocks.verify(
      second, chainID: net.chainID, membership: net.membership, assignment: net.assignment,
      previous: (verifiedFirst.header, verifiedFirst.hash))
    next.previousHash = Data(count: 32)
    #expect(throws: LedgerError.self) {
      try RBlocks.verify(
        try block(next, signers: net.validators), chainID: net.chainID, membership: net.membership,
        assignment: net.assignment, previous: (verifiedFirst.header, verifiedFirst.hash))
    }
    #expect(throws: LedgerError.self) {
      try RBlocks.verify(
        first, chainID: "other", membership: net.membership, assignment: net.assignment, previous: nil)
    }
  }

  @Test func rewardsAreCreditedByTheNextTBlockOfEachShard() throws {
    var net = net
    // Reward accounts live in the shard of their address (not of the validator's membership).
    let in0 = net.validators.first { net.parameters.shard(of: $0.address) == 0 }!
    let in1 = net.validators.first { net.parameters.shard(of: $0.address) == 1 }!
    let rewards = [
      Reward(account: in0.address.rawRepresentation, amount: 70),
      Reward(account: in1.address.rawRepresentation, amount: 30),
    ].sorted { $0.account.lexicographicallyPrecedes($1.account) }
    let rblock = header(rewards: rewards)
    try net.commit(shard: 0, entries: [], rewardBlocks: [rblock])
    #expect(try net.states[0].account(in0.address.rawRepresentation)?.balance == 70)
    #expect(try net.states[0].account(in1.address.rawRepresentation) == nil)
    #expect(net.states[0].rewardsHeight == 1)
    // Crediting RBlock 1 again, or skipping to 3, is refused.
    #expect(throws: LedgerError.self) { try net.commit(shard: 0, entries: [], rewardBlocks: [rblock]) }
    #expect(throws: LedgerError.self) {
      try net.commit(shard: 0, entries: [], rewardBlocks: [header(height: 3)])
    }
    // A block that credits nothing new leaves the height alone.
    try net.commit(shard: 0, entries: [])
    #expect(net.states[0].rewardsHeight == 1)
    try net.commit(shard: 1, entries: [], rewardBlocks: [rblock])
    #expect(try net.states[1].account(in1.address.rawRepresentation)?.balance == 30)
  }
}

import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Consensus

/// Reputation and rewards (docs/protocol.md §6), on cases computed by hand.
@Suite struct ReputationTests {
  let w = ReputationWeights.defaults

  @Test func anHonestVoterMovesTowardsOne() {
    // 10 entries all agreeing: s = 10·α = 10,000,000; x = 1,000,000; y = (1,000,000 + 2,000,000)·1e6 / 3e6 = 1e6;
    // R' = (0.9·500,000 + 0.1·1,000,000) = 550,000.
    #expect(ReputationRules.updated(previous: 500_000, counts: ReputationCounts(agree: 10), weights: w) == 550_000)
  }

  @Test func aWrongVoterMovesTowardsZero() {
    // 10 entries all against: s = −20,000,000; x = −2,000,000; y = 0; R' = 450,000.
    #expect(ReputationRules.updated(previous: 500_000, counts: ReputationCounts(against: 10), weights: w) == 450_000)
  }

  @Test func aMixedCaseWithTruncations() {
    // agree 7, against 2, missing 1, proposed 1, timeouts 1 over E = 10 entries:
    // s = 7,000,000 − 4,000,000 − 500,000 + 10,000 − 50,000 = 2,460,000; x = 246,000;
    // y = (246,000 + 2,000,000)·1,000,000 / 3,000,000 = 748,666 (truncated);
    // R' = (900,000·600,000 + 100,000·748,666) / 1,000,000 = 540,000 + 74,866.6 → 614,866.
    let counts = ReputationCounts(agree: 7, against: 2, missing: 1, proposed: 1, timeouts: 1)
    #expect(ReputationRules.updated(previous: 600_000, counts: counts, weights: w) == 614_866)
  }

  @Test func negativeScoresTruncateTowardZero() {
    // against 1, missing 2 over E = 3: s = −2,000,000 − 1,000,000 = −3,000,000; x = −1,000,000;
    // y = 1,000,000·1,000,000 / 3,000,000 = 333,333; R' = 0.9·0 + 0.1·333,333 = 33,333.
    #expect(ReputationRules.updated(previous: 0, counts: ReputationCounts(against: 1, missing: 2), weights: w) == 33_333)
    // against 1 over E = 3 with agree 2: s = 0; x = 0; y = 666,666; R' = 66,666 from 0.
    #expect(ReputationRules.updated(previous: 0, counts: ReputationCounts(agree: 2, against: 1), weights: w) == 66_666)
  }

  @Test func aValidatorWithoutWorkKeepsItsReputation() {
    #expect(ReputationRules.updated(previous: 123_456, counts: ReputationCounts(), weights: w) == 123_456)
  }

  @Test func aLeaderWithOnlyTimeoutsLosesReputation() {
    // No entries, 2 timeouts: s = −100,000; x = −100,000 (E = 0 → 1); y = 1,900,000·1e6/3e6 = 633,333;
    // R' = 450,000 + 63,333 = 513,333.
    #expect(ReputationRules.updated(previous: 500_000, counts: ReputationCounts(timeouts: 2), weights: w) == 513_333)
    #expect(ReputationRules.updated(previous: 900_000, counts: ReputationCounts(timeouts: 2), weights: w) == 873_333)
  }

  @Test func equivocationZeroesTheReputation() {
    let a = Address(publicKeyBytes: Data([1]))
    let update = ReputationRules.update(
      validator: a, previous: 900_000, counts: ReputationCounts(agree: 5), equivocated: true, weights: w)
    #expect(update.reputationPPM == 0 && update.equivocated && update.previousPPM == 900_000 && update.votesMatching == 5)
  }

  @Test func rewardsAreProportionalWithTheRemainderToTheFirst() {
    let a = Address(publicKeyBytes: Data([1]))
    let b = Address(publicKeyBytes: Data([2]))
    let c = Address(publicKeyBytes: Data([3]))
    // 1,000,000 tokens over 300,000 + 300,000 + 100,000 = 700,000:
    // a, b: 428,571 each (truncated); c: 142,857; remainder 1 to the first by rank (a or b, by seed).
    let rewards = RewardRules.rewards(total: 1_000_000, reputation: [a: 300_000, b: 300_000, c: 100_000], seed: Data([9]))
    let byAccount = Dictionary(uniqueKeysWithValues: rewards.map { (try! Address(rawRepresentation: $0.account), $0.amount) })
    #expect(byAccount[c] == 142_857)
    #expect(byAccount.values.reduce(0, +) == 1_000_000)
    let first = ShardAssigner.rank([a, b, c], reputation: [a: 300_000, b: 300_000, c: 100_000], seed: Data([9]))[0]
    #expect(byAccount[first] == 428_572)
    #expect(rewards.map(\.account) == rewards.map(\.account).sorted { $0.lexicographicallyPrecedes($1) })
  }

  @Test func zeroReputationEarnsNothingAndNoReputationNoRewards() {
    let a = Address(publicKeyBytes: Data([1]))
    let b = Address(publicKeyBytes: Data([2]))
    let rewards = RewardRules.rewards(total: 10, reputation: [a: 0, b: 5], seed: Data())
    #expect(rewards.count == 1 && rewards[0].account == b.rawRepresentation && rewards[0].amount == 10)
    #expect(RewardRules.rewards(total: 10, reputation: [a: 0, b: 0], seed: Data()).isEmpty)
  }

  @Test func leaderTimeoutsCountTheViewsBetweenBlocks() {
    let order = (0..<3).map { Address(publicKeyBytes: Data([UInt8($0)])) }
    // Same epoch, views 1 → 4: leaders of views 1, 2, 3.
    #expect(LeaderTimeouts.leaders(previous: (0, 1), epoch: 0, view: 4, order: order) == [order[1], order[2], order[0]])
    // First block of an epoch in view 2: leaders of views 0 and 1.
    #expect(LeaderTimeouts.leaders(previous: (0, 7), epoch: 1, view: 2, order: order) == [order[0], order[1]])
    #expect(LeaderTimeouts.leaders(previous: nil, epoch: 0, view: 0, order: order).isEmpty)
    #expect(LeaderTimeouts.leaders(previous: (3, 5), epoch: 3, view: 5, order: order).isEmpty)
  }

  @Test func blockVotesCountAgreementDisagreementAndAbsence() {
    let members = (0..<3).map { Address(publicKeyBytes: Data([UInt8($0)])) }
    let counts = BlockVoteCounting.counts(
      members: members, proposer: members[0], entryCount: 3, decision: [true, false, true],
      voteBits: [members[0]: [true, false, true], members[1]: [true, true, false]])
    #expect(counts[members[0]] == ReputationCounts(agree: 3, proposed: 1))
    #expect(counts[members[1]] == ReputationCounts(agree: 1, against: 2))
    #expect(counts[members[2]] == ReputationCounts(missing: 3))
  }
}

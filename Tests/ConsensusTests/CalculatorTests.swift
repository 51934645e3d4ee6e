import Foundation
import Testing

@testable import Consensus

/// The security calculator (docs/protocol.md §11) against brute-force enumeration on small cases and
/// against Monte-Carlo runs of the real sharding code on large ones.
@Suite struct CalculatorTests {
  /// Small cases: per-validator probabilities in reputation order, and the number of shards.
  static let smallCases: [([Double], Int)] = [
    ([0.1, 0.5, 0.9, 0.3, 0.7, 0.2], 2),
    ([0, 0.4, 1, 0.6, 0.25, 0.8, 0.5], 3),
    ([0.2, 0.2, 0.6, 0.6, 0.9, 0.9, 0.1, 0.5], 3),
    ([0.3, 0.1, 0.7, 0.45, 0.55, 0.2, 0.9, 0.05, 0.6], 3),
    ([0.3, 0.6, 0.5, 0.4, 0.7], 1),
    ([0, 0, 0, 1, 1, 1, 1], 2),
  ]

  /// The calculator's risk for `rule`.
  static func risk(_ rule: MonteCarloSharding.Rule, _ p: [Double], shards: Int)
    -> SecurityCalculator.EpochRisk
  {
    rule == .reputation
      ? SecurityCalculator.reputationBased(p, shards: shards) : SecurityCalculator.random(p, shards: shards)
  }

  @Test(arguments: MonteCarloSharding.Rule.allCases, smallCases)
  func matchesEnumeration(_ rule: MonteCarloSharding.Rule, _ small: ([Double], Int)) {
    let (p, k) = small
    let exact =
      rule == .reputation ? Enumeration.reputationBased(p, shards: k) : Enumeration.random(p, shards: k)
    let risk = Self.risk(rule, p, shards: k)
    for shard in 0..<k {
      #expect(
        abs(risk.perShard[shard] - exact.perShard[shard]) < 1e-12,
        "shard \(shard): \(risk.perShard) vs \(exact.perShard)")
    }
    #expect(exact.epoch >= risk.perShard.max()! - 1e-12)
    #expect(exact.epoch <= risk.unionBound + 1e-12)
  }

  /// 128 validators in 4 shards of 32, malicious with probability rising from 0.15 to 0.65 down the
  /// reputation order (mean 0.4).
  static let graded = (0..<128).map { 0.15 + 0.5 * Double($0) / 127 }

  @Test(arguments: MonteCarloSharding.Rule.allCases)
  func agreesWithMonteCarloOnALargeCase(_ rule: MonteCarloSharding.Rule) {
    let trials = rule == .reputation ? 1_000 : 4_000
    let risk = Self.risk(rule, Self.graded, shards: 4)
    let estimate = MonteCarloSharding.estimate(
      inReputationOrder: Self.graded, shards: 4, rule: rule, trials: trials, seed: 20_261_203)
    let perShard = risk.perShard.reduce(0, +) / 4
    #expect(perShard > 0.01, "the case should be far from 0: \(perShard)")
    // Each shard's indicator has variance P(1 − P); the mean over correlated shards has at most that.
    let shardError = (perShard * (1 - perShard) / Double(trials)).squareRoot()
    #expect(
      abs(estimate.perShard - perShard) <= 4 * shardError,
      "\(estimate.perShard) vs \(perShard) ± \(shardError)")
    let epochError = (risk.epoch * (1 - risk.epoch) / Double(trials)).squareRoot()
    #expect(estimate.epoch >= risk.perShard.max()! - 4 * epochError)
    #expect(estimate.epoch <= risk.unionBound + 4 * epochError)
    #expect(abs(estimate.epoch - risk.epoch) <= 4 * epochError + (risk.unionBound - risk.epoch))
  }

  /// The fraction model: the 40% lowest-reputation validators are malicious. Reputation-based sharding
  /// spreads them over the shards (12 or 13 of 32 each) and never fails; random sharding does.
  @Test func reputationBasedShardingSpreadsTheLowestTiers() {
    let p = SecurityCalculator.maliciousFraction(validators: 128, fraction: 0.4)
    #expect(p.filter { $0 == 1 }.count == 51)
    let reputation = SecurityCalculator.reputationBased(p, shards: 4)
    #expect(reputation.epoch == 0)
    let byReputation = MonteCarloSharding.estimate(
      inReputationOrder: p, shards: 4, rule: .reputation, trials: 300, seed: 7)
    #expect(byReputation.failedShards == 0)
    let random = SecurityCalculator.random(p, shards: 4)
    let trials = 4_000
    let byChance = MonteCarloSharding.estimate(
      inReputationOrder: p, shards: 4, rule: .random, trials: trials, seed: 7)
    let perShard = random.perShard.reduce(0, +) / 4
    #expect(perShard > 0.01)
    #expect(
      abs(byChance.perShard - perShard) <= 4 * (perShard * (1 - perShard) / Double(trials)).squareRoot())
  }

  @Test func tiesShareTheirProbability() {
    let p = SecurityCalculator.probabilitiesInReputationOrder(
      reputationPPM: [500_000, 900_000, 500_000, 100_000], p: [1, 0, 0, 1])
    #expect(p == [0, 0.5, 0.5, 1])
  }

  @Test func poissonBinomialIsADistribution() {
    let d = PoissonBinomial.distribution([0.1, 0.5, 0.9, 0.3])
    #expect(abs(d.reduce(0, +) - 1) < 1e-12)
    #expect(abs(d[4] - 0.1 * 0.5 * 0.9 * 0.3) < 1e-15)
    #expect(PoissonBinomial.tail([0.1, 0.5], atLeast: 3) == 0)
  }
}

/// Brute force over every malicious set (weighted by its probability) and every assignment the
/// sharding rule can make (each equally likely).
enum Enumeration {
  struct Result {
    var perShard: [Double]
    var epoch: Double
  }

  /// Every malicious set of `p.count` validators with its probability.
  static func maliciousSets(_ p: [Double]) -> [([Bool], Double)] {
    (0..<(1 << p.count)).map { mask in
      let set = p.indices.map { mask & (1 << $0) != 0 }
      let weight = p.indices.reduce(1.0) { $0 * (set[$1] ? p[$1] : 1 - p[$1]) }
      return (set, weight)
    }
  }

  /// Reputation-based: validators in reputation order cut into tiers of k; each tier's j-th member goes
  /// to shard perm[j] for an independent uniform permutation per tier.
  static func reputationBased(_ p: [Double], shards k: Int) -> Result {
    let tiers = stride(from: 0, to: p.count, by: k).map { Array($0..<min($0 + k, p.count)) }
    let permutations = allPermutations(k)
    var assignments: [[[Int]]] = [[[Int]](repeating: [], count: k)]
    for tier in tiers {
      assignments = assignments.flatMap { partial in
        permutations.map { perm in
          var next = partial
          for (j, member) in tier.enumerated() { next[perm[j]].append(member) }
          return next
        }
      }
    }
    return tally(p, shards: k, assignments: assignments)
  }

  /// Random: every map of validators to shards with the calculator's shard sizes.
  static func random(_ p: [Double], shards k: Int) -> Result {
    let sizes = SecurityCalculator.shardSizes(validators: p.count, shards: k)
    var assignments: [[[Int]]] = []
    var choice = [Int](repeating: 0, count: p.count)
    func extend(_ i: Int, _ counts: [Int]) {
      if i == p.count {
        var shards = [[Int]](repeating: [], count: k)
        for (validator, shard) in choice.enumerated() { shards[shard].append(validator) }
        assignments.append(shards)
        return
      }
      for shard in 0..<k where counts[shard] < sizes[shard] {
        choice[i] = shard
        var next = counts
        next[shard] += 1
        extend(i + 1, next)
      }
    }
    extend(0, [Int](repeating: 0, count: k))
    return tally(p, shards: k, assignments: assignments)
  }

  static func tally(_ p: [Double], shards k: Int, assignments: [[[Int]]]) -> Result {
    var result = Result(perShard: [Double](repeating: 0, count: k), epoch: 0)
    let share = 1 / Double(assignments.count)
    for (set, weight) in maliciousSets(p) where weight > 0 {
      for shards in assignments {
        var failed = false
        for (shard, members) in shards.enumerated()
        where members.filter({ set[$0] }).count >= Quorum.majority(members.count) {
          result.perShard[shard] += weight * share
          failed = true
        }
        if failed { result.epoch += weight * share }
      }
    }
    return result
  }

  static func allPermutations(_ k: Int) -> [[Int]] {
    guard k > 1 else { return [Array(0..<k)] }
    return allPermutations(k - 1).flatMap { smaller in
      (0...smaller.count).map { position in
        var perm = smaller
        perm.insert(k - 1, at: position)
        return perm
      }
    }
  }
}

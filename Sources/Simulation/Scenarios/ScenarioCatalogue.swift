import ChainCrypto
import Consensus
import Foundation

/// The named scenarios of the randomized runs. Each seed draws the details (sizes, faults, adversaries)
/// from the scenario's family, so that many seeds cover many shapes.
public enum ScenarioCatalogue {
  /// Every scenario name.
  public static let names = [
    "honest", "lossy", "partition", "crash", "wrong-votes", "equivocation", "censorship", "forgery", "epochs",
    "mixed",
  ]

  /// Scenario `name` for `seed` at `length`, or nil for an unknown name. A short scenario draws the
  /// same shape (sizes, network, adversaries) as the standard one with the same seed.
  public static func scenario(_ name: String, seed: UInt64, length: ScenarioLength = .standard) -> Scenario? {
    var random = SeededRandom(seed: seed).fork(0x5CE7A)
    var s = Scenario(name: name)
    s.validators = Int(random.inRange(4...9))
    s.shards = UInt32(random.inRange(1...UInt64(min(3, s.validators / 2))))
    s.network.minLatencyMs = random.inRange(1...5)
    s.network.maxLatencyMs = random.inRange(10...60)
    s.roundTripEncoding = random.chance(0.25)
    s.activeMs = 12_000
    s.settleMs = 15_000
    switch name {
    case "honest":
      break
    case "lossy":
      s.network.loss = Double(random.inRange(1...10)) / 100
      s.network.duplication = Double(random.inRange(0...5)) / 100
      s.network.tailProbability = 0.02
      s.network.tailLatencyMs = random.inRange(100...400)
    case "partition":
      s.network.loss = Double(random.inRange(0...3)) / 100
      for _ in 0..<random.inRange(1...3) {
        let start = random.inRange(1_000...9_000)
        let nodes = Array(0..<s.validators)
        let cut = Int(random.inRange(1...UInt64(s.validators - 1)))
        let shuffled = shuffle(nodes, &random)
        s.partitions.append(
          Partition(
            startMs: start, endMs: start + random.inRange(500...5_000), groups: [Array(shuffled[..<cut])]))
      }
    case "crash":
      s.network.loss = Double(random.inRange(0...2)) / 100
      for _ in 0..<random.inRange(1...3) {
        let start = random.inRange(500...10_000)
        s.crashes.append(
          Crash(
            node: Int(random.below(UInt64(s.validators))), startMs: start,
            endMs: start + random.inRange(200...5_000)))
      }
    case "wrong-votes":
      s.validators = Int(random.inRange(6...9))
      s.shards = UInt32(random.inRange(1...2))
      pickByzantine(&s, count: Int(random.inRange(1...2)), seed: seed, random: &random) {
        $0.wrongVotes = true
      }
      s.checkReputation = true
    case "equivocation":
      s.validators = Int(random.inRange(5...9))
      s.shards = UInt32(random.inRange(1...2))
      s.network.maxLatencyMs = random.inRange(10...80)
      pickByzantine(&s, count: 1, seed: seed, random: &random) { $0.equivocate = true }
      s.checkReputation = true
    case "censorship":
      s.validators = Int(random.inRange(5...9))
      s.shards = UInt32(random.inRange(1...2))
      let mode: Behaviour.Censorship = random.chance(0.5) ? .all : .receipts
      pickByzantine(&s, count: 1, seed: seed, random: &random) { $0.censor = mode }
    case "forgery":
      s.network.loss = Double(random.inRange(0...3)) / 100
      pickByzantine(&s, count: Int(random.inRange(1...2)), seed: seed, random: &random) {
        $0.forge = true
        $0.replay = true
      }
    case "epochs":
      s.epochLength = UInt32(random.inRange(1...2))
      s.rblockIntervalMs = random.inRange(500...900)
      s.realSignatures = random.chance(0.3)
      s.validators = Int(random.inRange(4...8))
      s.shards = UInt32(random.inRange(2...UInt64(min(3, s.validators / 2))))
    case "mixed":
      s.validators = Int(random.inRange(6...9))
      s.network.loss = Double(random.inRange(0...4)) / 100
      s.network.duplication = 0.02
      let start = random.inRange(2_000...8_000)
      s.partitions.append(
        Partition(startMs: start, endMs: start + random.inRange(500...3_000), groups: [[0, 1]]))
      s.crashes.append(Crash(node: s.validators - 1, startMs: random.inRange(1_000...9_000), endMs: 11_000))
      pickByzantine(&s, count: 1, seed: seed, random: &random) {
        $0.wrongVotes = true
        $0.forge = true
        $0.replay = true
      }
    default:
      return nil
    }
    // Half the seeds run the healthcare mix (records, images and grants besides transfers), so that
    // every family checks exactly-once relay for each kind of transaction.
    if random.chance(0.5) { s.workload.mix = .healthcare }
    if length == .short { shorten(&s) }
    return s
  }

  /// Halves the load period and every fault's start and duration, and shortens the quiet period.
  static func shorten(_ scenario: inout Scenario) {
    scenario.length = .short
    scenario.activeMs /= 2
    scenario.settleMs = 10_000
    for index in scenario.partitions.indices {
      scenario.partitions[index].startMs /= 2
      scenario.partitions[index].endMs /= 2
    }
    for index in scenario.crashes.indices {
      scenario.crashes[index].startMs /= 2
      scenario.crashes[index].endMs /= 2
    }
  }

  static func shuffle<T>(_ items: [T], _ random: inout SeededRandom) -> [T] {
    var result = items
    guard result.count > 1 else { return result }
    for i in stride(from: result.count - 1, through: 1, by: -1) {
      result.swapAt(i, Int(random.below(UInt64(i + 1))))
    }
    return result
  }

  /// Makes up to `count` validators Byzantine: no more than any shard can hold while keeping an honest
  /// majority (shard sizes are the same in every epoch, so every epoch keeps one), and at most that many
  /// in each shard of epoch 0.
  static func pickByzantine(
    _ scenario: inout Scenario, count: Int, seed: UInt64, random: inout SeededRandom,
    _ configure: (inout Behaviour) -> Void
  ) {
    let shards = Simulator.initialShards(scenario: scenario, seed: seed)
    var perShard: [UInt32: Int] = [:]
    var sizes: [UInt32: Int] = [:]
    for shard in shards { sizes[shard, default: 0] += 1 }
    let tolerable = sizes.values.map { $0 - Quorum.majority($0) }.min() ?? 0
    let count = min(count, tolerable)
    var chosen = 0
    for index in shuffle(Array(0..<scenario.validators), &random) where chosen < count {
      let shard = shards[index]
      let m = sizes[shard] ?? 0
      guard (perShard[shard] ?? 0) + 1 <= m - Quorum.majority(m) else { continue }
      perShard[shard, default: 0] += 1
      var behaviour = Behaviour()
      configure(&behaviour)
      scenario.behaviours[index] = behaviour
      chosen += 1
    }
  }
}

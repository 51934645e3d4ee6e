import ChainCrypto
import Consensus

/// Samples a running ``Simulator`` after its events (through `afterEvent`): when each shard's blocks
/// became final, every validator's reputation at every new RBlock, and the shard assignment of every
/// epoch. It reads what the simulator already tracks, so it changes nothing of the run.
final class RunRecorder {
  /// When `finalUpTo` of a shard reached a height, in time order.
  struct Finalization {
    let timeMs: UInt64
    let height: UInt64
  }

  /// Reputation of every validator (by index, ppm) as an honest validator saw it.
  struct ReputationSample {
    let timeMs: UInt64
    let rblock: UInt64
    let ppm: [UInt32]
  }

  /// How many malicious members each shard of an epoch had.
  struct EpochSample {
    let epoch: UInt64
    let shardSizes: [Int]
    let maliciousMembers: [Int]
    /// Malicious validators leading view 0 of a shard.
    let maliciousLeaders: Int
  }

  let malicious: Set<Int>
  private(set) var finalizations: [UInt32: [Finalization]] = [:]
  private(set) var reputation: [ReputationSample] = []
  private(set) var epochs: [EpochSample] = []
  private var lastTime: UInt64 = 0
  private var lastRBlock: UInt64 = 0
  private var lastEpoch: UInt64?
  private var progressStep: UInt64 = 0
  private let progress: ((Double) -> Void)?
  private let endMs: UInt64

  init(malicious: Set<Int>, endMs: UInt64, progress: ((Double) -> Void)?) {
    self.malicious = malicious
    self.endMs = max(endMs, 1)
    self.progress = progress
  }

  /// Called after every event.
  func observe(_ simulator: Simulator) {
    let now = simulator.now
    guard now != lastTime else { return }
    // Everything up to the previous instant has happened.
    sample(simulator, at: lastTime)
    lastTime = now
    if let progress, now * 100 / endMs > progressStep {
      progressStep = now * 100 / endMs
      progress(Double(now) / Double(endMs))
    }
  }

  /// The last sample, at the end of the run.
  func finish(_ simulator: Simulator) {
    sample(simulator, at: simulator.now)
    progress?(1)
  }

  private func sample(_ simulator: Simulator, at time: UInt64) {
    for (shard, height) in simulator.workload.finalUpTo
    where height > (finalizations[shard]?.last?.height ?? 0) {
      finalizations[shard, default: []].append(Finalization(timeMs: time, height: height))
    }
    guard simulator.workload.rblockHeight != lastRBlock,
      let reference = simulator.nodes.first(where: { $0.isHonest && $0.up && $0.validator != nil }),
      let validator = reference.validator
    else { return }
    lastRBlock = simulator.workload.rblockHeight
    let table = validator.reputation
    reputation.append(
      ReputationSample(
        timeMs: time, rblock: validator.rblockHeight,
        ppm: simulator.nodes.map { table[$0.address] ?? 0 }))
    if lastEpoch != validator.epoch {
      lastEpoch = validator.epoch
      let shards = validator.assignment.shards
      let counts = shards.map { members in
        members.filter { simulator.indexOf[$0].map(malicious.contains) ?? false }.count
      }
      let leaders = shards.filter { members in
        members.first.flatMap { simulator.indexOf[$0] }.map(malicious.contains) ?? false
      }.count
      epochs.append(
        EpochSample(
          epoch: validator.epoch, shardSizes: shards.map(\.count), maliciousMembers: counts,
          maliciousLeaders: leaders))
    }
  }

  /// When shard `shard` first had height `height` final, if it did.
  func finalTime(shard: UInt32, height: UInt64) -> UInt64? {
    guard let list = finalizations[shard] else { return nil }
    var low = 0
    var high = list.count
    while low < high {
      let middle = (low + high) / 2
      if list[middle].height >= height { high = middle } else { low = middle + 1 }
    }
    return low < list.count ? list[low].timeMs : nil
  }
}

extension SimulationSettings {
  /// The malicious validators and their kinds: `maliciousCount` indices drawn by a seeded shuffle,
  /// the kinds dealt round-robin in that order.
  public var maliciousValidators: [Int: AdversaryKind] {
    var random = SeededRandom(seed: seed).fork(0xAD7E)
    var order = Array(0..<nodes)
    for i in stride(from: nodes - 1, through: 1, by: -1) { order.swapAt(i, Int(random.below(UInt64(i + 1)))) }
    var result: [Int: AdversaryKind] = [:]
    for (position, index) in order.prefix(maliciousCount).enumerated() {
      result[index] = adversaries[position % adversaries.count]
    }
    return result
  }

  /// The scenario of this run.
  public func scenario() -> Scenario {
    var s = Scenario(name: "simulate")
    s.validators = nodes
    s.shards = shards
    s.epochLength = epochLength
    s.rblockIntervalMs = rblockIntervalMs
    s.electionTimeoutMs = electionTimeoutMs
    s.voteWindowMs = voteWindowMs
    s.batchTimeoutMs = batchTimeoutMs
    s.maxBlockEntries = maxBlockEntries
    s.network.minLatencyMs = latencyMinMs
    s.network.maxLatencyMs = latencyMaxMs
    s.network.tailProbability = tailProbability
    s.network.tailLatencyMs = tailLatencyMs
    s.network.loss = loss
    s.network.bandwidthBitsPerSecond = UInt64((bandwidthMbps * 1_000_000).rounded())
    let activeMs = UInt64((durationSeconds * 1_000).rounded())
    s.activeMs = activeMs
    s.settleMs = UInt64((settleSeconds * 1_000).rounded())
    for window in partitions {
      let cut = Int((window.fraction * Double(nodes)).rounded(.down))
      s.partitions.append(
        Partition(
          startMs: UInt64((window.startSeconds * 1_000).rounded()),
          endMs: UInt64((window.endSeconds * 1_000).rounded()),
          groups: [Array(0..<cut)]))
    }
    var random = SeededRandom(seed: seed).fork(0xC7A5)
    for (index, kind) in maliciousValidators.sorted(by: { $0.key < $1.key }) {
      if kind == .crash {
        // Up 2–6 s, down 1–4 s, over the whole active period.
        var time = random.inRange(500...4_000)
        while time < activeMs {
          let down = random.inRange(1_000...4_000)
          s.crashes.append(Crash(node: index, startMs: time, endMs: min(time + down, activeMs)))
          time += down + random.inRange(2_000...6_000)
        }
      } else {
        s.behaviours[index] = kind.behaviour
      }
    }
    s.workload.accounts = accounts
    s.workload.closedAccounts = 0
    s.workload.ratePerSecond = rate
    s.workload.mix = mix
    s.workload.imageMaxMiB = imageMaxMiB
    s.workload.initialBalance = 1_000_000
    s.workload.resubmitAfterMs = max(3_000, 4 * electionTimeoutMs)
    s.checkLiveness = false
    s.checkReputation = false
    s.realSignatures = realSignatures
    return s
  }
}

import Consensus

/// Runs one ``SimulationSettings`` through the ``Simulator`` and measures it.
public enum SimulationRunner {
  /// The result of `settings`, and how many events the simulator handled; `progress` (if any) gets
  /// the simulated fraction done, about every percent.
  public static func run(_ settings: SimulationSettings, progress: ((Double) -> Void)? = nil)
    -> SimulationResult
  {
    let scenario = settings.scenario()
    let maliciousKinds = settings.maliciousValidators
    let simulator = Simulator(scenario: scenario, seed: settings.seed)
    let recorder = RunRecorder(malicious: Set(maliciousKinds.keys), endMs: scenario.endMs, progress: progress)
    simulator.afterEvent = { recorder.observe($0) }
    let report = simulator.run()
    recorder.finish(simulator)
    simulator.afterEvent = nil

    var counts = SimulationResult.Counts()
    counts.events = report.stats.events
    counts.tblocks = report.stats.tblocks
    counts.rblocks = report.stats.rblocks
    counts.epochs = recorder.epochs.count
    var commit: [UInt64] = []
    var final: [UInt64] = []
    let workload = simulator.workload
    for id in workload.order {
      guard let submitted = workload.submitted[id] else { continue }
      counts.submitted += 1
      if submitted.home != submitted.target { counts.crossShard += 1 }
      guard let decided = workload.homeDecided[id] else { continue }
      counts.decided += 1
      if decided.accepted { counts.accepted += 1 }
      commit.append(decided.time - submitted.time)
      if let time = recorder.finalTime(shard: submitted.home, height: decided.height) {
        counts.final += 1
        final.append(max(time, decided.time) - submitted.time)
      }
    }
    return SimulationResult(
      settings: settings, signatureScheme: simulator.signatureScheme, counts: counts,
      throughput: Double(counts.accepted) / max(settings.durationSeconds, 1e-9),
      commitLatency: .init(commit), finalLatency: .init(final),
      kinds: kindResults(workload, mix: scenario.workload.mix),
      reputation: reputationPoints(recorder, kinds: maliciousKinds, nodes: settings.nodes),
      security: security(recorder, settings: settings, malicious: Set(maliciousKinds.keys)),
      violations: report.violations)
  }

  /// Counts and latencies by kind of transaction.
  static func kindResults(_ workload: WorkloadState, mix: WorkloadMix) -> [SimulationResult.KindResult] {
    mix.kinds.map { kind in
      var result = SimulationResult.KindResult(kind: kind, uploadLatency: .init([]), commitLatency: .init([]))
      var uploads: [UInt64] = []
      var commits: [UInt64] = []
      for id in workload.order {
        guard let submitted = workload.submitted[id], submitted.kind == kind else { continue }
        result.submitted += 1
        if submitted.made.contentBytes > 0 { uploads.append(submitted.time - submitted.made.createdAt) }
        guard let decided = workload.homeDecided[id] else { continue }
        commits.append(decided.time - submitted.time)
        guard decided.accepted else { continue }
        result.accepted += 1
        guard submitted.home != submitted.target else { continue }
        result.crossShard += 1
        let apply = workload.receiptDecided[WorkloadState.decisionKey(.apply, id, shard: submitted.target)]
        if apply?.accepted == false { result.aborted += 1 }
      }
      result.uploadLatency = .init(uploads)
      result.commitLatency = .init(commits)
      return result
    }
  }

  static func reputationPoints(
    _ recorder: RunRecorder, kinds: [Int: AdversaryKind], nodes: Int
  ) -> [SimulationResult.ReputationPoint] {
    var groups: [(String, [Int])] = [("honest", (0..<nodes).filter { kinds[$0] == nil })]
    for kind in AdversaryKind.allCases {
      let members = (0..<nodes).filter { kinds[$0] == kind }
      if !members.isEmpty { groups.append((kind.rawValue, members)) }
    }
    var points: [SimulationResult.ReputationPoint] = []
    for sample in recorder.reputation {
      for (name, members) in groups where !members.isEmpty {
        let values = members.map { Double(sample.ppm[$0]) / 1_000_000 }
        points.append(
          .init(
            timeSeconds: Double(sample.timeMs) / 1_000, rblock: sample.rblock, group: name,
            mean: values.reduce(0, +) / Double(values.count), min: values.min()!, max: values.max()!))
      }
    }
    return points
  }

  static func security(
    _ recorder: RunRecorder, settings: SimulationSettings, malicious: Set<Int>
  ) -> SimulationResult.Security {
    let n = settings.nodes
    let k = Int(settings.shards)
    let reputation = recorder.reputation.last?.ppm ?? [UInt32](repeating: 500_000, count: n)
    let p = (0..<n).map { malicious.contains($0) ? 1.0 : 0.0 }
    func risk(_ rule: MonteCarloSharding.Rule) -> SimulationResult.RuleRisk {
      let calculated =
        rule == .reputation
        ? SecurityCalculator.reputationBased(
          SecurityCalculator.probabilitiesInReputationOrder(reputationPPM: reputation, p: p), shards: k)
        : SecurityCalculator.random(p, shards: k)
      let estimate = MonteCarloSharding.estimate(
        reputationPPM: reputation, p: p, shards: k, rule: rule, trials: settings.trials, seed: settings.seed)
      return .init(
        calculator: calculated.epoch, unionBound: calculated.unionBound,
        calculatorPerShard: calculated.perShard.reduce(0, +) / Double(k), monteCarlo: estimate.epoch,
        monteCarloStandardError: estimate.epochStandardError, monteCarloPerShard: estimate.perShard,
        trials: estimate.trials)
    }
    let failed = recorder.epochs.filter { epoch in
      zip(epoch.maliciousMembers, epoch.shardSizes).contains { $0 >= Quorum.majority($1) }
    }
    return .init(
      reputationBased: risk(.reputation), random: risk(.random), observedEpochs: recorder.epochs.count,
      observedFailedEpochs: failed.count, maliciousLeaders: recorder.epochs.map(\.maliciousLeaders))
  }
}

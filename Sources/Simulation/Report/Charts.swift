import Consensus

/// The charts of a set of runs: reputation over time for each run and, for a sweep, failure
/// probability, throughput and latency against the swept setting.
enum Charts {
  static func all(_ results: [SimulationResult]) -> [(name: String, chart: LineChart)] {
    var charts: [(String, LineChart)] = []
    for (index, result) in results.enumerated() {
      let name = results.count == 1 ? "reputation.png" : "reputation-\(String(format: "%02d", index + 1)).png"
      charts.append((name, reputation(result)))
    }
    if results.count > 1 {
      charts += sweep(results)
    } else if let only = results.first {
      charts.append(("failure.png", calculatorCurve(only.settings)))
    }
    return charts
  }

  static func reputation(_ result: SimulationResult) -> LineChart {
    var series: [LineChart.Series] = []
    var groups: [String] = []
    for point in result.reputation where !groups.contains(point.group) { groups.append(point.group) }
    for group in groups {
      let points = result.reputation.filter { $0.group == group }
      series.append(.init(name: "\(group) mean", points: points.map { ($0.timeSeconds, $0.mean) }))
      series.append(
        .init(
          name: group == "honest" ? "honest min" : "\(group) max",
          points: points.map { ($0.timeSeconds, group == "honest" ? $0.min : $0.max) }, dashed: true))
    }
    return LineChart(
      title: "Reputation over time (\(result.settings.label))", xLabel: "simulated time (s)",
      yLabel: "reputation", series: series, yRange: 0...1)
  }

  /// The setting that varies across `results` (the x axis), and a label of the other settings.
  static func axis(_ results: [SimulationResult]) -> (
    name: String, value: (SimulationSettings) -> Double, rest: (SimulationSettings) -> String
  ) {
    let settings = results.map(\.settings)
    if Set(settings.map(\.malicious)).count > 1 {
      return ("malicious fraction", { $0.malicious }, { "n=\($0.nodes) k=\($0.shards)" })
    }
    if Set(settings.map(\.nodes)).count > 1 {
      return ("validators", { Double($0.nodes) }, { "k=\($0.shards) f=\(Report.decimal($0.malicious, 2))" })
    }
    if Set(settings.map(\.shards)).count > 1 {
      return ("shards", { Double($0.shards) }, { "n=\($0.nodes) f=\(Report.decimal($0.malicious, 2))" })
    }
    return ("run", { _ in 0 }, { $0.label })
  }

  static func sweep(_ results: [SimulationResult]) -> [(String, LineChart)] {
    let (name, value, rest) = axis(results)
    var combos: [String] = []
    for r in results where !combos.contains(rest(r.settings)) { combos.append(rest(r.settings)) }
    let indexed = results.enumerated().map { (index: $0.offset, result: $0.element) }
    func x(_ item: (index: Int, result: SimulationResult)) -> Double {
      name == "run" ? Double(item.index + 1) : value(item.result.settings)
    }
    func lines(_ metrics: [(String, Bool, (SimulationResult) -> Double)]) -> [LineChart.Series] {
      combos.flatMap { combo in
        metrics.map { metric in
          let points = indexed.filter { rest($0.result.settings) == combo }.map {
            (x($0), metric.2($0.result))
          }
          return LineChart.Series(
            name: combos.count > 1 ? "\(metric.0) \(combo)" : metric.0, points: points.sorted { $0.0 < $1.0 },
            dashed: metric.1)
        }
      }
    }
    let xLabel = name == "run" ? "run" : name
    let failure = LineChart(
      title: "Per-epoch failure probability", xLabel: xLabel,
      yLabel: "P(some shard has a malicious majority)",
      series: lines([
        ("reputation calculator", false, { $0.security.reputationBased.calculator }),
        ("reputation Monte-Carlo", true, { $0.security.reputationBased.monteCarlo }),
        ("random calculator", false, { $0.security.random.calculator }),
        ("random Monte-Carlo", true, { $0.security.random.monteCarlo }),
      ]))
    let throughput = LineChart(
      title: "Throughput", xLabel: xLabel, yLabel: "accepted transactions per simulated second",
      series: lines([("throughput", false, { $0.throughput })]))
    let latency = LineChart(
      title: "Latency", xLabel: xLabel, yLabel: "milliseconds",
      series: lines([
        ("shard-committed p50", false, { $0.commitLatency.p50 }),
        ("shard-committed p99", true, { $0.commitLatency.p99 }),
        ("final p50", false, { $0.finalLatency.p50 }),
        ("final p99", true, { $0.finalLatency.p99 }),
      ]))
    return [("failure.png", failure), ("throughput.png", throughput), ("latency.png", latency)]
  }

  /// The calculator's epoch failure probability against the malicious fraction (the lowest-reputation
  /// validators malicious) for the run's validators and shards.
  static func calculatorCurve(_ settings: SimulationSettings) -> LineChart {
    let fractions = stride(from: 0.0, through: 0.5, by: 0.02).map { $0 }
    let k = Int(settings.shards)
    let reputation = fractions.map { f in
      (
        f,
        SecurityCalculator.reputationBased(
          SecurityCalculator.maliciousFraction(validators: settings.nodes, fraction: f), shards: k
        ).epoch
      )
    }
    let random = fractions.map { f in
      (
        f,
        SecurityCalculator.random(
          SecurityCalculator.maliciousFraction(validators: settings.nodes, fraction: f), shards: k
        ).epoch
      )
    }
    return LineChart(
      title: "Calculator: n=\(settings.nodes) k=\(settings.shards)",
      xLabel: "malicious fraction (lowest reputation)",
      yLabel: "P(some shard has a malicious majority)",
      series: [
        .init(name: "reputation-based", points: reputation), .init(name: "random", points: random),
      ], yRange: 0...1)
  }
}

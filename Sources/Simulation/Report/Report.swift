import Foundation

/// The files and the terminal table of `sehc simulate`: `results.json`, `runs.csv`,
/// `reputation.csv`, `security.csv` and PNG charts, all pure functions of the results (no wall-clock
/// time in any of them).
public enum Report {
  /// `value` with exactly `decimals` decimals.
  public static func decimal(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }

  /// Every output file, by name.
  public static func files(_ results: [SimulationResult]) throws -> [(name: String, bytes: [UInt8])] {
    var files: [(String, [UInt8])] = [
      ("results.json", try json(results)),
      ("runs.csv", Array(runsCSV(results).utf8)),
      ("reputation.csv", Array(reputationCSV(results).utf8)),
      ("security.csv", Array(securityCSV(results).utf8)),
      ("kinds.csv", Array(kindsCSV(results).utf8)),
    ]
    files += Charts.all(results).map { ($0.name, $0.chart.png()) }
    return files
  }

  /// Writes every output file into `directory` (created if needed).
  public static func write(_ results: [SimulationResult], to directory: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var written: [String] = []
    for file in try files(results) {
      let path = (directory as NSString).appendingPathComponent(file.name)
      try Data(file.bytes).write(to: URL(fileURLWithPath: path))
      written.append(path)
    }
    return written
  }

  static func json(_ results: [SimulationResult]) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return Array(try encoder.encode(results)) + [0x0A]
  }

  static func runsCSV(_ results: [SimulationResult]) -> String {
    var lines = [
      "run,nodes,shards,malicious,adversaries,seed,duration_s,signatures,submitted,decided,accepted,cross_shard,final,"
        + "throughput_tps,commit_p50_ms,commit_p99_ms,final_p50_ms,final_p99_ms,rblocks,epochs,"
        + "reputation_honest,reputation_malicious,violations"
    ]
    for (index, r) in results.enumerated() {
      let s = r.settings
      let last = lastReputation(r)
      lines.append(
        [
          "\(index + 1)", "\(s.nodes)", "\(s.shards)", decimal(s.malicious, 3),
          s.adversaries.map(\.rawValue).joined(separator: "+"), "\(s.seed)", decimal(s.durationSeconds, 1),
          r.signatureScheme, "\(r.counts.submitted)", "\(r.counts.decided)", "\(r.counts.accepted)",
          "\(r.counts.crossShard)", "\(r.counts.final)", decimal(r.throughput, 2),
          decimal(r.commitLatency.p50, 0),
          decimal(r.commitLatency.p99, 0), decimal(r.finalLatency.p50, 0), decimal(r.finalLatency.p99, 0),
          "\(r.counts.rblocks)", "\(r.counts.epochs)", last.honest.map { decimal($0, 4) } ?? "",
          last.malicious.map { decimal($0, 4) } ?? "", "\(r.violations.count)",
        ].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func reputationCSV(_ results: [SimulationResult]) -> String {
    var lines = ["run,time_s,rblock,group,mean,min,max"]
    for (index, r) in results.enumerated() {
      for p in r.reputation {
        lines.append(
          "\(index + 1),\(decimal(p.timeSeconds, 3)),\(p.rblock),\(p.group),\(decimal(p.mean, 6)),"
            + "\(decimal(p.min, 6)),\(decimal(p.max, 6))")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func securityCSV(_ results: [SimulationResult]) -> String {
    var lines = [
      "run,nodes,shards,malicious,rule,calculator_epoch,union_bound,calculator_per_shard,monte_carlo_epoch,"
        + "monte_carlo_se,monte_carlo_per_shard,trials,observed_epochs,observed_failed_epochs"
    ]
    for (index, r) in results.enumerated() {
      for (rule, risk) in [("reputation", r.security.reputationBased), ("random", r.security.random)] {
        lines.append(
          [
            "\(index + 1)", "\(r.settings.nodes)", "\(r.settings.shards)", decimal(r.settings.malicious, 3),
            rule,
            scientific(risk.calculator), scientific(risk.unionBound), scientific(risk.calculatorPerShard),
            scientific(risk.monteCarlo), scientific(risk.monteCarloStandardError),
            scientific(risk.monteCarloPerShard),
            "\(risk.trials)", rule == "reputation" ? "\(r.security.observedEpochs)" : "",
            rule == "reputation" ? "\(r.security.observedFailedEpochs)" : "",
          ].joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func kindsCSV(_ results: [SimulationResult]) -> String {
    var lines = [
      "run,kind,submitted,accepted,cross_shard,aborted,upload_p50_ms,upload_p99_ms,commit_p50_ms,commit_p99_ms"
    ]
    for (index, r) in results.enumerated() {
      for k in r.kinds {
        lines.append(
          [
            "\(index + 1)", k.kind.rawValue, "\(k.submitted)", "\(k.accepted)", "\(k.crossShard)",
            "\(k.aborted)",
            decimal(k.uploadLatency.p50, 0), decimal(k.uploadLatency.p99, 0), decimal(k.commitLatency.p50, 0),
            decimal(k.commitLatency.p99, 0),
          ].joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func scientific(_ value: Double) -> String { String(format: "%.6e", value) }

  /// The mean reputation of honest and of malicious validators at the last sample.
  static func lastReputation(_ r: SimulationResult) -> (honest: Double?, malicious: Double?) {
    guard let last = r.reputation.last?.rblock else { return (nil, nil) }
    let points = r.reputation.filter { $0.rblock == last }
    let honest = points.first { $0.group == "honest" }?.mean
    let malicious = points.filter { $0.group != "honest" }
    // Weighted by group size.
    let kinds = r.settings.maliciousValidators.values
    var total = 0.0
    var count = 0
    for point in malicious {
      let size = kinds.filter { $0.rawValue == point.group }.count
      total += point.mean * Double(size)
      count += size
    }
    return (honest, count == 0 ? nil : total / Double(count))
  }

  /// The terminal table: one row per run.
  public static func table(_ results: [SimulationResult]) -> String {
    let header: [String] = [
      "run", "tx/s", "commit p50/p99 ms", "final p50/p99 ms", "rep honest/mal", "P(epoch) reputation calc|MC",
      "P(epoch) random calc|MC", "viol",
    ]
    var rows: [[String]] = [header]
    for r in results {
      let last = lastReputation(r)
      rows.append([
        r.settings.label, decimal(r.throughput, 1),
        "\(decimal(r.commitLatency.p50, 0))/\(decimal(r.commitLatency.p99, 0))",
        "\(decimal(r.finalLatency.p50, 0))/\(decimal(r.finalLatency.p99, 0))",
        "\(last.honest.map { decimal($0, 3) } ?? "-")/\(last.malicious.map { decimal($0, 3) } ?? "-")",
        "\(short(r.security.reputationBased.calculator)) | \(short(r.security.reputationBased.monteCarlo))",
        "\(short(r.security.random.calculator)) | \(short(r.security.random.monteCarlo))",
        "\(r.violations.count)",
      ])
    }
    var text = aligned(rows)
    let kindHeader = [
      "run", "kind", "submitted", "accepted", "cross-shard", "aborted", "upload p50/p99 ms",
      "commit p50/p99 ms",
    ]
    var kindRows: [[String]] = [kindHeader]
    for r in results {
      for k in r.kinds {
        kindRows.append([
          r.settings.label, k.kind.rawValue, "\(k.submitted)", "\(k.accepted)", "\(k.crossShard)",
          "\(k.aborted)",
          k.uploadLatency.count == 0
            ? "-" : "\(decimal(k.uploadLatency.p50, 0))/\(decimal(k.uploadLatency.p99, 0))",
          "\(decimal(k.commitLatency.p50, 0))/\(decimal(k.commitLatency.p99, 0))",
        ])
      }
    }
    if kindRows.count > 1 { text += "\n\n" + aligned(kindRows) }
    return text
  }

  /// `rows` in columns, the first row a header underlined.
  static func aligned(_ rows: [[String]]) -> String {
    let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.enumerated().map { index, row in
      let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
        .joined(separator: "  ")
      return index == 0 ? line + "\n" + String(repeating: "-", count: line.count) : line
    }.joined(separator: "\n")
  }

  static func short(_ value: Double) -> String {
    value == 0 ? "0" : value >= 0.001 ? decimal(value, 4) : String(format: "%.2e", value)
  }
}

import ArgumentParser
import Consensus
import Dispatch
import Foundation
import Simulation

/// Runs simulated consensus scenarios over seeds: `--seed N` replays one run, `--seeds A..B` soaks.
@main
struct ConsensusSoak: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consensus-soak",
    abstract:
      "Runs the deterministic consensus simulation over seeds and checks safety, liveness and reputation.")

  @Option(help: "Scenario name (\(ScenarioCatalogue.names.joined(separator: ", ")), or all).")
  var scenario = "all"

  @Option(help: "One seed to replay.")
  var seed: UInt64?

  @Option(help: "A range of seeds, A..B (inclusive).")
  var seeds: String?

  @Option(help: "Run length: standard, or short (what make test runs in a debug build).")
  var length = "standard"

  @Option(help: "Runs in parallel (default: the number of cores).")
  var jobs: Int?

  @Flag(help: "Print every run, not only failures.")
  var verbose = false

  @Option(help: "Break the protocol on purpose, to see the checks fail: skip-guard, skip-adoption.")
  var mutate: [String] = []

  @Flag(help: "Print every notification of every validator (with --seed), and why messages were ignored.")
  var trace = false

  mutating func run() throws {
    let names = scenario == "all" ? ScenarioCatalogue.names : [scenario]
    for name in names where !ScenarioCatalogue.names.contains(name) {
      throw ValidationError(
        "unknown scenario \(name); known: \(ScenarioCatalogue.names.joined(separator: ", "))")
    }
    guard let chosenLength = ScenarioLength(rawValue: length) else {
      throw ValidationError("unknown length \(length); known: standard, short")
    }
    var range: ClosedRange<UInt64> = 1...20
    if let seed { range = seed...seed }
    if let seeds {
      let parts = seeds.split(separator: ".", omittingEmptySubsequences: true).compactMap { UInt64($0) }
      guard parts.count == 2, parts[0] <= parts[1] else { throw ValidationError("--seeds takes A..B") }
      range = parts[0]...parts[1]
    }
    let runs = names.flatMap { name in range.map { (name, $0) } }
    let start = Date()
    let single = seed != nil
    if single && trace,
      let scenario = ScenarioCatalogue.scenario(runs[0].0, seed: runs[0].1, length: chosenLength)
    {
      print(scenario)
    }
    let reports = Reports(count: runs.count)
    var chosenTracer: (@Sendable (String) -> Void)?
    if single && trace { chosenTracer = { @Sendable line in print(line) } }
    let tracer = chosenTracer
    var mutations = ProtocolMutations()
    for name in mutate {
      switch name {
      case "skip-guard": mutations.skipEquivocationGuard = true
      case "skip-adoption": mutations.skipAdoption = true
      default: throw ValidationError("unknown mutation \(name); known: skip-guard, skip-adoption")
      }
    }
    let chosenMutations = mutations
    let workers = max(1, min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, runs.count))
    let next = Counter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while let index = next.take(below: runs.count) {
        reports.set(
          index,
          ScenarioRunner.run(
            runs[index].0, seed: runs[index].1, length: chosenLength, mutations: chosenMutations,
            trace: tracer))
      }
    }
    var failed = 0
    for report in reports.all.compactMap({ $0 }) {
      if !report.passed || verbose || single { print(report.summary) }
      if !report.passed {
        failed += 1
        for violation in report.violations { print("  violation: \(violation)") }
        for failure in report.failures.prefix(5) { print("  failure: \(failure)") }
        print("  replay: \(report.replayCommand)")
      }
      if single {
        for note in report.notes { print("  note: \(note)") }
        for line in report.reputationTable { print("  \(line)") }
      }
    }
    print(
      "\(runs.count - failed)/\(runs.count) runs passed in \(String(format: "%.1f", Date().timeIntervalSince(start))) s "
        + "(\(workers) jobs)")
    if failed > 0 { throw ExitCode(1) }
  }
}

/// The reports of the runs, filled in from several threads.
final class Reports: @unchecked Sendable {
  private let lock = NSLock()
  private var reports: [RunReport?]

  init(count: Int) { reports = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ report: RunReport?) {
    lock.lock()
    reports[index] = report
    lock.unlock()
  }

  var all: [RunReport?] {
    lock.lock()
    defer { lock.unlock() }
    return reports
  }
}

/// Hands out run indices to the workers.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0

  func take(below limit: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard value < limit else { return nil }
    value += 1
    return value - 1
  }
}

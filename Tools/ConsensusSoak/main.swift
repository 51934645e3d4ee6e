import ArgumentParser
import Foundation
import Simulation

/// Runs simulated consensus scenarios over seeds: `--seed N` replays one run, `--seeds A..B` soaks.
@main
struct ConsensusSoak: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consensus-soak",
    abstract: "Runs the deterministic consensus simulation over seeds and checks safety, liveness and reputation.")

  @Option(help: "Scenario name (\(ScenarioCatalogue.names.joined(separator: ", ")), or all).")
  var scenario = "all"

  @Option(help: "One seed to replay.")
  var seed: UInt64?

  @Option(help: "A range of seeds, A..B (inclusive).")
  var seeds: String?

  @Flag(help: "Print every run, not only failures.")
  var verbose = false

  @Flag(help: "Print every notification of every validator (with --seed), and why messages were ignored.")
  var trace = false

  mutating func run() throws {
    let names = scenario == "all" ? ScenarioCatalogue.names : [scenario]
    for name in names where !ScenarioCatalogue.names.contains(name) {
      throw ValidationError("unknown scenario \(name); known: \(ScenarioCatalogue.names.joined(separator: ", "))")
    }
    var range: ClosedRange<UInt64> = 1...20
    if let seed { range = seed...seed }
    if let seeds {
      let parts = seeds.split(separator: ".", omittingEmptySubsequences: true).compactMap { UInt64($0) }
      guard parts.count == 2, parts[0] <= parts[1] else { throw ValidationError("--seeds takes A..B") }
      range = parts[0]...parts[1]
    }
    var failed = 0
    var runs = 0
    let start = Date()
    for name in names {
      for seed in range {
        let tracer: ((String) -> Void)? = trace ? { print($0) } : nil
        if trace, let scenario = ScenarioCatalogue.scenario(name, seed: seed) { print(scenario) }
        guard let report = ScenarioRunner.run(name, seed: seed, trace: tracer) else { continue }
        runs += 1
        if !report.passed || verbose || self.seed != nil { print(report.summary) }
        if !report.passed {
          failed += 1
          for violation in report.violations { print("  violation: \(violation)") }
          for failure in report.failures.prefix(5) { print("  failure: \(failure)") }
          print("  replay: \(report.replayCommand)")
        }
        if self.seed != nil { for note in report.notes { print("  note: \(note)") } }
      }
    }
    print("\(runs - failed)/\(runs) runs passed in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    if failed > 0 { throw ExitCode(1) }
  }
}

import ArgumentParser
import Foundation
import Simulation

/// `sehc simulate`: runs the real consensus state machines over a simulated network and reports
/// throughput, latency, reputation and the security of reputation-based versus random sharding
/// (docs/simulation.md).
struct SimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract:
      "Simulate a network of validators and report throughput, latency, reputation and shard security.",
    discussion: """
      Runs the real Consensus state machines (TChain, RChain, reputation, sharding, relay) under a \
      seeded discrete-event simulation; the same command writes the same CSV and JSON files. Lists \
      (--nodes 64,256) and --sweep FILE.toml sweep settings. See docs/simulation.md.

      Flags:
      \(SimulateArguments.help)
      """
  )

  @Argument(parsing: .captureForPassthrough, help: .hidden)
  var arguments: [String] = []

  func run() throws {
    if arguments.contains("--help") || arguments.contains("-h") {
      print(
        "USAGE: sehc simulate --out DIR [flags]\n\n\(Self.configuration.abstract)\n"
          + "The same command writes the same CSV and JSON files; see docs/simulation.md.\n\nFlags:\n"
          + SimulateArguments.help)
      return
    }
    let options: SimulateOptions
    do {
      options = try SimulateArguments.parse(arguments)
    } catch let error as SimulateUsageError {
      FileHandle.standardError.write(Data("sehc simulate: error: \(error.description)\n".utf8))
      throw ExitCode(64)
    }
    let runs = options.runs
    let showsProgress = options.progress ?? (isatty(STDERR_FILENO) == 1)
    var results: [SimulationResult] = []
    var speeds: [String] = []
    for (index, settings) in runs.enumerated() {
      let start = Date()
      let bar = ProgressBar(
        "run \(index + 1)/\(runs.count) \(settings.label)", total: 1_000, counting: .none,
        enabled: showsProgress)
      let result = SimulationRunner.run(settings) { bar.update(Int64($0 * 1_000)) }
      bar.finish()
      let wall = Date().timeIntervalSince(start)
      let simulated = settings.durationSeconds + settings.settleSeconds
      speeds.append(
        "run \(index + 1) (\(settings.label)): \(Report.decimal(simulated, 1)) simulated s in "
          + "\(Report.decimal(wall, 1)) wall s = \(Report.decimal(simulated / max(wall, 1e-6), 2)) simulated s per wall s, "
          + "\(result.counts.events) events")
      results.append(result)
    }
    let schemes = Set(results.map(\.signatureScheme))
    if schemes.contains("simulated") {
      print(
        "signatures: the simulated cost model (SHA-256 stand-in for Ed25519, checked like signatures); "
          + "--signatures ed25519 runs real ones")
    } else {
      print("signatures: Ed25519")
    }
    print(Report.table(results))
    print("")
    for line in speeds { print(line) }
    let written: [String]
    do {
      written = try Report.write(results, to: options.out!)
    } catch {
      FileHandle.standardError.write(
        Data("sehc simulate: error: cannot write into \(options.out!): \(error.localizedDescription)\n".utf8))
      throw ExitCode(73)
    }
    print("wrote \(written.joined(separator: ", "))")
    let violations = results.flatMap(\.violations)
    if !violations.isEmpty {
      for violation in violations.prefix(10) { print("safety violation: \(violation)") }
      FileHandle.standardError.write(
        Data("sehc simulate: \(violations.count) safety violations (see above)\n".utf8))
      throw ExitCode(1)
    }
  }
}

import Foundation
import Testing

@testable import Simulation

/// The command line and sweep files of `sehc simulate`: what they set, and one precise line for each
/// mistake.
@Suite struct SimulateArgumentsTests {
  static func parse(_ line: String, file: String? = nil) throws -> SimulateOptions {
    try SimulateArguments.parse(line.split(separator: " ").map(String.init)) { path in
      guard let file, path == "sweep.toml" else { throw CocoaError(.fileNoSuchFile) }
      return file
    }
  }

  static func error(_ line: String, file: String? = nil) -> String {
    do {
      _ = try parse(line, file: file)
      return "no error"
    } catch let error as SimulateUsageError {
      return error.description
    } catch {
      return "unexpected \(error)"
    }
  }

  @Test func flagsSetTheSettings() throws {
    let options = try Self.parse(
      "--nodes 64,128 --shards=4 --malicious 0,0.2 --seed 9 --duration 12.5 --out o --latency 5-50 "
        + "--latency-tail 0.01:400 --bandwidth 100 --loss 0.02 --partition 3-5:0.25 --adversary equivocate,crash "
        + "--rate 1500 --signatures ed25519 --no-progress")
    #expect(options.runs.count == 4)
    #expect(options.runs.map(\.nodes) == [64, 64, 128, 128])
    #expect(options.runs.map(\.malicious) == [0, 0.2, 0, 0.2])
    let s = options.base
    #expect(s.seed == 9 && s.durationSeconds == 12.5 && s.latencyMinMs == 5 && s.latencyMaxMs == 50)
    #expect(s.tailProbability == 0.01 && s.tailLatencyMs == 400 && s.bandwidthMbps == 100 && s.loss == 0.02)
    #expect(s.partitions == [PartitionWindow(startSeconds: 3, endSeconds: 5, fraction: 0.25)])
    #expect(s.adversaries == [.equivocate, .crash] && s.rate == 1500 && s.realSignatures)
    #expect(options.progress == false && options.out == "o")
  }

  @Test func aSweepFileSetsTheSameThingsAndFlagsOverrideIt() throws {
    let file = """
      nodes = [16, 32]
      shards = 2
      malicious = [0.0, 0.25]
      adversary = ["wrong-votes", "censor"]
      duration = 20
      partition = ["2-4:0.5"]
      progress = true
      """
    let options = try Self.parse("--sweep sweep.toml --out o --duration 7", file: file)
    #expect(options.runs.count == 4)
    #expect(options.base.durationSeconds == 7)
    #expect(options.base.adversaries == [.wrongVotes, .censor])
    #expect(options.base.partitions.count == 1 && options.progress == true)
  }

  @Test(arguments: [
    ("--nodes 8 --out o --nodez 3", "unknown flag --nodez; did you mean --nodes?"),
    ("--nodes eight --out o", "--nodes: \"eight\" is not a whole number"),
    ("--nodes 8", "--out is missing"),
    ("--nodes 8 --shards 9 --out o", "--shards 9 is more than --nodes 8"),
    ("--malicious 1.5 --out o", "--malicious: 1.5 is out of range"),
    ("--malicious 0.01 --nodes 8 --out o", "--malicious 0.01 of 8 validators is no validator at all"),
    (
      "--adversary liar --out o",
      "--adversary: unknown adversary \"liar\"; use wrong-votes, equivocate, censor or crash"
    ),
    ("--latency 30-2 --out o", "--latency 30-2: the minimum is above the maximum"),
    ("--latency 30 --out o", "--latency: \"30\" is not a range of milliseconds"),
    ("--partition 5-3:0.2 --out o", "--partition: the partition 5-3:0.2 ends before it starts"),
    ("--duration --out o", "--duration needs a value"),
    ("--progress=yes --out o", "--progress takes no value"),
    ("64 --out o", "unexpected argument \"64\""),
    ("--signatures rsa --out o", "unknown signature scheme \"rsa\""),
    ("--sweep missing.toml --out o", "cannot read the sweep file missing.toml"),
    ("--seed -1 --out o", "--seed: \"-1\" is not a seed"),
  ])
  func mistakesGetOnePreciseLine(_ line: String, _ expected: String) {
    let message = Self.error(line)
    #expect(message.contains(expected), "\(message)")
    #expect(!message.contains("\n"))
  }

  @Test func mistakesInASweepFileNameTheFileAndKey() {
    #expect(
      Self.error("--sweep sweep.toml --out o", file: "nodes = 'x'").contains(
        "sweep.toml: nodes: \"x\" is not a whole number"))
    #expect(
      Self.error("--sweep sweep.toml --out o", file: "shard = 2").contains(
        "sweep.toml: unknown setting \"shard\"; did you mean shards?"))
    #expect(Self.error("--sweep sweep.toml --out o", file: "nodes = [").contains("sweep.toml:1:"))
    #expect(
      Self.error("--sweep sweep.toml --out o", file: "[net]\nloss = 1").contains(
        "sweep.toml: net: must be a number"))
  }

  /// The `sehc` binary itself: a bad flag exits with 64 and one line on standard error.
  @Test func theCommandExitsWithUsageStatus() throws {
    let binary = try Self.sehcPath()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["simulate", "--nodes", "4", "--shards", "8", "--out", "/tmp/unused"]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = Pipe()
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 64)
    #expect(
      text
        == "sehc simulate: error: --shards 8 is more than --nodes 4: every shard needs a validator; use at most 4 shards\n"
    )
  }

  static func sehcPath() throws -> String {
    var directories: [String] = []
    if let dir = ProcessInfo.processInfo.environment["SEHC_BIN_DIR"] { directories.append(dir) }
    directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
    directories.append(URL(fileURLWithPath: Bundle.main.bundlePath).deletingLastPathComponent().path)
    for dir in directories where FileManager.default.isExecutableFile(atPath: dir + "/sehc") {
      return dir + "/sehc"
    }
    throw CocoaError(
      .fileNoSuchFile, userInfo: [NSFilePathErrorKey: "sehc not found in \(directories); run swift build"])
  }
}

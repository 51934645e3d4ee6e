import Foundation

/// The command line of `sehc simulate`, parsed by hand so that every mistake gets one precise line.
/// A sweep file (`--sweep FILE.toml`) uses the same names as the flags (see ``SweepFile``); flags on the
/// command line override it.
public enum SimulateArguments {
  /// One flag: its name without dashes, the form of its value (nil for a switch), and its help.
  struct Flag: Sendable {
    let name: String
    let value: String?
    let help: String
    let apply: @Sendable (inout SimulateOptions, String) throws -> Void
  }

  /// Parses `arguments` (without the program and subcommand names); `readFile` reads a sweep file.
  /// Every error is a ``SimulateUsageError``.
  public static func parse(
    _ arguments: [String],
    readFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
  ) throws -> SimulateOptions {
    var pairs: [(name: String, value: String?, source: String)] = []
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      guard argument.hasPrefix("--"), argument.count > 2 else {
        throw SimulateUsageError(
          "unexpected argument \"\(argument)\": every setting is a flag such as --nodes 64 (see sehc simulate --help)"
        )
      }
      var name = String(argument.dropFirst(2))
      var value: String?
      if let equals = name.firstIndex(of: "=") {
        value = String(name[name.index(after: equals)...])
        name = String(name[..<equals])
      }
      guard let flag = flagsByName[name] else { throw unknown(name, prefix: "--") }
      if flag.value != nil && value == nil {
        guard index < arguments.count, !arguments[index].hasPrefix("--") else {
          throw SimulateUsageError("--\(name) needs a value: --\(name) \(flag.value!)")
        }
        value = arguments[index]
        index += 1
      } else if flag.value == nil, let value {
        throw SimulateUsageError("--\(name) takes no value, but was given \"\(value)\": write just --\(name)")
      }
      pairs.append((name, value, "--\(name)"))
    }
    var options = SimulateOptions()
    if let sweep = pairs.last(where: { $0.name == "sweep" })?.value {
      let text: String
      do { text = try readFile(sweep) } catch {
        throw SimulateUsageError("cannot read the sweep file \(sweep): \(error.localizedDescription)")
      }
      options.sweepFile = sweep
      for entry in try SweepFile.entries(text, file: sweep) {
        guard let flag = flagsByName[entry.key], entry.key != "sweep" else {
          throw unknown(entry.key, prefix: "", file: sweep)
        }
        try applying(flag, entry.value, to: &options, source: "\(sweep): \(entry.key)")
      }
    }
    for pair in pairs where pair.name != "sweep" {
      try applying(flagsByName[pair.name]!, pair.value ?? "", to: &options, source: pair.source)
    }
    try check(options)
    return options
  }

  private static func applying(
    _ flag: Flag, _ value: String, to options: inout SimulateOptions, source: String
  ) throws {
    do { try flag.apply(&options, value) } catch let error as SimulateUsageError {
      throw SimulateUsageError("\(source): \(error.description)")
    }
  }

  private static func unknown(_ name: String, prefix: String, file: String? = nil) -> SimulateUsageError {
    let near = flags.map(\.name).min { distance($0, name) < distance($1, name) }!
    let hint = distance(near, name) <= 3 ? "did you mean \(prefix)\(near)? " : ""
    let place = file.map { "\($0): unknown setting \"\(name)\"" } ?? "unknown flag --\(name)"
    return SimulateUsageError("\(place); \(hint)(sehc simulate --help lists every flag)")
  }

  /// The checks across flags.
  static func check(_ options: SimulateOptions) throws {
    guard options.out != nil else {
      throw SimulateUsageError(
        "--out is missing: give the directory for the CSV, JSON and PNG files, e.g. --out sim-out")
    }
    let smallest = options.nodes.min()!
    if let shards = options.shards.max(), shards > UInt32(smallest) {
      throw SimulateUsageError(
        "--shards \(shards) is more than --nodes \(smallest): every shard needs a validator; use at most \(smallest) shards"
      )
    }
    let s = options.base
    if s.latencyMinMs > s.latencyMaxMs {
      throw SimulateUsageError(
        "--latency \(s.latencyMinMs)-\(s.latencyMaxMs): the minimum is above the maximum; write MIN-MAX")
    }
    if s.tailProbability > 0 && s.tailLatencyMs < s.latencyMaxMs {
      throw SimulateUsageError(
        "--latency-tail: the tail latency \(s.tailLatencyMs) ms is below the maximum latency \(s.latencyMaxMs) ms; make it larger"
      )
    }
    for window in s.partitions where window.endSeconds > s.durationSeconds + s.settleSeconds {
      throw SimulateUsageError(
        "--partition ends at \(window.endSeconds) s, after the run (duration + settle = \(s.durationSeconds + s.settleSeconds) s); end it earlier or lengthen --duration"
      )
    }
    for f in options.malicious where f > 0 && Int((f * Double(smallest) + 1e-9).rounded(.down)) == 0 {
      throw SimulateUsageError(
        "--malicious \(f) of \(smallest) validators is no validator at all; use 0 or at least \(Report.decimal(1 / Double(smallest), 4))"
      )
    }
  }

  /// Levenshtein distance, for "did you mean".
  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var previous = row[0]
      row[0] = i
      for j in stride(from: 1, through: b.count, by: 1) {
        let current = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
        previous = current
      }
    }
    return row[b.count]
  }

  static let flagsByName = Dictionary(uniqueKeysWithValues: flags.map { ($0.name, $0) })

  /// The help text: every flag with its value and meaning.
  public static var help: String {
    let width = flags.map { $0.name.count + ($0.value.map { $0.count + 1 } ?? 0) }.max()! + 4
    let lines = flags.map { flag in
      let left = "--\(flag.name)" + (flag.value.map { " \($0)" } ?? "")
      return "  " + left.padding(toLength: width, withPad: " ", startingAt: 0) + flag.help
    }
    return lines.joined(separator: "\n")
  }
}

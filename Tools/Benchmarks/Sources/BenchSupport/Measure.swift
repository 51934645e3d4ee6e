import Foundation

/// The result of timing one operation: how many times it ran and how long that took.
public struct Measurement: Sendable {
  public var name: String
  public var iterations: Int
  public var seconds: Double
  /// Bytes processed by one iteration, for throughput figures; nil when throughput means nothing.
  public var bytesPerIteration: Int?

  public var operationsPerSecond: Double { Double(iterations) / seconds }
  public var megabytesPerSecond: Double? {
    bytesPerIteration.map { Double($0) * Double(iterations) / seconds / 1_000_000 }
  }
  public var nanosecondsPerOperation: Double { seconds * 1e9 / Double(iterations) }

  public init(name: String, iterations: Int, seconds: Double, bytesPerIteration: Int? = nil) {
    self.name = name
    self.iterations = iterations
    self.seconds = seconds
    self.bytesPerIteration = bytesPerIteration
  }
}

/// Runs `body` repeatedly: a warm-up, then `rounds` timed rounds each lasting at least
/// `minimumRoundTime`, and reports the fastest round (the least disturbed by the rest of the machine).
public func measure(
  _ name: String,
  bytes: Int? = nil,
  rounds: Int = 5,
  minimumRoundTime: Duration = .milliseconds(300),
  _ body: () throws -> Void
) rethrows -> Measurement {
  let clock = ContinuousClock()
  // Warm-up and calibration: find an iteration count that fills a round.
  var perRound = 1
  while true {
    let elapsed = try clock.measure { for _ in 0..<perRound { try body() } }
    if elapsed >= minimumRoundTime / 4 || perRound >= 1 << 30 {
      let scale = max(1.0, minimumRoundTime / max(elapsed, .nanoseconds(1)))
      perRound = max(1, Int(Double(perRound) * scale))
      break
    }
    perRound *= 2
  }
  var best = Double.infinity
  for _ in 0..<rounds {
    let elapsed = try clock.measure { for _ in 0..<perRound { try body() } }
    best = min(best, elapsed.seconds)
  }
  return Measurement(name: name, iterations: perRound, seconds: best, bytesPerIteration: bytes)
}

/// Times two operations that do the same work, alternating their rounds so that whatever else the
/// machine does (other processes, frequency changes) falls on both alike. Each gets the same number of
/// iterations per round; the fastest round of each is reported.
public func measurePair(
  _ name: String,
  bytes: Int? = nil,
  rounds: Int = 9,
  minimumRoundTime: Duration = .milliseconds(200),
  ours: () throws -> Void,
  anchor: () throws -> Void
) rethrows -> (ours: Measurement, anchor: Measurement) {
  let clock = ContinuousClock()
  var perRound = 1
  while true {
    let elapsed = try clock.measure {
      for _ in 0..<perRound {
        try ours()
        try anchor()
      }
    }
    if elapsed >= minimumRoundTime / 2 || perRound >= 1 << 30 {
      let scale = max(1.0, minimumRoundTime / max(elapsed, .nanoseconds(1)))
      perRound = max(1, Int(Double(perRound) * scale))
      break
    }
    perRound *= 2
  }
  var bestOurs = Double.infinity
  var bestAnchor = Double.infinity
  for _ in 0..<rounds {
    bestOurs = min(bestOurs, try clock.measure { for _ in 0..<perRound { try ours() } }.seconds)
    bestAnchor = min(bestAnchor, try clock.measure { for _ in 0..<perRound { try anchor() } }.seconds)
  }
  return (
    Measurement(name: "\(name) (ours)", iterations: perRound, seconds: bestOurs, bytesPerIteration: bytes),
    Measurement(name: "\(name) (anchor)", iterations: perRound, seconds: bestAnchor, bytesPerIteration: bytes)
  )
}

extension Duration {
  /// The duration in seconds as a floating-point number.
  public var seconds: Double {
    let (s, attoseconds) = components
    return Double(s) + Double(attoseconds) / 1e18
  }
}

/// One line of a comparison table: our figure, the anchor's, and the ratio (ours / anchor; above 1
/// means we are faster).
public struct Comparison: Sendable {
  public var name: String
  public var unit: String
  public var ours: Double
  public var anchor: Double
  public var anchorName: String
  public var target: Double?

  public init(
    name: String, unit: String, ours: Double, anchor: Double, anchorName: String, target: Double? = nil
  ) {
    self.name = name
    self.unit = unit
    self.ours = ours
    self.anchor = anchor
    self.anchorName = anchorName
    self.target = target
  }

  public var ratio: Double { anchor == 0 ? .infinity : ours / anchor }
}

/// Prints comparisons as an aligned table (and as Markdown rows, for the README, when
/// `BENCH_MARKDOWN=1`). Returns false if any comparison is under its target.
@discardableResult
public func report(_ title: String, _ rows: [Comparison]) -> Bool {
  let markdown = ProcessInfo.processInfo.environment["BENCH_MARKDOWN"] == "1"
  print("\n## \(title)")
  var allMet = true
  if markdown {
    print("| case | ours | anchor | ratio | target |")
    print("|---|---:|---:|---:|---:|")
  }
  for row in rows {
    let met = row.target.map { row.ratio >= $0 } ?? true
    allMet = allMet && met
    let target = row.target.map { String(format: "≥ %.2f%@", $0, met ? "" : " (missed)") } ?? "-"
    if markdown {
      print(
        "| \(row.name) | \(format(row.ours)) \(row.unit) | \(format(row.anchor)) \(row.unit) (\(row.anchorName)) "
          + "| \(String(format: "%.2f×", row.ratio)) | \(target) |")
    } else {
      let name = row.name.padding(toLength: 36, withPad: " ", startingAt: 0)
      print(
        "\(name) ours \(format(row.ours).leftPad(12)) \(row.unit)   \(row.anchorName) "
          + "\(format(row.anchor).leftPad(12)) \(row.unit)   ratio \(String(format: "%.2f", row.ratio))  target \(target)"
      )
    }
  }
  return allMet
}

/// A number with thousands separators and at most two decimals.
public func format(_ value: Double) -> String {
  if value >= 1000 {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.maximumFractionDigits = 0
    return formatter.string(from: NSNumber(value: value)) ?? String(Int(value))
  }
  return String(format: "%.2f", value)
}

extension String {
  fileprivate func leftPad(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}

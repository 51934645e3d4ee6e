/// How the simulated network treats messages: a latency distribution, loss, duplication (reordering
/// comes from the latency spread), and partitions that split the validators and heal.
public struct NetworkModel: Sendable, Hashable {
  /// Latency bounds in milliseconds: uniform in `minLatencyMs...maxLatencyMs`, except that with
  /// probability `tailProbability` a message takes up to `tailLatencyMs`.
  public var minLatencyMs: UInt64 = 2
  public var maxLatencyMs: UInt64 = 30
  public var tailProbability: Double = 0
  public var tailLatencyMs: UInt64 = 0
  /// Probability that a message is lost.
  public var loss: Double = 0
  /// Probability that a message is delivered twice.
  public var duplication: Double = 0
  /// Bandwidth of every directed link in bits per second (0: unlimited): a message waits until the
  /// link is free, then takes its encoded size over the bandwidth (see `Simulator.departure`).
  public var bandwidthBitsPerSecond: UInt64 = 0
  /// Whether every message goes through its protobuf encoding and back (checks the wire as well).
  public var roundTripEncoding = false

  public init() {}

  /// The largest latency this model can produce.
  public var worstLatencyMs: UInt64 { max(maxLatencyMs, tailProbability > 0 ? tailLatencyMs : 0) }

  /// Whether the model is synchronous for a bound Δ: no loss and every latency below Δ.
  public func isSynchronous(boundMs: UInt64) -> Bool { loss == 0 && worstLatencyMs < boundMs }
}

/// A partition: from `startMs` to `endMs` the validators are split into `groups` (validators in no group
/// form one more group); messages between groups are lost.
public struct Partition: Sendable, Hashable {
  public var startMs: UInt64
  public var endMs: UInt64
  /// Groups of validator indices.
  public var groups: [[Int]]

  public init(startMs: UInt64, endMs: UInt64, groups: [[Int]]) {
    self.startMs = startMs
    self.endMs = endMs
    self.groups = groups
  }

  /// Whether `a` and `b` can talk at `time`.
  public func connects(_ a: Int, _ b: Int, at time: UInt64) -> Bool {
    guard time >= startMs && time < endMs else { return true }
    func group(_ x: Int) -> Int { groups.firstIndex { $0.contains(x) } ?? -1 }
    return group(a) == group(b)
  }
}

/// A crash: validator `node` is down from `startMs` to `endMs`, then restarts from what it persisted.
public struct Crash: Sendable, Hashable {
  public var node: Int
  public var startMs: UInt64
  public var endMs: UInt64

  public init(node: Int, startMs: UInt64, endMs: UInt64) {
    self.node = node
    self.startMs = startMs
    self.endMs = endMs
  }
}

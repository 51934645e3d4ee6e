extension SimulateArguments {
  /// Every flag, in the order of the help text.
  static let flags: [Flag] = [
    Flag(name: "nodes", value: "N[,N...]", help: "validators (a list sweeps them; default 64)") {
      o, v throws in
      o.nodes = try list(v, "a number of validators such as 64 or 64,256") {
        try integer($0, in: 1...100_000)
      }
    },
    Flag(name: "shards", value: "K[,K...]", help: "shards (a list sweeps them; default 4)") { o, v throws in
      o.shards = try list(v, "a number of shards such as 4 or 4,8") { UInt32(try integer($0, in: 1...4_096)) }
    },
    Flag(
      name: "malicious", value: "F[,F...]",
      help: "fraction of malicious validators, 0 to 0.99 (a list sweeps it; default 0)"
    ) {
      o, v throws in
      o.malicious = try list(v, "a fraction such as 0.2 or 0,0.1,0.2") { try number($0, in: 0...0.99) }
    },
    Flag(
      name: "adversary", value: "KIND[,KIND...]",
      help:
        "what malicious validators do, dealt round-robin: wrong-votes, equivocate, censor, crash (default wrong-votes)"
    ) { o, v throws in
      o.base.adversaries = try list(v, "one or more of wrong-votes, equivocate, censor, crash") {
        name throws in
        guard let kind = AdversaryKind(rawValue: name) else {
          throw SimulateUsageError(
            "unknown adversary \"\(name)\"; use wrong-votes, equivocate, censor or crash")
        }
        return kind
      }
    },
    Flag(name: "seed", value: "S", help: "seed of everything random (default 1)") { o, v throws in
      guard let seed = UInt64(v) else {
        throw SimulateUsageError("\"\(v)\" is not a seed: use a whole number from 0 to 2^64-1")
      }
      o.base.seed = seed
    },
    Flag(name: "duration", value: "SECONDS", help: "simulated seconds of load and adversaries (default 30)") {
      o, v throws in o.base.durationSeconds = try number(v, in: 0.1...86_400)
    },
    Flag(
      name: "settle", value: "SECONDS",
      help: "simulated seconds after that to commit and finalize (default 5)"
    ) {
      o, v throws in o.base.settleSeconds = try number(v, in: 0...86_400)
    },
    Flag(
      name: "out", value: "DIR",
      help: "directory for results.json, the CSV files and the PNG charts (required)"
    ) {
      o, v throws in
      guard !v.isEmpty else {
        throw SimulateUsageError("the output directory is empty: give a path such as sim-out")
      }
      o.out = v
    },
    Flag(
      name: "sweep", value: "FILE.toml", help: "read settings from a TOML file; flags given here override it"
    ) { _, _ in },
    Flag(
      name: "latency", value: "MIN-MAX",
      help: "one-way latency in ms, uniform between MIN and MAX (default 2-30)"
    ) {
      o, v throws in
      let (low, high) = try pair(v, "-", "a range of milliseconds such as 2-30")
      o.base.latencyMinMs = UInt64(try integer(low, in: 0...600_000))
      o.base.latencyMaxMs = UInt64(try integer(high, in: 0...600_000))
    },
    Flag(
      name: "latency-tail", value: "P:MS",
      help: "with probability P a message takes up to MS ms instead (a heavy tail; default none)"
    ) { o, v throws in
      let (p, ms) = try pair(v, ":", "a probability and milliseconds such as 0.01:400")
      o.base.tailProbability = try number(p, in: 0...1)
      o.base.tailLatencyMs = UInt64(try integer(ms, in: 0...600_000))
    },
    Flag(
      name: "bandwidth", value: "MBIT",
      help: "bandwidth of every directed link in Mbit/s, 0 for unlimited (default 0)"
    ) {
      o, v throws in o.base.bandwidthMbps = try number(v, in: 0...1_000_000)
    },
    Flag(name: "loss", value: "P", help: "probability that a message is lost (default 0)") { o, v throws in
      o.base.loss = try number(v, in: 0...0.99)
    },
    Flag(
      name: "partition", value: "START-END:F",
      help:
        "from START to END seconds the first fraction F of validators is cut off (repeatable; a list in TOML)"
    ) { o, v throws in
      for item in v.split(separator: ",").map(String.init) {
        let (times, fraction) = try pair(item, ":", "seconds and a fraction such as 10-15:0.3")
        let (start, end) = try pair(times, "-", "seconds and a fraction such as 10-15:0.3")
        let window = PartitionWindow(
          startSeconds: try number(start, in: 0...86_400), endSeconds: try number(end, in: 0...86_400),
          fraction: try number(fraction, in: 0.01...0.99))
        guard window.startSeconds < window.endSeconds else {
          throw SimulateUsageError(
            "the partition \(item) ends before it starts: write START-END with START < END")
        }
        o.base.partitions.append(window)
      }
    },
    Flag(name: "rate", value: "TX/S", help: "transactions made per simulated second (default 200)") {
      o, v throws in
      o.base.rate = try number(v, in: 0.1...1_000_000)
    },
    Flag(
      name: "mix", value: "KIND=W,...",
      help:
        "relative weights of transfers, records, images and grants (default \(WorkloadMix.healthcare.description))"
    ) { o, v throws in
      o.base.mix = try WorkloadMix(parsing: v)
    },
    Flag(name: "image-size", value: "MIB", help: "images are 1 MiB to this many MiB (default 16)") {
      o, v throws in
      o.base.imageMaxMiB = UInt64(try integer(v, in: 1...4_096))
    },
    Flag(name: "accounts", value: "N", help: "client accounts, spread over the shards (default 256)") {
      o, v throws in
      o.base.accounts = try integer(v, in: 2...1_000_000)
    },
    Flag(name: "epoch-length", value: "RBLOCKS", help: "RBlocks per epoch (default 5)") { o, v throws in
      o.base.epochLength = UInt32(try integer(v, in: 1...1_000_000))
    },
    Flag(name: "rblock-interval", value: "MS", help: "time between RBlocks (default 1000)") { o, v throws in
      o.base.rblockIntervalMs = UInt64(try integer(v, in: 10...3_600_000))
    },
    Flag(name: "election-timeout", value: "MS", help: "TChain leader timeout (default 600)") { o, v throws in
      o.base.electionTimeoutMs = UInt64(try integer(v, in: 10...3_600_000))
    },
    Flag(name: "vote-window", value: "MS", help: "the synchronous bound Δ (default 100)") { o, v throws in
      o.base.voteWindowMs = UInt64(try integer(v, in: 1...3_600_000))
    },
    Flag(name: "block-size", value: "ENTRIES", help: "most entries in a TBlock (default 256)") {
      o, v throws in
      o.base.maxBlockEntries = UInt32(try integer(v, in: 1...100_000))
    },
    Flag(name: "batch-timeout", value: "MS", help: "longest wait to fill a batch (default 20)") {
      o, v throws in
      o.base.batchTimeoutMs = UInt64(try integer(v, in: 1...3_600_000))
    },
    Flag(
      name: "signatures", value: "simulated|ed25519",
      help: "real Ed25519, or the cost model that makes large networks fast (default simulated)"
    ) { o, v throws in
      switch v {
      case "simulated": o.base.realSignatures = false
      case "ed25519": o.base.realSignatures = true
      default: throw SimulateUsageError("unknown signature scheme \"\(v)\"; use simulated or ed25519")
      }
    },
    Flag(name: "trials", value: "N", help: "Monte-Carlo epochs per sharding rule (default 2000)") {
      o, v throws in
      o.base.trials = try integer(v, in: 1...10_000_000)
    },
    Flag(name: "progress", value: nil, help: "draw the progress bar even when stderr is not a terminal") {
      o, v in o.progress = v != "false"
    },
    Flag(name: "no-progress", value: nil, help: "never draw the progress bar") { o, v in
      o.progress = v == "false"
    },
  ]

  static func integer(_ text: String, in range: ClosedRange<Int>) throws -> Int {
    guard let value = Int(text.trimmingWhitespace) else {
      throw SimulateUsageError(
        "\"\(text)\" is not a whole number: use a number from \(range.lowerBound) to \(range.upperBound)")
    }
    guard range.contains(value) else {
      throw SimulateUsageError(
        "\(value) is out of range: use a number from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
  }

  static func number(_ text: String, in range: ClosedRange<Double>) throws -> Double {
    guard let value = Double(text.trimmingWhitespace), value.isFinite else {
      throw SimulateUsageError(
        "\"\(text)\" is not a number: use a number from \(range.lowerBound) to \(range.upperBound)")
    }
    guard range.contains(value) else {
      throw SimulateUsageError(
        "\(text) is out of range: use a number from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
  }

  static func list<T>(
    _ text: String, _ what: String, _ item: (String) throws -> T
  ) throws -> [T] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
      String($0).trimmingWhitespace
    }
    guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else {
      throw SimulateUsageError(
        "\"\(text)\" is not a list: give \(what), separated by commas without empty items")
    }
    var values: [T] = []
    for part in parts { values.append(try item(part)) }
    return values
  }

  static func pair(_ text: String, _ separator: Character, _ what: String) throws -> (String, String) {
    let parts = text.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false).map(
      String.init)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
      throw SimulateUsageError("\"\(text)\" is not \(what)")
    }
    return (parts[0], parts[1])
  }
}

extension String {
  var trimmingWhitespace: String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}

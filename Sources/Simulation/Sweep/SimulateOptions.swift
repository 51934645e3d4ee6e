/// The parsed command line of `sehc simulate`: the settings shared by every run, the swept values
/// (lists of validators, shards and malicious fractions, whose product is the set of runs), and what to
/// do with the output.
public struct SimulateOptions: Sendable {
  public var base = SimulationSettings()
  public var nodes: [Int] = [64]
  public var shards: [UInt32] = [4]
  public var malicious: [Double] = [0]
  /// Where the files go.
  public var out: String?
  /// The TOML file the settings came from, if any.
  public var sweepFile: String?
  /// Draw a progress bar: true or false when asked, nil to decide by whether stderr is a terminal.
  public var progress: Bool?

  public init() {}

  /// Every run: the product of the swept lists, validators outermost, malicious fraction innermost.
  public var runs: [SimulationSettings] {
    nodes.flatMap { n in
      shards.flatMap { k in
        malicious.map { f in
          var settings = base
          settings.nodes = n
          settings.shards = k
          settings.malicious = f
          return settings
        }
      }
    }
  }
}

/// A mistake in the arguments of `sehc simulate`: one line that says what is wrong and how to fix it.
public struct SimulateUsageError: Error, CustomStringConvertible, Equatable {
  public let description: String

  public init(_ description: String) { self.description = description }
}

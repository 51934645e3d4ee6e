import ArgumentParser
import Dispatch
import Foundation
import Logging
import Node

/// `sehc node`: running a validator.
struct NodeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "node",
    abstract: "Run a validator node.",
    subcommands: [NodeStart.self]
  )
}

/// `sehc node start --config node.toml`: the peer port, the client port and the metrics endpoint of one
/// validator, until SIGINT or SIGTERM.
struct NodeStart: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "start",
    abstract: "Start a validator from its configuration file and run it until SIGINT or SIGTERM.",
    discussion: """
      Reads the TOML configuration (docs/operator.md lists every key), the genesis, the validator key \
      and the certificates it names, opens the data directory, and serves the peer port (mutual TLS, \
      the Peer service), the client port (TLS: HealthChain, grpc.health.v1, server reflection) and the \
      metrics endpoint. A node restarted on the same data directory resumes where it stopped and \
      catches up by block sync. SIGINT or SIGTERM stops it cleanly (exit status 0).
      """
  )

  @Option(name: .long, help: ArgumentHelp("The node's configuration file.", valueName: "file"))
  var config: String

  func run() async throws {
    try await reportingFailures("sehc node start") {
      let config: NodeConfig
      do {
        config = try NodeConfig.load(path: self.config)
        try config.checkFiles()
      } catch {
        throw CommandFailure.badData("\(error)")
      }
      LoggingBootstrap.bootstrap(config.logging)
      let registry = config.metrics.enabled ? MetricsBootstrap.bootstrap() : nil
      let logger = Logger(label: "sehc.node")
      let node: ValidatorNode
      do throws(NodeRuntimeError) {
        node = try await ValidatorNode.start(config: config, registry: registry, logger: logger)
      } catch {
        switch error {
        case .configuration: throw CommandFailure.badData("\(error)")
        case .storage, .network: throw CommandFailure.io("\(error)")
        }
      }
      let signal = await TerminationSignal.next()
      logger.notice("\(signal): stopping")
      await node.stop()
    }
  }
}

/// Waits for SIGINT or SIGTERM (a parent may have started the process with them blocked).
enum TerminationSignal {
  static func next() async -> String {
    var unblock = sigset_t()
    sigemptyset(&unblock)
    sigaddset(&unblock, SIGINT)
    sigaddset(&unblock, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    let queue = DispatchQueue(label: "sehc.node.signals")
    let (stream, continuation) = AsyncStream.makeStream(of: String.self)
    let sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { continuation.yield(name) }
      source.resume()
      return source
    }
    defer { sources.forEach { $0.cancel() } }
    for await name in stream { return name }
    return "end of signals"
  }
}

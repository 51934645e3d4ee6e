import ArgumentParser
import ChainCrypto
import Dispatch
import Foundation
import Node
import Wire

#if canImport(Glibc)
  import Glibc
#endif

/// `sehc devnet`: a whole network on loopback, built and started with one command.
struct DevnetCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "devnet",
    abstract:
      "Create and run a local network: CA, certificates, genesis and one node per validator on loopback.",
    discussion: """
      The first run builds the network in --dir (see docs/operator.md, "A local network"); later runs \
      start the same network again with its data. Ctrl-C stops every node cleanly. Node N listens on \
      BASE+N-1 (peers, mutual TLS), BASE+100+N-1 (clients, TLS) and BASE+200+N-1 (metrics, HTTP).
      """
  )

  @Option(help: "Number of validator nodes (1 to 100).")
  var nodes = 8

  @Option(help: "Number of shards (1 to the number of nodes).")
  var shards = 2

  @Option(help: ArgumentHelp("The network directory (created on the first run).", valueName: "dir"))
  var dir = "devnet"

  @Option(help: ArgumentHelp("The first port; each node takes three (see above).", valueName: "port"))
  var basePort = 7100

  @Option(
    help: ArgumentHelp("RBlocks per epoch of a new devnet (default: the genesis default).", valueName: "n"))
  var epochLength: UInt32?

  @Option(
    help: ArgumentHelp(
      "Time between RBlocks of a new devnet, in ms (default: the genesis default).", valueName: "ms"))
  var rblockIntervalMs: UInt64?

  @Flag(help: "Delete the network in --dir first and build a new one.")
  var fresh = false

  @Flag(help: "Build the network's files and stop, without starting the nodes (for scripts and tests).")
  var createOnly = false

  @Flag(help: "Also drive a demo workload and print its summary.")
  var demo = false

  @Flag(help: "With --demo: stop the network after the summary (exit status 0 only if every step succeeded).")
  var exit = false

  @Option(help: ArgumentHelp("Seconds to wait for every node to serve.", valueName: "seconds"))
  var startTimeout = 120

  func validate() throws {
    if exit && !demo { throw ValidationError("--exit applies to --demo; add --demo or remove --exit") }
    if createOnly && demo { throw ValidationError("--create-only starts no node, so it cannot run --demo") }
  }

  func run() async throws {
    try await reportingFailures("sehc devnet") {
      let layout = try await prepare()
      if createOnly {
        print(
          "built \(layout.directory); start node N with: sehc node start --config \(layout.directory)/node-N/node.toml"
        )
        return
      }
      let supervisor = DevnetSupervisor(layout: layout, executable: try Self.executablePath())
      try await checkPortsFree(layout)
      let interrupts = SignalWatcher(signals: [SIGINT, SIGTERM])
      print(
        "starting \(layout.nodes.count) nodes in \(layout.shardCount) shards (logs: \(layout.directory)/node-N/node.log)"
      )
      do {
        try supervisor.startAll()
        try await supervisor.waitUntilServing(timeout: TimeInterval(startTimeout))
      } catch {
        supervisor.stopAll()
        throw CommandFailure.io("\(error)")
      }
      try await printSummary(layout)
      if demo {
        let report = await DevnetDemo(layout: layout).run()
        print(report.summary)
        if exit {
          stop(supervisor)
          if !report.succeeded { throw ExitCode(1) }
          print("network stopped")
          return
        }
      }
      print("\nthe network runs until Ctrl-C")
      var reported: Set<String> = []
      while case .nodeExited(let exit) = await interrupts.waitForSignalOrExit(
        of: supervisor, ignoring: reported)
      {
        // The others keep running: a shard with a majority of its members left keeps committing.
        reported.insert(exit.name)
        print(
          "\n\(exit.name) exited with status \(exit.status); the others keep running. Its log ends:\n\(exit.logTail)"
        )
      }
      print("\nstopping every node")
      stop(supervisor)
      print(
        "network stopped; its data stays in \(layout.directory) (run again to restart it, --fresh to start over)"
      )
    }
  }

  private func stop(_ supervisor: DevnetSupervisor) {
    let killed = supervisor.stopAll()
    if !killed.isEmpty {
      print("stopped with SIGKILL (did not stop within 10 s): \(killed.joined(separator: ", "))")
    }
  }

  /// Builds the network, or reopens the one in `dir`.
  private func prepare() async throws -> DevnetLayout {
    let root = URL(fileURLWithPath: dir).standardizedFileURL.path
    let layoutFile = (root as NSString).appendingPathComponent(DevnetLayout.fileName)
    let fileManager = FileManager.default
    if fresh && fileManager.fileExists(atPath: root) {
      let contents = (try? fileManager.contentsOfDirectory(atPath: root)) ?? []
      guard contents.isEmpty || fileManager.fileExists(atPath: layoutFile) else {
        throw CommandFailure.usage(
          "--fresh would delete \(root), which holds no devnet (no \(DevnetLayout.fileName)); choose another --dir"
        )
      }
      try fileManager.removeItem(atPath: root)
    }
    if fileManager.fileExists(atPath: layoutFile) {
      let layout: DevnetLayout
      do { layout = try DevnetLayout.load(directory: root) } catch {
        throw CommandFailure.badData("\(error)")
      }
      if layout.nodes.count != nodes || layout.shardCount != UInt32(shards) {
        print(
          "note: \(root) holds a devnet of \(layout.nodes.count) nodes in \(layout.shardCount) shards; starting it "
            + "(pass --fresh to build one of \(nodes) nodes in \(shards) shards)")
      }
      return layout
    }
    print("building a devnet of \(nodes) nodes in \(shards) shards in \(root)")
    do {
      var params = ConsensusParams()
      if let epochLength { params.epochLength = epochLength }
      if let rblockIntervalMs { params.rblockIntervalMs = rblockIntervalMs }
      return try await DevnetLayout.create(
        DevnetPlan(nodeCount: nodes, shardCount: shards, directory: root, basePort: basePort, params: params))
    } catch let error as DevnetError {
      throw CommandFailure.usage(error.description)
    } catch {
      throw CommandFailure.cannotCreate("cannot build the devnet in \(root): \(error)")
    }
  }

  private func checkPortsFree(_ layout: DevnetLayout) async throws {
    for node in layout.nodes {
      for endpoint in [node.peerEndpoint, node.clientEndpoint, node.metricsEndpoint] {
        let (host, port) = DevnetSupervisor.split(endpoint)
        if await HealthProbe.isListening(host: host, port: port) {
          throw CommandFailure.io(
            "\(endpoint) (\(node.name)) is already in use: is another devnet running? Stop it, or build this one "
              + "on other ports with --fresh --base-port N")
        }
      }
    }
  }

  private func printSummary(_ layout: DevnetLayout) async throws {
    let token = try await Self.adminToken(layout)
    print("\nall \(layout.nodes.count) nodes serve (chain \(layout.chainID), \(layout.shardCount) shards)\n")
    print("  node      validator                                 peer             client           metrics")
    for node in layout.nodes {
      print(
        "  " + node.name.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + node.address + "  "
          + node.peerEndpoint.padding(toLength: 16, withPad: " ", startingAt: 0) + " "
          + node.clientEndpoint.padding(toLength: 16, withPad: " ", startingAt: 0) + " "
          + node.metricsEndpoint)
    }
    print("\nCA certificate: \(layout.caCertificate)")
    print("admin user:     \(layout.adminUsername), password in \(layout.adminPasswordFile)")
    print("admin token (node-1, valid \(token.lifetime / 60) min):\n\(token.token)")
  }

  /// A session token for the administrator, issued as node 1's Login would.
  static func adminToken(_ layout: DevnetLayout) async throws -> (token: String, lifetime: Int) {
    guard let first = layout.nodes.first else { throw CommandFailure.badData("the devnet has no nodes") }
    let config = try NodeConfig.load(path: first.configFile)
    let nodeKey = try Ed25519.PrivateKey(contentsOfFile: config.validatorKeyFile)
    let users = try UserStore(directory: config.dataDirectory, nodeKey: nodeKey)
    guard let admin = try users.user(named: layout.adminUsername) else {
      throw CommandFailure.badData(
        "\(first.name) has no user \(layout.adminUsername); rebuild the devnet with --fresh")
    }
    let issuer = try await TokenIssuer(
      nodeKey: nodeKey, chainID: layout.chainID, shardCount: layout.shardCount,
      lifetimeSeconds: config.auth.tokenLifetimeSeconds)
    return (try await issuer.issue(for: admin).token, config.auth.tokenLifetimeSeconds)
  }

  /// This executable, which runs the nodes too.
  static func executablePath() throws -> String {
    if let path = Bundle.main.executablePath, FileManager.default.isExecutableFile(atPath: path) {
      return path
    }
    let argument = CommandLine.arguments[0]
    if FileManager.default.isExecutableFile(atPath: argument) {
      return URL(fileURLWithPath: argument).standardizedFileURL.path
    }
    throw CommandFailure.io("cannot find the sehc executable to start the nodes with (\(argument))")
  }
}

import ChainCrypto
import Foundation
import GRPCCore
import Logging
import Node
import RPC
import TLS
import Wire

/// An 8-node, 2-shard devnet run in this process (each node its own `ValidatorNode`: peer port over
/// mutual TLS, client port over TLS, as `sehc node start` runs it), and a long-lived client per node.
final class BenchNetwork: Sendable {
  let layout: DevnetLayout
  let nodes: [ValidatorNode]
  let clients: [String: GRPCClient<RPCClientTransport>]
  private let connections: [Task<Void, Never>]

  private init(
    layout: DevnetLayout, nodes: [ValidatorNode], clients: [String: GRPCClient<RPCClientTransport>],
    connections: [Task<Void, Never>]
  ) {
    self.layout = layout
    self.nodes = nodes
    self.clients = clients
    self.connections = connections
  }

  /// Builds and starts the network in a new temporary directory, with `participants` funded.
  static func start(nodes count: Int, shards: Int, basePort: Int, participants: [GenesisParticipant])
    async throws
    -> BenchNetwork
  {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-node-\(getpid())")
      .path
    try? FileManager.default.removeItem(atPath: directory)
    var plan = DevnetPlan(nodeCount: count, shardCount: shards, directory: directory, basePort: basePort)
    plan.participants = participants
    let layout = try await DevnetLayout.create(plan)
    var logger = Logger(label: "bench-node")
    logger.logLevel = .error
    var nodes: [ValidatorNode] = []
    for entry in layout.nodes {
      var config = try NodeConfig.load(path: entry.configFile)
      config.metrics.enabled = false
      nodes.append(try await ValidatorNode.start(config: config, registry: nil, logger: logger))
    }
    let tls = try TLSConfiguration.fromPEMFiles(
      certificateChain: nil, privateKey: nil, trustRoots: layout.caCertificate)
    var clients: [String: GRPCClient<RPCClientTransport>] = [:]
    var connections: [Task<Void, Never>] = []
    for entry in layout.nodes {
      let colon = entry.clientEndpoint.lastIndex(of: ":")!
      let host = String(entry.clientEndpoint[..<colon])
      let port = Int(entry.clientEndpoint[entry.clientEndpoint.index(after: colon)...])!
      let client = GRPCClient(
        transport: try RPCClientTransport(host: host, port: port, tls: tls, serverHostname: host))
      connections.append(Task { try? await client.runConnections() })
      clients[entry.name] = client
    }
    return BenchNetwork(layout: layout, nodes: nodes, clients: clients, connections: connections)
  }

  /// The HealthChain client of node `name`.
  func api(_ name: String) -> HealthChain.Client<RPCClientTransport> {
    HealthChain.Client(wrapping: clients[name]!)
  }

  /// The node names serving each shard.
  func members(token: String) async throws -> [UInt32: [String]] {
    let assignment = try await api(layout.nodes[0].name).getShardAssignment(
      GetShardAssignmentRequest(current: true), metadata: ["authorization": "Bearer \(token)"])
    var members: [UInt32: [String]] = [:]
    for shard in assignment.shards {
      let addresses = Set(shard.members.map(\.hexString))
      members[shard.shard] = layout.nodes.filter { addresses.contains($0.address) }.map(\.name)
    }
    return members
  }

  func stop() async {
    for client in clients.values { client.beginGracefulShutdown() }
    for connection in connections { await connection.value }
    for node in nodes { await node.stop() }
    try? FileManager.default.removeItem(atPath: layout.directory)
  }
}

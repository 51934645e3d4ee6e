import ChainCrypto
import Foundation
import Wire

/// What `sehc devnet` builds: a whole network on loopback in one directory, for development and demos.
///
/// ```
/// DIR/ca/ca.pem, ca.key              the consortium CA
/// DIR/admin.key, admin-password      the genesis administrator's key and the password of its `admin` user
/// DIR/genesis.json                   the network's genesis (every validator, the administrator)
/// DIR/network.json                   this layout: nodes, endpoints, shards (read by clients and tests)
/// DIR/node-N/node.toml               node N's configuration (ports BASE+N-1, BASE+100+N-1, BASE+200+N-1)
/// DIR/node-N/node-N.pem, .key        its Ed25519 validator key and node certificate (peer port)
/// DIR/node-N/node-N-client.pem, .key its ECDSA P-256 server certificate (client port, for grpcio)
/// DIR/node-N/data/users.sqlite       its users: `admin`, holding the administrator's key
/// ```
///
/// Every key file is written with mode 0600. Nothing of an existing network is replaced: ``create(_:)``
/// refuses a directory that already holds one, and ``load(directory:)`` reopens it.
public struct DevnetLayout: Sendable, Codable, Equatable {
  /// One node of the network.
  public struct NodeEntry: Sendable, Codable, Equatable {
    /// The validator's name (`node-N`).
    public var name: String
    /// Its directory.
    public var directory: String
    /// Its configuration file.
    public var configFile: String
    /// Its validator address, lowercase hex.
    public var address: String
    /// The Peer service (mutual TLS).
    public var peerEndpoint: String
    /// The HealthChain service (TLS).
    public var clientEndpoint: String
    /// The metrics and `/healthz` endpoint (plain HTTP on loopback).
    public var metricsEndpoint: String
  }

  /// The network's name.
  public var chainID: String
  /// The number of shards.
  public var shardCount: UInt32
  /// The network directory.
  public var directory: String
  /// The CA certificate that every endpoint's certificate chains to.
  public var caCertificate: String
  /// The genesis file.
  public var genesisFile: String
  /// The administrator's login on every node.
  public var adminUsername: String
  /// The file holding the administrator's password (mode 0600).
  public var adminPasswordFile: String
  /// The nodes, in genesis order.
  public var nodes: [NodeEntry]

  /// The layout file's name in the network directory.
  public static let fileName = "network.json"
}

/// What a devnet is made of.
public struct DevnetPlan: Sendable {
  /// Number of validators (at least 1, at most 100: each takes three ports of one block of 100).
  public var nodeCount: Int
  /// Number of shards (1 to the number of validators).
  public var shardCount: Int
  /// The network directory (created).
  public var directory: String
  /// The first port: node N listens on `basePort + N - 1` (peers), `+ 100` (clients), `+ 200` (metrics).
  public var basePort: Int
  /// The network's name.
  public var chainID: String
  /// The consensus parameters; zero fields take their defaults.
  public var params: ConsensusParams
  /// Participants funded in the genesis besides the administrator (load generators, tests).
  public var participants: [GenesisParticipant] = []

  /// A plan with the defaults of `sehc devnet`.
  public init(
    nodeCount: Int = 8, shardCount: Int = 2, directory: String, basePort: Int = 7100,
    chainID: String = "sehc-devnet",
    params: ConsensusParams = ConsensusParams()
  ) {
    self.nodeCount = nodeCount
    self.shardCount = shardCount
    self.directory = directory
    self.basePort = basePort
    self.chainID = chainID
    self.params = params
  }
}

/// Why a devnet could not be built or reopened: the message says what is wrong and how to fix it.
public struct DevnetError: Error, Sendable, CustomStringConvertible {
  public let description: String

  public init(_ description: String) {
    self.description = description
  }
}

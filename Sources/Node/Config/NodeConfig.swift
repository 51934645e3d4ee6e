import Logging

/// A validator node's configuration, read from a TOML file by ``NodeConfig/load(path:)``.
///
/// Every key but `name` is optional. Paths are absolute once loaded: relative paths in the file are
/// resolved against the directory of the file. docs/operator.md documents every key.
public struct NodeConfig: Sendable, Equatable {
  /// The absolute path of the file this configuration was read from (empty when built in code).
  public var sourceFile: String
  /// The validator's name: its entry in the genesis file and the CN of its node certificate.
  public var name: String
  /// Where the node keeps its databases and blobs (`data_dir`, default `data`).
  public var dataDirectory: String
  /// The genesis file (`genesis`, default `genesis.json`).
  public var genesisFile: String
  /// The validator's Ed25519 private key, PKCS#8 PEM, mode 0600 (`validator_key`, default `NAME.key`).
  public var validatorKeyFile: String
  /// The peer listener (mutual TLS, the `Peer` service).
  public var peer: PeerListenerConfig
  /// The client listener (TLS, `HealthChain`, health and reflection).
  public var client: ClientListenerConfig
  /// The Prometheus metrics and liveness HTTP endpoint.
  public var metrics: MetricsConfig
  /// Log level and format.
  public var logging: LoggingConfig
  /// Session tokens.
  public var auth: AuthConfig
  /// The transaction pool.
  public var mempool: MempoolConfig
  /// Limits on what clients may send.
  public var limits: LimitsConfig

  /// A configuration with every default, for the validator `name`, with paths relative to
  /// `directory`.
  public init(name: String, directory: String) {
    func path(_ relative: String) -> String { ConfigPath.resolve(relative, against: directory) }
    self.sourceFile = ""
    self.name = name
    self.dataDirectory = path("data")
    self.genesisFile = path("genesis.json")
    self.validatorKeyFile = path("\(name).key")
    self.peer = PeerListenerConfig(
      listen: Endpoint(host: "0.0.0.0", port: 7100), certificate: path("\(name).pem"),
      key: path("\(name).key"), ca: path("ca.pem"))
    self.client = ClientListenerConfig(
      listen: Endpoint(host: "0.0.0.0", port: 7200), certificate: path("\(name)-client.pem"),
      key: path("\(name)-client.key"), ca: path("ca.pem"))
    self.metrics = MetricsConfig()
    self.logging = LoggingConfig()
    self.auth = AuthConfig()
    self.mempool = MempoolConfig()
    self.limits = LimitsConfig()
  }
}

/// The peer listener: mutual TLS with the node's Ed25519 certificate (table `[peer]`).
public struct PeerListenerConfig: Sendable, Equatable {
  /// The address to listen on (`listen`, default `0.0.0.0:7100`).
  public var listen: Endpoint
  /// The node certificate, with the validator id as UID (`certificate`, default `NAME.pem`).
  public var certificate: String
  /// The certificate's private key (`key`, default: the validator key).
  public var key: String
  /// The consortium CA certificate that peers' certificates must chain to (`ca`, default `ca.pem`).
  public var ca: String
}

/// The client listener (table `[client]`). Its certificate is an ECDSA P-256 server certificate
/// issued by the consortium CA (`sehc cert issue --node --key-type p256`): grpcio clients
/// (BoringSSL) cannot use Ed25519 leaf certificates.
public struct ClientListenerConfig: Sendable, Equatable {
  /// The address to listen on (`listen`, default `0.0.0.0:7200`).
  public var listen: Endpoint
  /// The server certificate (`certificate`, default `NAME-client.pem`).
  public var certificate: String
  /// Its private key (`key`, default `NAME-client.key`).
  public var key: String
  /// The consortium CA certificate, for clients that present certificates (`ca`, default: the
  /// peer CA).
  public var ca: String
}

/// The metrics endpoint (table `[metrics]`): `GET /metrics` and `GET /healthz` over HTTP/1.1.
public struct MetricsConfig: Sendable, Equatable {
  /// Whether to serve it (`enabled`, default true).
  public var enabled = true
  /// The address (`listen`, default `127.0.0.1:7300`; plain HTTP, so keep it off public networks).
  public var listen = Endpoint(host: "127.0.0.1", port: 7300)
  /// Largest request accepted, head and body (`max_request_bytes`, default 8192).
  public var maxRequestBytes = 8192

  /// The defaults.
  public init() {}
}

/// Log output (table `[logging]`).
public struct LoggingConfig: Sendable, Equatable {
  /// How log lines are written.
  public enum Format: String, Sendable, Equatable, CaseIterable {
    /// One line per event for people: time, level, label, message, `key=value` metadata.
    case text
    /// One JSON object per line: timestamp, level, label, message, metadata.
    case json
  }

  /// The lowest level written (`level`, default `info`).
  public var level: Logger.Level = .info
  /// The format (`format`, default `text`).
  public var format: Format = .text

  /// The defaults.
  public init() {}
}

/// Session tokens (table `[auth]`).
public struct AuthConfig: Sendable, Equatable {
  /// How long a token from Login is valid, in seconds (`token_lifetime_seconds`, default 3600, at
  /// most 7 days).
  public var tokenLifetimeSeconds = 3600
  /// Clock difference tolerated when checking a token's `exp` and `nbf`, in seconds
  /// (`clock_leeway_seconds`, default 30, at most 300).
  public var clockLeewaySeconds = 30

  /// The defaults.
  public init() {}
}

/// The transaction pool (table `[mempool]`).
public struct MempoolConfig: Sendable, Equatable {
  /// Most transactions held (`max_transactions`, default 10,000).
  public var maxTransactions = 10_000
  /// Most bytes of transactions held (`max_bytes`, default 64 MiB).
  public var maxBytes = 64 << 20
  /// Most pending transactions of one sender (`max_per_sender`, default 64).
  public var maxPerSender = 64

  /// The defaults.
  public init() {}
}

/// Limits on clients (table `[limits]`).
public struct LimitsConfig: Sendable, Equatable {
  /// Largest gRPC message a client may send, in bytes (`max_message_bytes`, default 5 MiB: a 4 MiB
  /// record plus its envelope).
  public var maxMessageBytes = 5 << 20
  /// Most concurrent calls on one client connection (`max_concurrent_streams`, default 100).
  public var maxConcurrentStreams = 100
  /// Most client connections at once (`max_connections`, default 1000).
  public var maxConnections = 1000
  /// Longest a call may wait for a commitment, in milliseconds (`max_wait_ms`, default 30,000).
  public var maxWaitMs = 30_000
  /// How long an unfinished upload session is kept, in seconds (`upload_session_ttl_seconds`,
  /// default 86,400).
  public var uploadSessionTTLSeconds = 86_400

  /// The defaults.
  public init() {}
}

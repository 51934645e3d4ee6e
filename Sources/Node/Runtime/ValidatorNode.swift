import ChainCrypto
import Foundation
import GRPCCore
import Logging
import Prometheus
import RPC
import TLS
import Wire

/// A whole validator as `sehc node start` runs it, from its configuration file: the ``NodeRuntime``
/// (consensus, ledger, peer port), the client port (TLS: the `HealthChain` service behind the token
/// interceptor, `grpc.health.v1` and server reflection), and the metrics endpoint.
public final class ValidatorNode: Sendable {
  /// The runtime.
  public let runtime: NodeRuntime
  /// The health statuses served on the client port and `/healthz`.
  public let health: HealthStatusRegistry
  private let clientTransport: RPCServerTransport
  private let clientServer: GRPCServer<RPCServerTransport>
  private let serving: Task<Void, any Error>
  /// Hands undecided transactions admitted here to consensus again (``PendingResender``).
  private let resending: Task<Void, Never>
  private let metrics: MetricsHTTPServer?
  private let logger: Logger

  private init(
    runtime: NodeRuntime, health: HealthStatusRegistry, clientTransport: RPCServerTransport,
    clientServer: GRPCServer<RPCServerTransport>, serving: Task<Void, any Error>,
    resending: Task<Void, Never>,
    metrics: MetricsHTTPServer?, logger: Logger
  ) {
    self.runtime = runtime
    self.health = health
    self.clientTransport = clientTransport
    self.clientServer = clientServer
    self.serving = serving
    self.resending = resending
    self.metrics = metrics
    self.logger = logger
  }

  /// Starts a validator from `config` (files already checked by `NodeConfig.checkFiles()`), with metrics
  /// collected in `registry` when the endpoint is enabled.
  public static func start(config: NodeConfig, registry: PrometheusCollectorRegistry?, logger: Logger)
    async throws(NodeRuntimeError) -> ValidatorNode
  {
    let genesis: ValidatedGenesis
    do { genesis = try ValidatedGenesis.load(path: config.genesisFile) } catch {
      throw .configuration("\(error)")
    }
    guard let entry = genesis.validator(named: config.name) else {
      throw .configuration(
        "\(config.sourceFile): name: \"\(config.name)\" is not a validator of \(config.genesisFile); the validators are "
          + genesis.validators.map(\.name).joined(separator: ", "))
    }
    let runtimeConfiguration = try NodeRuntimeConfiguration(config: config, genesis: genesis, logger: logger)
    guard runtimeConfiguration.validatorKey.publicKey.address == entry.address else {
      throw .configuration(
        "\(config.sourceFile): validator_key: \(config.validatorKeyFile) is the key of "
          + "\(runtimeConfiguration.validatorKey.publicKey.address), but the genesis lists \(entry.address) for \(config.name)"
      )
    }
    let health = HealthStatusRegistry([
      "": .notServing, HealthChain.descriptor.fullyQualifiedService: .notServing,
    ])
    let runtime = try NodeRuntime(configuration: runtimeConfiguration)

    let service: HealthChainService
    let interceptor: AuthInterceptor
    let key = runtimeConfiguration.validatorKey
    do {
      let users = try UserStore(directory: config.dataDirectory, nodeKey: key)
      let issuer = try await TokenIssuer(
        nodeKey: key, chainID: genesis.chainID, shardCount: genesis.shardCount,
        lifetimeSeconds: config.auth.tokenLifetimeSeconds)
      service = try HealthChainService(
        backend: runtime,
        authenticator: Authenticator(users: users, issuer: issuer, shardCount: genesis.shardCount),
        uploadDirectory: config.dataDirectory + "/uploads",
        configuration: HealthChainConfiguration(
          maxTimeoutMs: UInt32(config.limits.maxWaitMs),
          uploadTTLms: UInt64(config.limits.uploadSessionTTLSeconds) * 1000))
      interceptor = AuthInterceptor(
        verifier: try await TokenVerifier(genesis: genesis, leewaySeconds: config.auth.clockLeewaySeconds))
    } catch {
      throw .storage("\(config.dataDirectory): cannot open the users or the client API: \(error)")
    }

    let clientTransport: RPCServerTransport
    do {
      let tls = try TLSConfiguration.fromPEMFiles(
        certificateChain: config.client.certificate, privateKey: config.client.key,
        trustRoots: config.client.ca,
        peerVerification: .optional)
      var serverConfig = RPCServerTransport.Config.defaults
      serverConfig.rpc.maxRequestPayloadSize = config.limits.maxMessageBytes
      serverConfig.http2.maxConcurrentStreams = config.limits.maxConcurrentStreams
      clientTransport = try RPCServerTransport(
        host: config.client.listen.host, port: config.client.listen.port, tls: tls, config: serverConfig)
    } catch {
      throw .configuration("client.certificate, client.key or client.ca: \(error.reason)")
    }

    try await runtime.start()
    let clientServer = GRPCServer(
      transport: clientTransport, services: [service, HealthService(registry: health), ReflectionService()],
      interceptors: [interceptor])
    let serving = Task { try await clientServer.serve() }
    guard let port = await clientTransport.listeningPort else {
      await runtime.stop()
      throw .network(
        "client.listen: cannot listen on \(config.client.listen): the address is in use or not available here"
      )
    }
    var metrics: MetricsHTTPServer?
    if let registry {
      do {
        metrics = try await MetricsHTTPServer.start(config.metrics, registry: registry, health: health)
      } catch {
        clientServer.beginGracefulShutdown()
        await runtime.stop()
        throw .network("metrics.listen: \(error)")
      }
    }
    health.setStatus(.serving, for: "")
    health.setStatus(.serving, for: HealthChain.descriptor.fullyQualifiedService)
    let peerPort = await runtime.peerPort ?? 0
    logger.info(
      "serving",
      metadata: [
        "peer": "\(config.peer.listen.host):\(peerPort)",
        "client": "\(config.client.listen.host):\(port)",
        "metrics": "\(metrics.map { "\($0.localAddress)" } ?? "off")",
      ])
    let resending = Task { await service.resendPendingTransactions() }
    return ValidatorNode(
      runtime: runtime, health: health, clientTransport: clientTransport, clientServer: clientServer,
      serving: serving, resending: resending, metrics: metrics, logger: logger)
  }

  /// The client port's bound port.
  public var clientPort: Int? {
    get async { await clientTransport.listeningPort }
  }

  /// Stops taking clients (open calls get 5 s), then stops the runtime and the metrics endpoint.
  public func stop() async {
    health.setStatus(.notServing, for: "")
    health.shutDown()
    clientServer.beginGracefulShutdown()
    let serving = self.serving
    let deadline = Task {
      try await Task.sleep(for: .seconds(5))
      serving.cancel()
    }
    _ = await serving.result
    deadline.cancel()
    resending.cancel()
    await resending.value
    await runtime.stop()
    try? await metrics?.stop()
    logger.info("node stopped")
  }
}

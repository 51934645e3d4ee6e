import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The node's plain HTTP/1.1 endpoint for operators: `GET /metrics` (Prometheus text format from a
/// `PrometheusCollectorRegistry`) and `GET /healthz` (200 `ok` while the node as a whole is SERVING
/// in the ``HealthStatusRegistry``, else 503). HEAD works like GET without a body; other paths get
/// 404, other methods 405. A request whose head or body is larger than `maxRequestBytes` gets 413 and
/// the connection is closed, and so is a connection idle for 30 seconds.
public final class MetricsHTTPServer: Sendable {
  private let channel: any Channel

  /// The address it listens on (with the actual port when started on port 0).
  public let localAddress: SocketAddress

  private init(channel: any Channel) throws {
    self.channel = channel
    guard let address = channel.localAddress else {
      throw MetricsServerError("the listener has no local address")
    }
    localAddress = address
  }

  /// Starts listening on `endpoint`.
  public static func start(
    on endpoint: Endpoint, registry: PrometheusCollectorRegistry, health: HealthStatusRegistry,
    maxRequestBytes: Int = 8192, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) async throws -> MetricsHTTPServer {
    let routes = MetricsRoutes(registry: registry, health: health)
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 64)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(30)))
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(
            MetricsHTTPHandler(routes: routes, maxRequestBytes: maxRequestBytes))
        }
      }
      .childChannelOption(.maxMessagesPerRead, value: 1)
    let channel: any Channel
    do {
      channel = try await bootstrap.bind(host: endpoint.host, port: endpoint.port).get()
    } catch {
      throw MetricsServerError("cannot listen on \(endpoint): \(error)")
    }
    return try MetricsHTTPServer(channel: channel)
  }

  /// Starts the endpoint `config` describes, or returns nil when it is disabled.
  public static func start(
    _ config: MetricsConfig, registry: PrometheusCollectorRegistry, health: HealthStatusRegistry
  ) async throws -> MetricsHTTPServer? {
    guard config.enabled else { return nil }
    return try await start(
      on: config.listen, registry: registry, health: health, maxRequestBytes: config.maxRequestBytes)
  }

  /// Stops listening; open connections finish their current request.
  public func stop() async throws {
    try await channel.close()
  }
}

/// Why the metrics endpoint could not start.
public struct MetricsServerError: Error, Sendable, CustomStringConvertible {
  /// What went wrong.
  public var description: String

  init(_ description: String) {
    self.description = description
  }
}

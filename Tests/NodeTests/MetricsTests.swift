import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import Testing

@testable import Node

/// Sends raw bytes to `port` on loopback and returns everything the server sends until it closes.
///
/// The server closes the connection after its response, which can race with the client closing its own
/// side: a "closed channel" error after a response arrived is the end of the exchange, not a failure.
func exchange(port: Int, _ request: String) async throws -> String {
  // A connection closed before any answer (seen on the loaded 2-core CI machine) is retried once; a second
  // such failure is the test's failure.
  do { return try await exchangeOnce(port: port, request) } catch ChannelError.ioOnClosedChannel {
    return try await exchangeOnce(port: port, request)
  }
}

private func exchangeOnce(port: Int, _ request: String) async throws -> String {
  let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .connect(host: "127.0.0.1", port: port) { channel in
      channel.eventLoop.makeCompletedFuture {
        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
      }
    }
  var text = ""
  do {
    try await channel.executeThenClose { inbound, outbound in
      try await outbound.write(ByteBuffer(string: request))
      for try await buffer in inbound { text += String(buffer: buffer) }
    }
  } catch ChannelError.ioOnClosedChannel where !text.isEmpty {
  } catch ChannelError.alreadyClosed where !text.isEmpty {
  }
  return text
}

@Suite("Metrics endpoint over a loopback socket")
struct MetricsTests {
  func withServer(
    health: HealthStatusRegistry = HealthStatusRegistry(["": .serving]),
    _ body: (Int, PrometheusCollectorRegistry) async throws -> Void
  ) async throws {
    let registry = PrometheusCollectorRegistry()
    let server = try await MetricsHTTPServer.start(
      on: Endpoint(host: "127.0.0.1", port: 0), registry: registry, health: health, maxRequestBytes: 1024)
    do {
      try await body(server.localAddress.port!, registry)
    } catch {
      try await server.stop()
      throw error
    }
    try await server.stop()
  }

  @Test("GET /metrics: Prometheus text")
  func metrics() async throws {
    try await withServer { port, registry in
      registry.makeCounter(
        descriptor: MetricNameDescriptor(
          namespace: "sehc", metricName: "test", unitName: "total", helpText: "A test counter."),
        labels: [("kind", "probe")]
      ).increment(by: Int64(3))
      let response = try await exchange(
        port: port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
      #expect(response.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
      #expect(response.contains("# TYPE sehc_test_total counter\nsehc_test_total{kind=\"probe\"} 3\n"))
    }
  }

  @Test("GET /healthz follows the node's overall health")
  func healthz() async throws {
    let health = HealthStatusRegistry(["": .serving])
    try await withServer(health: health) { port, _ in
      var response = try await exchange(
        port: port, "GET /healthz?verbose=1 HTTP/1.1\r\nConnection: close\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n") && response.hasSuffix("\r\n\r\nok\n"))
      health.setStatus(.notServing, for: "")
      response = try await exchange(port: port, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
      #expect(
        response.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n") && response.hasSuffix("not serving\n"))
      response = try await exchange(port: port, "HEAD /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 503") && response.hasSuffix("\r\n\r\n"), "HEAD has no body")
    }
  }

  @Test("404, 405, 413, and keep-alive")
  func refusals() async throws {
    try await withServer { port, _ in
      var response = try await exchange(port: port, "GET /admin HTTP/1.1\r\nConnection: close\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
      response = try await exchange(
        port: port, "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
      #expect(
        response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n") && response.contains("Allow: GET, HEAD"))
      let big = String(repeating: "a", count: 2000)
      response = try await exchange(port: port, "GET /metrics?\(big) HTTP/1.1\r\n\r\n")
      #expect(response.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), "\(response.prefix(40))")
      response = try await exchange(
        port: port, "PUT /metrics HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + big + big + big)
      #expect(response.hasPrefix("HTTP/1.1 413"), "\(response.prefix(40))")
      response = try await exchange(
        port: port, "GET /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
      #expect(response.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "two answers on one connection")
    }
  }

  @Test("the port is free again after stop")
  func stop() async throws {
    var port = 0
    try await withServer { boundPort, _ in port = boundPort }
    let server = try await MetricsHTTPServer.start(
      on: Endpoint(host: "127.0.0.1", port: port), registry: PrometheusCollectorRegistry(),
      health: HealthStatusRegistry())
    try await server.stop()
  }

  @Test("bootstrap: swift-metrics counters land in the returned registry, once per process")
  func bootstrap() {
    let registry = MetricsBootstrap.bootstrap()
    #expect(MetricsBootstrap.bootstrap() === registry)
    Counter(label: "sehc_bootstrap_probe_total").increment()
    #expect(registry.emitToString().contains("sehc_bootstrap_probe_total 1"))
  }
}

@Suite("Log handlers")
struct LogTests {
  final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var all: [String] { lock.withLock { storage } }
    func append(_ line: String) { lock.withLock { storage.append(line) } }
  }

  @Test("JSON: one object per line with timestamp, level, label, message, metadata")
  func json() throws {
    let lines = Lines()
    var config = LoggingConfig()
    config.format = .json
    config.level = .debug
    var logger = Logger(label: "sehc.test") { label in
      LoggingBootstrap.handler(label: label, config: config, sink: LogSink(lines.append))
    }
    logger[metadataKey: "node"] = "node-1"
    logger.trace("hidden")
    logger.debug(
      "listening \"now\"", metadata: ["port": "7200", "peers": ["a", "b"], "tls": ["alpn": "h2"]])
    #expect(lines.all.count == 1)
    let object = try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as! [String: Any]
    #expect(Set(object.keys) == ["timestamp", "level", "label", "message", "metadata"])
    #expect(object["level"] as? String == "debug" && object["label"] as? String == "sehc.test")
    #expect(object["message"] as? String == "listening \"now\"")
    let metadata = object["metadata"] as! [String: Any]
    #expect(metadata["node"] as? String == "node-1" && metadata["port"] as? String == "7200")
    #expect(metadata["peers"] as? [String] == ["a", "b"])
    #expect((metadata["tls"] as? [String: String]) == ["alpn": "h2"])
    let timestamp = object["timestamp"] as! String
    #expect(timestamp.hasSuffix("Z") && timestamp.contains("."))
    #expect(!lines.all[0].contains("\n"))
  }

  @Test("text: time, level, label, message, sorted key=value")
  func text() {
    let lines = Lines()
    let logger = Logger(label: "sehc.node") { label in
      LoggingBootstrap.handler(label: label, config: LoggingConfig(), sink: LogSink(lines.append))
    }
    logger.debug("hidden at info")
    logger.warning("peer lost", metadata: ["peer": "node-2", "reason": "timed out"])
    #expect(lines.all.count == 1)
    let line = lines.all[0]
    #expect(line.hasSuffix(" warning sehc.node: peer lost peer=node-2 reason=\"timed out\""), "\(line)")
    #expect(line.prefix(24).hasSuffix("Z"))
  }
}

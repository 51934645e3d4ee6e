import NIOHTTP1
import Prometheus

/// What the metrics endpoint answers, apart from HTTP plumbing.
struct MetricsRoutes: Sendable {
  /// A response.
  struct Reply {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []
  }

  let registry: PrometheusCollectorRegistry
  let health: HealthStatusRegistry

  /// The reply to `method` on `uri` (the query string is ignored).
  func reply(method: HTTPMethod, uri: String) -> Reply {
    let path =
      uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
    let text = "text/plain; charset=utf-8"
    guard path == "/metrics" || path == "/healthz" else {
      return Reply(
        status: .notFound, contentType: text, body: Array("not found: try /metrics or /healthz\n".utf8))
    }
    guard method == .GET || method == .HEAD else {
      return Reply(
        status: .methodNotAllowed, contentType: text, body: Array("method not allowed: use GET\n".utf8),
        extraHeaders: [("Allow", "GET, HEAD")])
    }
    if path == "/metrics" {
      return Reply(
        status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
    }
    let serving = health.status(for: "") == .serving
    return Reply(
      status: serving ? .ok : .serviceUnavailable, contentType: text,
      body: Array((serving ? "ok\n" : "not serving\n").utf8))
  }
}

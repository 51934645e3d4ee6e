import NIOCore
import NIOPosix

/// Asks a node's metrics endpoint `GET /healthz` (plain HTTP/1.1 on loopback) whether it serves.
public enum HealthProbe {
  /// The answer of one probe.
  public enum Answer: Sendable, Equatable {
    /// 200: the node serves.
    case serving
    /// Another status line, e.g. `HTTP/1.1 503 Service Unavailable`.
    case notServing(String)
    /// Nothing listens there, or the connection failed.
    case unreachable(String)
  }

  /// Probes `host:port` once.
  public static func probe(host: String, port: Int) async -> Answer {
    do {
      let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connectTimeout(.seconds(2))
        .connect(host: host, port: port) { channel in
          channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
          }
        }
      var text = ""
      do {
        try await channel.executeThenClose { inbound, outbound in
          try await outbound.write(
            ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"))
          for try await buffer in inbound { text += String(buffer: buffer) }
        }
      } catch  where !text.isEmpty {
        // The server closes after answering; a close racing ours ends the exchange.
      }
      let statusLine = text.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
      return statusLine.hasPrefix("HTTP/1.1 200")
        ? .serving : .notServing(statusLine.isEmpty ? "no answer" : statusLine)
    } catch {
      return .unreachable("\(error)")
    }
  }

  /// Whether something accepts TCP connections on `host:port`.
  public static func isListening(host: String, port: Int) async -> Bool {
    do {
      let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connectTimeout(.milliseconds(500))
        .connect(host: host, port: port).get()
      try await channel.close()
      return true
    } catch {
      return false
    }
  }
}

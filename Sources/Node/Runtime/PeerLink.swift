import ChainCrypto
import Foundation
import GRPCCore
import Logging
import Metrics
import RPC
import Synchronization
import TLS
import Wire

/// This validator's connection to one other validator over mutual TLS: one gRPC client (one HTTP/2
/// connection, re-established with backoff by `RPCClientTransport`) carrying the long-lived `Exchange`
/// stream that takes this validator's consensus messages to the peer in batches, and the sync and chunk
/// calls made to that peer.
///
/// Each validator dials every other one and sends only on the streams it opened; what a peer sends
/// arrives on the stream that peer opened to this validator's server. Both directions of the wire stream
/// exist, but using one per link direction keeps every stream single-writer and lets either side
/// restart without the other re-dialling.
final class PeerLink: Sendable {
  let address: Address
  let name: String
  let queue: OutboundQueue
  let client: GRPCClient<RPCClientTransport>
  private let logger: Logger
  private let tasks = Mutex<[Task<Void, Never>]>([])
  private let droppedCounter: Counter
  private let sentCounter: Counter

  init(
    validator: ValidatedGenesis.Validator, tls: TLSConfiguration, queueLimit: Int, logger: Logger
  ) throws(TLSError) {
    address = validator.address
    name = validator.name
    queue = OutboundQueue(limit: queueLimit)
    var config = RPCClientTransport.Config()
    config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
    config.connectTimeout = .seconds(5)
    config.maxRequestMessageBytes = PeerLimits.maxMessageBytes
    config.maxResponseMessageBytes = PeerLimits.maxMessageBytes
    config.keepalive = .init(time: .seconds(10), timeout: .seconds(5), allowWithoutCalls: true)
    let transport = try RPCClientTransport(
      host: validator.peerEndpoint.host, port: validator.peerEndpoint.port, tls: tls, config: config)
    client = GRPCClient(transport: transport)
    var logger = logger
    logger[metadataKey: "peer"] = "\(validator.name)"
    self.logger = logger
    droppedCounter = Counter(
      label: "sehc_peer_messages_dropped_total", dimensions: [("peer", validator.name)])
    sentCounter = Counter(label: "sehc_peer_messages_sent_total", dimensions: [("peer", validator.name)])
  }

  /// The generated Peer client over this link's connection.
  var peer: Peer.Client<RPCClientTransport> { Peer.Client(wrapping: client) }

  /// Starts the connection and the Exchange stream.
  func start() {
    let client = self.client
    let connections = Task { _ = try? await client.runConnections() }
    let pump = Task { [self] in await self.pump() }
    tasks.withLock { $0 += [connections, pump] }
  }

  /// Queues a message for the peer.
  func send(_ message: ConsensusMessage) {
    if !queue.push(message) { droppedCounter.increment() }
  }

  /// Closes the queue and the connection.
  func stop() async {
    queue.close()
    client.beginGracefulShutdown()
    let running = tasks.withLock { $0 }
    running.last?.cancel()
    for task in running { await task.value }
  }

  /// Keeps one Exchange stream open, feeding it the queue, re-opening it after a failure with backoff.
  private func pump() async {
    var delay = Duration.milliseconds(100)
    while !queue.isClosed && !Task.isCancelled {
      let opened = ContinuousClock.now
      do {
        let queue = self.queue
        let sent = sentCounter
        try await peer.exchange(
          requestProducer: { writer in
            while let batch = await queue.nextBatch() {
              try await writer.write(ConsensusBatch(messages: batch))
              sent.increment(by: batch.count)
            }
          },
          onResponse: { response in
            for try await _ in response.messages {}
          })
      } catch {
        logger.debug("exchange stream ended", metadata: ["error": "\(error)"])
      }
      if queue.isClosed || Task.isCancelled { return }
      if ContinuousClock.now - opened > .seconds(5) { delay = .milliseconds(100) }
      try? await Task.sleep(for: delay)
      delay = min(delay * 2, .seconds(2))
    }
  }
}

/// Limits of the peer port.
enum PeerLimits {
  /// The largest message on the peer port (a batch may carry a full block).
  static let maxMessageBytes = 64 << 20
  /// How long a sync or chunk call may take.
  static let callTimeout = Duration.seconds(10)
}

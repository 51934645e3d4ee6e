import ChainCrypto
import Foundation
import Logging
import TLS

/// Everything a ``NodeRuntime`` is built from: the network, this validator's key and node certificate,
/// where it listens for peers and where it keeps its data.
public struct NodeRuntimeConfiguration: Sendable {
  /// The network's genesis, checked.
  public var genesis: ValidatedGenesis
  /// This validator's Ed25519 key (its address must be a genesis validator's).
  public var validatorKey: Ed25519.PrivateKey
  /// The node certificate (PEM, UID = the validator id), presented on the peer port and when dialling.
  public var peerCertificatePEM: String
  /// The certificate's private key (PEM).
  public var peerKeyPEM: String
  /// The consortium CA (PEM) that peers' certificates must chain to.
  public var caPEM: String
  /// Where the peer port listens (port 0 picks a free port; see ``NodeRuntime/peerPort``).
  public var peerListen: Endpoint
  /// Where the ledger (`ledger.sqlite`), the consensus journal (`consensus.sqlite`) and the blobs
  /// (`blobs/`) are kept.
  public var dataDirectory: String
  /// The mempool's bounds.
  public var mempool: MempoolConfig
  /// Where the runtime logs.
  public var logger: Logger

  public init(
    genesis: ValidatedGenesis, validatorKey: Ed25519.PrivateKey, peerCertificatePEM: String,
    peerKeyPEM: String,
    caPEM: String, peerListen: Endpoint, dataDirectory: String, mempool: MempoolConfig = MempoolConfig(),
    logger: Logger = Logger(label: "sehc.node")
  ) {
    self.genesis = genesis
    self.validatorKey = validatorKey
    self.peerCertificatePEM = peerCertificatePEM
    self.peerKeyPEM = peerKeyPEM
    self.caPEM = caPEM
    self.peerListen = peerListen
    self.dataDirectory = dataDirectory
    self.mempool = mempool
    self.logger = logger
  }

  /// The runtime configuration of a node configuration file: reads the validator key and the peer
  /// certificate, key and CA it names.
  public init(config: NodeConfig, genesis: ValidatedGenesis, logger: Logger) throws(NodeRuntimeError) {
    func read(_ path: String, _ key: String) throws(NodeRuntimeError) -> String {
      do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw .configuration("\(key): cannot read \(path): \(error.localizedDescription)")
      }
    }
    let key: Ed25519.PrivateKey
    do { key = try Ed25519.PrivateKey(contentsOfFile: config.validatorKeyFile) } catch {
      throw .configuration("validator_key: \(config.validatorKeyFile): \(error)")
    }
    self.init(
      genesis: genesis, validatorKey: key,
      peerCertificatePEM: try read(config.peer.certificate, "peer.certificate"),
      peerKeyPEM: try read(config.peer.key, "peer.key"), caPEM: try read(config.peer.ca, "peer.ca"),
      peerListen: config.peer.listen, dataDirectory: config.dataDirectory, mempool: config.mempool,
      logger: logger)
  }
}

/// Why a runtime cannot start or a call on it failed.
public enum NodeRuntimeError: Error, Sendable, CustomStringConvertible {
  /// A configuration problem: a file, a key, a certificate that does not fit.
  case configuration(String)
  /// The ledger, journal or blob store could not be opened or written.
  case storage(String)
  /// The peer port could not be served.
  case network(String)

  public var description: String {
    switch self {
    case .configuration(let text), .storage(let text), .network(let text): text
    }
  }
}

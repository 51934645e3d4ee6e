import ChainCrypto
import Foundation
import Wire

/// A genesis that passed every check, with what the node needs from it decoded: the effective
/// parameters, the validators' keys, addresses and endpoints, and the consortium CA.
public struct ValidatedGenesis: Sendable {
  /// A validator of the genesis.
  public struct Validator: Sendable, Hashable {
    /// Its position in `Genesis.validators` (its bit in RChain signer bitmaps).
    public var index: Int
    /// Its name (the CN of its node certificate).
    public var name: String
    /// Its Ed25519 key.
    public var publicKey: Ed25519.PublicKey
    /// Its address: the validator id.
    public var address: Address
    /// Its Peer service.
    public var peerEndpoint: Endpoint
    /// Its HealthChain service.
    public var clientEndpoint: Endpoint
    /// Its initial reputation in ppm (the default applied).
    public var initialReputationPPM: UInt32
  }

  /// The genesis as read.
  public let genesis: Genesis
  /// The effective consensus parameters (``GenesisDefaults/effective(_:)``).
  public let params: ConsensusParams
  /// The validators, in bitmap order.
  public let validators: [Validator]
  /// The consortium CA certificate.
  public let caCertificate: Certificate
  /// SHA-256 of the serialized `Genesis`: the root of epoch 0's shard seed.
  public let hash: SHA256Digest

  /// The network's name.
  public var chainID: String { genesis.chainID }
  /// The number of shards.
  public var shardCount: UInt32 { params.shardCount }

  /// The validator called `name`.
  public func validator(named name: String) -> Validator? { validators.first { $0.name == name } }

  /// The validator with `address`.
  public func validator(address: Address) -> Validator? { validators.first { $0.address == address } }

  /// The largest genesis file read.
  static let maxFileBytes = 16 << 20

  /// Reads and checks a genesis file (canonical JSON of `Genesis`, as `sehc genesis` writes it).
  public static func load(path: String) throws(GenesisError) -> ValidatedGenesis {
    let text: String
    do {
      let url = URL(fileURLWithPath: path)
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
      guard size <= maxFileBytes else {
        throw GenesisError(
          file: path, field: nil, problem: "is \(size) bytes; a genesis file is at most 16 MiB")
      }
      guard let decoded = String(data: try Data(contentsOf: url), encoding: .utf8) else {
        throw GenesisError(file: path, field: nil, problem: "is not UTF-8 text")
      }
      text = decoded
    } catch let error as GenesisError {
      throw error
    } catch {
      let problem =
        FileManager.default.fileExists(atPath: path)
        ? "cannot be read (\(error.localizedDescription))"
        : "no such file; write one with: sehc genesis ... --out \(path)"
      throw GenesisError(file: path, field: nil, problem: problem)
    }
    let genesis: Genesis
    do {
      genesis = try Genesis(jsonString: text)
    } catch {
      throw GenesisError(file: path, field: nil, problem: "not a sehc.v1.Genesis in proto3 JSON: \(error)")
    }
    do {
      return try ValidatedGenesis(genesis)
    } catch {
      throw error.inFile(path)
    }
  }

  /// Checks `genesis`: chain id, time, parameters, validators (names, keys, endpoints, at least one
  /// per shard), participants and CA.
  public init(_ genesis: Genesis) throws(GenesisError) {
    if let problem = ChainID.problem(genesis.chainID) {
      throw GenesisError(field: "chain_id", problem: problem)
    }
    guard genesis.genesisTimeMs > 0 else {
      throw GenesisError(
        field: "genesis_time_ms", problem: "missing; set the network's start in ms since 1970")
    }
    let params = GenesisDefaults.effective(genesis.params)
    try GenesisChecks.params(params, validatorCount: genesis.validators.count)
    self.validators = try GenesisChecks.validators(genesis.validators, params: params)
    try GenesisChecks.participants(genesis.participants)
    self.caCertificate = try GenesisChecks.ca(genesis.caCertificatePem)
    self.genesis = genesis
    self.params = params
    do {
      self.hash = SHA256.hash(try genesis.serializedData())
    } catch {
      throw GenesisError(field: nil, problem: "cannot be serialized: \(error)")
    }
  }
}

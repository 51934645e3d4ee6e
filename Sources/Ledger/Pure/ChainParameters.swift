import ChainCrypto
import Foundation
import Wire

/// What every shard's ledger needs from the genesis: the network, the number of shards, the size
/// limits, and the genesis participants that may co-sign registrations. Built once from `Genesis`
/// (zero fields take the defaults of genesis.proto).
public struct ChainParameters: Sendable, Hashable {
  /// The network name (Genesis.chain_id).
  public var chainID: String
  /// The number of shards k.
  public var shardCount: UInt32
  /// Most bytes of one serialized SignedTransaction.
  public var maxTransactionBytes: Int
  /// Most entries in one TBlock.
  public var maxBlockEntries: Int
  /// Most bytes of entries in one TBlock.
  public var maxBlockBytes: Int
  /// Genesis participants by address: the authorities that co-sign registrations
  /// (RegisterParticipant's rule reads roles from here, never from later state).
  public var authorities: [Address: Role]

  /// The chunk size of every blob manifest (1 MiB).
  public static let chunkSize = 1 << 20
  /// The largest blob (4 GiB).
  public static let maxBlobSize: UInt64 = 4 << 30

  /// Default `max_transaction_bytes` (64 KiB).
  public static let defaultMaxTransactionBytes = Int(GenesisDefaults.consensus.maxTransactionBytes)
  /// Default `max_block_entries`.
  public static let defaultMaxBlockEntries = Int(GenesisDefaults.consensus.maxBlockEntries)
  /// Default `max_block_bytes` (8 MiB).
  public static let defaultMaxBlockBytes = Int(GenesisDefaults.consensus.maxBlockBytes)
  /// Default `shard_count`.
  public static let defaultShardCount = GenesisDefaults.consensus.shardCount

  /// Parameters given directly (tests and the simulator).
  public init(
    chainID: String, shardCount: UInt32, maxTransactionBytes: Int = defaultMaxTransactionBytes,
    maxBlockEntries: Int = defaultMaxBlockEntries, maxBlockBytes: Int = defaultMaxBlockBytes,
    authorities: [Address: Role] = [:]
  ) {
    self.chainID = chainID
    self.shardCount = shardCount
    self.maxTransactionBytes = maxTransactionBytes
    self.maxBlockEntries = maxBlockEntries
    self.maxBlockBytes = maxBlockBytes
    self.authorities = authorities
  }

  /// The parameters of `genesis`, with defaults for zero fields. Throws when the genesis is unusable:
  /// a bad chain id, fewer validators than shards, a participant key that is not an Ed25519 key.
  public init(genesis: Genesis) throws {
    try GenesisCheck.chainID(genesis.chainID)
    let params = GenesisDefaults.effective(genesis.params)
    let shardCount = params.shardCount
    guard genesis.validators.count >= Int(shardCount) else {
      throw LedgerError.invalidGenesis(
        "\(genesis.validators.count) validators for \(shardCount) shards: every shard needs one")
    }
    var authorities: [Address: Role] = [:]
    for (index, participant) in genesis.participants.enumerated() {
      let key: Ed25519.PublicKey
      do {
        key = try Ed25519.PublicKey(rawRepresentation: participant.publicKey)
      } catch {
        throw LedgerError.invalidGenesis("participants[\(index)].public_key: \(error)")
      }
      guard participant.role.isAssignable else {
        throw LedgerError.invalidGenesis("participants[\(index)].role: \(participant.role) is not a role")
      }
      guard authorities[key.address] == nil else {
        throw LedgerError.invalidGenesis("participants[\(index)]: \(key.address) is listed twice")
      }
      authorities[key.address] = participant.role
    }
    self.init(
      chainID: genesis.chainID, shardCount: shardCount,
      maxTransactionBytes: Int(params.maxTransactionBytes),
      maxBlockEntries: Int(params.maxBlockEntries),
      maxBlockBytes: Int(clamping: params.maxBlockBytes),
      authorities: authorities)
  }

  /// The shard of `address` under these parameters.
  public func shard(of address: Address) -> UInt32 {
    Ledger.shard(of: address, shardCount: shardCount)
  }
}

extension Role {
  /// One of the six roles (not unspecified, not an unknown number).
  public var isAssignable: Bool {
    switch self {
    case .patient, .clinician, .hospital, .lab, .auditor, .admin: true
    case .unspecified, .unrecognized: false
    }
  }
}

enum GenesisCheck {
  static func chainID(_ chainID: String) throws {
    let bytes = Array(chainID.utf8)
    guard (1...64).contains(bytes.count),
      bytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d })
    else {
      throw LedgerError.invalidGenesis("chain_id \"\(chainID)\" must be 1 to 64 bytes of [a-z0-9-]")
    }
  }
}

import ChainCrypto
import Foundation

/// What checking a certificate or a receipt proof needs to know about the network: its chain id and
/// shard count, the members of a shard in an epoch, the validators' keys and the signature scheme.
public struct ProofContext: Sendable {
  /// The network's chain id.
  public let chainID: String
  /// Number of shards.
  public let shardCount: UInt32
  /// The validators.
  public let validators: ValidatorSet
  /// The signature scheme.
  public let scheme: any SignatureScheme
  /// The members of `shard` in `epoch` (leader order), nil when the epoch's assignment is unknown.
  public let members: @Sendable (_ shard: UInt32, _ epoch: UInt64) -> [Address]?

  public init(
    chainID: String, shardCount: UInt32, validators: ValidatorSet, scheme: any SignatureScheme,
    members: @escaping @Sendable (UInt32, UInt64) -> [Address]?
  ) {
    self.chainID = chainID
    self.shardCount = shardCount
    self.validators = validators
    self.scheme = scheme
    self.members = members
  }

  /// The public key of validator `address`.
  public func publicKey(_ address: Address) -> Data? { validators.publicKey(of: address) }
}

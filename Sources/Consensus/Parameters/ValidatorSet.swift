import ChainCrypto
import Foundation
import Wire

/// One validator of the genesis.
public struct ValidatorInfo: Sendable, Hashable {
  /// Its position in `Genesis.validators`: its bit in RChain signer bitmaps.
  public let index: Int
  /// Its id: the address of its public key.
  public let address: Address
  /// Its raw public key.
  public let publicKey: Data
  /// Its reputation at genesis, in ppm.
  public let initialReputation: UInt32
}

/// The validators of a network, in genesis order, with lookups by address.
public struct ValidatorSet: Sendable {
  /// The validators in genesis (bitmap) order.
  public let all: [ValidatorInfo]
  private let indexByAddress: [Address: Int]

  /// The validators of `genesis`, whose reputation defaults to `initial`.
  public init(genesis: Genesis, initial: Int64) {
    all = genesis.validators.enumerated().map { index, validator in
      ValidatorInfo(
        index: index, address: Address(publicKeyBytes: validator.publicKey), publicKey: validator.publicKey,
        initialReputation: validator.initialReputationPPM == 0 ? UInt32(initial) : validator.initialReputationPPM)
    }
    var indexByAddress: [Address: Int] = [:]
    for info in all { indexByAddress[info.address] = info.index }
    self.indexByAddress = indexByAddress
  }

  /// The number of validators n.
  public var count: Int { all.count }

  /// The validator with `address`, if any.
  public subscript(address: Address) -> ValidatorInfo? {
    indexByAddress[address].map { all[$0] }
  }

  /// Whether `address` is a validator.
  public func contains(_ address: Address) -> Bool { indexByAddress[address] != nil }

  /// The public key of `address`, if it is a validator.
  public func publicKey(of address: Address) -> Data? { self[address]?.publicKey }

  /// The validator whose public key is `publicKey`, if any.
  public func validator(withPublicKey publicKey: Data) -> ValidatorInfo? {
    self[Address(publicKeyBytes: publicKey)].flatMap { $0.publicKey == publicKey ? $0 : nil }
  }

  /// Every address, in genesis order.
  public var addresses: [Address] { all.map(\.address) }
}

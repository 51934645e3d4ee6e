import ChainCrypto
import Foundation
import Ledger
import Wire

/// A user of this node, as the ``UserStore`` keeps it (without its secrets).
public struct StoredUser: Sendable, Hashable {
  /// The login name.
  public var username: String
  /// The participant's role.
  public var role: Role
  /// The participant's Ed25519 key.
  public var publicKey: Ed25519.PublicKey
  /// The organisation.
  public var organisation: String
  /// The display name.
  public var displayName: String
  /// True when the node holds the user's signing key.
  public var custodial: Bool
  /// When the user was created (ms since 1970).
  public var createdAtMs: UInt64

  /// The participant's address.
  public var address: Address { publicKey.address }

  /// The user as the client API returns it, with its shard among `shardCount`.
  public func wire(shardCount: UInt32) -> User {
    User(
      username: username, role: role, address: address.rawRepresentation, organisation: organisation,
      displayName: displayName, custodial: custodial, shard: Ledger.shard(of: address, shardCount: shardCount)
    )
  }
}

/// A user to create.
public struct NewUser: Sendable {
  /// Where the user's signing key comes from.
  public enum Key: Sendable {
    /// A fresh key, held by the node (custodial).
    case generate
    /// This key, held by the node (custodial); for example a genesis participant's.
    case custodial(Ed25519.PrivateKey)
    /// Only the public key: the client holds the private key and signs its own transactions.
    case external(Ed25519.PublicKey)
  }

  /// The login name: 3 to 64 bytes of `[a-z0-9._-]`.
  public var username: String
  /// The password: 8 to 1024 bytes.
  public var password: String
  /// The role (not unspecified).
  public var role: Role
  /// The organisation: 1 to 128 bytes.
  public var organisation: String
  /// The display name: at most 128 bytes.
  public var displayName: String
  /// The signing key.
  public var key: Key

  /// A user to create.
  public init(
    username: String, password: String, role: Role, organisation: String, displayName: String = "",
    key: Key = .generate
  ) {
    self.username = username
    self.password = password
    self.role = role
    self.organisation = organisation
    self.displayName = displayName
    self.key = key
  }
}

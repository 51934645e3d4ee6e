import ChainCrypto
import Foundation
import Ledger
import Wire

/// What every handler of the client API shares: the backend, the users and tokens, the settings,
/// the clock, and the node's own bookkeeping of pending transactions, sender locks and uploads.
final class APIContext: Sendable {
  let backend: any ChainBackend
  let authenticator: Authenticator
  let uploads: UploadRegistry
  let configuration: HealthChainConfiguration
  let parameters: ChainParameters
  let pending: PendingTransactions
  let locks = SenderLocks()
  private let clock: @Sendable () -> Date

  init(
    backend: any ChainBackend, authenticator: Authenticator, uploads: UploadRegistry,
    configuration: HealthChainConfiguration, clock: @escaping @Sendable () -> Date
  ) throws {
    self.backend = backend
    self.authenticator = authenticator
    self.uploads = uploads
    self.configuration = configuration
    self.clock = clock
    parameters = try ChainParameters(genesis: backend.genesis.genesis)
    pending = PendingTransactions(lifetimeMs: configuration.pendingLifetimeMs)
  }

  var genesis: ValidatedGenesis { backend.genesis }
  var ledger: LedgerStore { backend.ledger }
  var blobs: BlobStore { backend.blobs }
  var users: UserStore { authenticator.users }
  var shardCount: UInt32 { backend.genesis.shardCount }

  /// Now, in ms since 1970.
  var nowMs: UInt64 { UInt64(max(0, clock().timeIntervalSince1970 * 1000)) }

  /// The shard of `address`.
  func shard(of address: Address) -> UInt32 { Ledger.shard(of: address, shardCount: shardCount) }

  /// Whether this node holds `shard`'s state.
  func holds(_ shard: UInt32) async -> Bool { await backend.heldShards().contains(shard) }

  /// Throws FAILED_PRECONDITION, naming the members to ask, unless this node holds `shard`: what
  /// `what` needs lives there.
  func requireHeld(_ shard: UInt32, for what: String) async throws {
    let held = await backend.heldShards()
    guard !held.contains(shard) else { return }
    let assignment = await backend.currentAssignment()
    let members = assignment.shards.first { $0.shard == shard }?.members ?? []
    let endpoints = members.compactMap { bytes -> String? in
      guard let address = try? Address(rawRepresentation: bytes),
        let validator = genesis.validator(address: address)
      else { return nil }
      return "\(validator.name) (\(validator.clientEndpoint))"
    }
    let list = endpoints.isEmpty ? "" : ": call one of its members: " + endpoints.joined(separator: ", ")
    throw APIError.precondition(
      "\(what) lives in shard \(shard); this node holds shard(s) \(held.map(String.init).joined(separator: ", "))"
        + list)
  }

  /// The committed state of `shard` (which this node must hold).
  func state(_ shard: UInt32) -> StoredState { StoredState(store: ledger, shard: shard) }

  /// The user of this node that the caller's token names; FAILED_PRECONDITION for a user of another
  /// node.
  func localUser(_ principal: Principal) throws -> StoredUser {
    let user: StoredUser?
    do { user = try users.user(named: principal.username) } catch { throw error.rpcError }
    guard let user, user.address == principal.address else {
      throw APIError.precondition(
        "user \"\(principal.username)\" belongs to another node: call that node, or sign the transaction "
          + "yourself and use SubmitTransaction")
    }
    return user
  }

  /// The caller's custodial signing key.
  func signingKey(_ principal: Principal) throws -> Ed25519.PrivateKey {
    let user = try localUser(principal)
    do { return try users.signingKey(for: user.username) } catch { throw error.rpcError }
  }
}

import ChainCrypto
import Foundation
import GRPCCore
import Wire

/// Login, the current user, users and passwords.
extension HealthChainService {
  public func login(request: LoginRequest, context: ServerContext) async throws -> LoginResponse {
    try await self.context.authenticator.login(request)
  }

  public func whoAmI(request: WhoAmIRequest, context: ServerContext) async throws -> User {
    try self.context.authenticator.whoAmI()
  }

  public func changePassword(request: ChangePasswordRequest, context: ServerContext) async throws
    -> ChangePasswordResponse
  {
    try await self.context.authenticator.changePassword(request)
    return ChangePasswordResponse()
  }

  /// Creates a custodial user and registers it on chain, co-signed by the calling admin's custodial
  /// key (the ledger requires a genesis authority as co-signer). The user's key is drawn so that its
  /// account lives in a shard this node holds, where the node sees its transactions commit. The user
  /// is stored only once the registration passed the ledger's checks.
  public func createUser(request: CreateUserRequest, context: ServerContext) async throws
    -> CreateUserResponse
  {
    let principal = try Principal.required()
    let commitment = try Inputs.commitment(request.waitFor)
    let api = self.context
    if let problem = Credentials.usernameProblem(request.username) { throw APIError.invalid(problem) }
    if let problem = Credentials.passwordProblem(request.password) { throw APIError.invalid(problem) }
    if (try? api.users.user(named: request.username)) != nil {
      throw UserStoreError.userExists(request.username).rpcError
    }
    let authority = try api.signingKey(principal)
    let key = try await newKey()
    let registration = RegisterParticipant(
      role: request.role, organisation: request.organisation, displayName: request.displayName)
    let user = NewUser(
      username: request.username, password: request.password, role: request.role,
      organisation: request.organisation, displayName: request.displayName, key: .custodial(key))
    let response: TransactionResponse
    do {
      response = try await pipeline.submit(
        .registerParticipant(registration), signer: key, cosigner: authority, nonce: 1, waitFor: commitment,
        prepare: {
          do { try await api.users.create(user) } catch let error as UserStoreError { throw error.rpcError }
        })
    } catch {
      // The registration was not submitted, or its shard rejected it: the user must not stay.
      if let stored = try? api.users.user(named: user.username), stored.publicKey == key.publicKey {
        try? api.users.remove(username: user.username)
      }
      throw error
    }
    let stored = try api.localUser(
      Principal(
        username: user.username, role: user.role, address: key.address, shard: api.shard(of: key.address),
        issuer: principal.issuer, tokenID: "", issuedAt: Date(), expiresAt: Date()))
    return CreateUserResponse(user: stored.wire(shardCount: api.shardCount), registration: response)
  }

  /// A fresh key whose address lives in a shard this node holds (any shard if it holds none).
  private func newKey() async throws -> Ed25519.PrivateKey {
    let held = Set(await context.backend.heldShards())
    do {
      var key = try Ed25519.PrivateKey()
      var draws = 1
      while !held.isEmpty, !held.contains(context.shard(of: key.address)), draws < 256 {
        key = try Ed25519.PrivateKey()
        draws += 1
      }
      return key
    } catch {
      throw APIError.internal("making a key", cause: error)
    }
  }
}

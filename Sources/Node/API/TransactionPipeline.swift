import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Wire

/// Gets transactions into the chain for the client API: signs custodial ones with the next nonce,
/// checks every transaction against the ledger's form rules and, when this node holds the sender's
/// shard, against its state rules (after the sender's pending transactions), so that a transaction the
/// chain would refuse is refused here with the ledger's reason and never submitted; then submits it and
/// waits for the commitment asked for.
struct TransactionPipeline {
  let context: APIContext

  /// Signs `payload` for `key` (the caller's custodial key, or a new user's), with a co-signature by
  /// `cosigner` if given, and submits it. `nonce` skips the lookup for a sender known to be new.
  /// `prepare` runs once the transaction passed every check, before it is submitted (storing the
  /// content a record names, creating the user a registration is for); if it throws, nothing is
  /// submitted.
  func submit(
    _ payload: TransactionBody.Payload, signer key: Ed25519.PrivateKey, cosigner: Ed25519.PrivateKey? = nil,
    nonce knownNonce: UInt64? = nil, waitFor: Commitment, timeoutMs: UInt32 = 0,
    chunks: (any ChunkAvailability)? = nil, prepare: (@Sendable () async throws -> Void)? = nil
  ) async throws -> TransactionResponse {
    let sender = key.address
    let (id, home) = try await context.locks.withLock(sender) {
      let (pending, committed) = try await pendingEntries(
        of: sender, committedNonce: knownNonce.map { $0 - 1 })
      let nonce = (pending.last?.nonce ?? committed) + 1
      let transaction = try sign(payload, key: key, cosigner: cosigner, nonce: nonce)
      return try await admit(transaction, after: pending, chunks: chunks, prepare: prepare)
    }
    return try await wait(for: id, home: home, until: waitFor, timeoutMs: timeoutMs)
  }

  /// Submits a transaction the client signed.
  func submit(_ transaction: SignedTransaction, waitFor: Commitment, timeoutMs: UInt32) async throws
    -> TransactionResponse
  {
    let id = SHA256.hash(transaction.body).data
    let checked: CheckedTransaction
    do { checked = try TransactionChecks.check(transaction, parameters: context.parameters) } catch {
      context.pending.refuse(id, reason: error.description)
      throw APIError.rejected(id, error)
    }
    let (_, home) = try await context.locks.withLock(checked.sender) {
      let pending =
        await context.holds(context.shard(of: checked.sender))
        ? try await pendingEntries(of: checked.sender, committedNonce: nil).pending : []
      return try await admit(transaction, after: pending, chunks: context.blobs)
    }
    return try await wait(for: id, home: home, until: waitFor, timeoutMs: timeoutMs)
  }

  /// The form rule `payload` breaks, whoever signs it, or nil.
  func formRejection(_ payload: TransactionBody.Payload) throws -> Rejection? {
    let key: Ed25519.PrivateKey
    do { key = try Ed25519.PrivateKey() } catch { throw APIError.internal("making a key", cause: error) }
    let transaction = try sign(payload, key: key, cosigner: nil, nonce: 1)
    do { _ = try TransactionChecks.check(transaction, parameters: context.parameters) } catch { return error }
    return nil
  }

  /// The verdict the next block of the sender's shard would give `payload` signed by `key`, submitting
  /// nothing; nil when this node does not hold that shard. For checks before work that the transaction
  /// needs (an upload).
  func probe(_ payload: TransactionBody.Payload, signer key: Ed25519.PrivateKey) async throws -> Rejection? {
    let sender = key.address
    let home = context.shard(of: sender)
    let (pending, committed) = try await pendingEntries(of: sender, committedNonce: nil)
    let transaction = try sign(
      payload, key: key, cosigner: nil, nonce: (pending.last?.nonce ?? committed) + 1)
    do { _ = try TransactionChecks.check(transaction, parameters: context.parameters) } catch { return error }
    guard await context.holds(home) else { return nil }
    return try await verdict(of: transaction, after: pending, shard: home, chunks: nil)
  }

  // MARK: - Steps

  /// The sender's transactions this node submitted and that are still pending, in nonce order, and the
  /// sender's committed nonce (the next transaction's nonce follows the last pending one, or this).
  private func pendingEntries(of sender: Address, committedNonce known: UInt64?) async throws
    -> (pending: [PendingTransactions.Entry], committed: UInt64)
  {
    let (ledger, backend) = (context.ledger, context.backend)
    let (pending, committed) = try await context.pending.pending(
      of: sender, nowMs: context.nowMs,
      isDecided: { id in (try? ledger.transactionStatus(id: id)) != nil },
      committedNonce: {
        if let known { return known }
        do throws(ChainBackendError) {
          return try await backend.account(sender)?.nonce ?? 0
        } catch {
          throw error.rpcError
        }
      })
    return (pending, committed)
  }

  private func sign(
    _ payload: TransactionBody.Payload, key: Ed25519.PrivateKey, cosigner: Ed25519.PrivateKey?, nonce: UInt64
  ) throws -> SignedTransaction {
    let body = TransactionBody(
      chainID: context.genesis.chainID, sender: key.address.rawRepresentation, nonce: nonce,
      createdAtMs: context.nowMs, payload: payload)
    do {
      let bytes = try body.serializedData()
      var signatures = [
        Signature(
          publicKey: key.publicKey.rawRepresentation,
          signature: try key.sign(domain: .transaction, message: bytes))
      ]
      if let cosigner {
        signatures.append(
          Signature(
            publicKey: cosigner.publicKey.rawRepresentation,
            signature: try cosigner.sign(domain: .transaction, message: bytes)))
      }
      return SignedTransaction(body: bytes, signatures: signatures)
    } catch {
      throw APIError.internal("signing the transaction", cause: error)
    }
  }

  /// Checks `transaction` and hands it to the backend; returns its id and home shard.
  private func admit(
    _ transaction: SignedTransaction, after pending: [PendingTransactions.Entry],
    chunks: (any ChunkAvailability)?, prepare: (@Sendable () async throws -> Void)? = nil
  ) async throws -> (Data, UInt32) {
    let id = SHA256.hash(transaction.body).data
    let checked: CheckedTransaction
    do { checked = try TransactionChecks.check(transaction, parameters: context.parameters) } catch {
      context.pending.refuse(id, reason: error.description)
      throw APIError.rejected(id, error)
    }
    let home = context.shard(of: checked.sender)
    if await context.holds(home),
      let rejection = try await verdict(of: transaction, after: pending, shard: home, chunks: chunks)
    {
      context.pending.refuse(id, reason: rejection.description)
      throw APIError.rejected(id, rejection)
    }
    let entry: Data
    do { entry = try TBlockEntry(entry: .transaction(transaction)).serializedData() } catch {
      throw APIError.internal("encoding the transaction", cause: error)
    }
    if let prepare {
      do { try await prepare() } catch { throw APIError.map(error, doing: "preparing the transaction") }
    }
    context.pending.add(
      .init(id: id, sender: checked.sender, nonce: checked.nonce, entry: entry, submittedAtMs: context.nowMs))
    do {
      try await context.backend.submit(transaction)
    } catch {
      context.pending.remove(id)
      if case .invalid(let reason) = error { context.pending.refuse(id, reason: reason) }
      throw error.rpcError
    }
    return (id, home)
  }

  /// The rejection the next block of `shard` would give `transaction` after `pending`, or nil.
  private func verdict(
    of transaction: SignedTransaction, after pending: [PendingTransactions.Entry], shard: UInt32,
    chunks: (any ChunkAvailability)?
  ) async throws -> Rejection? {
    do {
      let entries =
        pending.map(\.entry) + [try TBlockEntry(entry: .transaction(transaction)).serializedData()]
      let assignment = await context.backend.currentAssignment()
      let membership = try MembershipDirectory(
        validators: context.genesis.genesis.validators, assignments: [assignment])
      let (parameters, chainID, nowMs) = (context.parameters, context.genesis.chainID, context.nowMs)
      return try context.ledger.withSnapshot(shard: shard) { head, state in
        var header = TBlockHeader()
        header.chainID = chainID
        header.shard = shard
        header.epoch = assignment.epoch
        header.height = head.height + 1
        header.previousHash = head.hash
        header.entryCount = UInt32(entries.count)
        header.timestampMs = max(nowMs, head.timestampMs)
        header.parentStateRoot = head.stateRoot
        header.rblockHeight = head.rblockHeight
        let bytes = try header.serializedData()
        let blockContext = BlockContext(
          parameters: parameters, header: header, blockHash: SHA256.hash(bytes), membership: membership,
          chunks: chunks)
        return try LedgerExecutor.validate(entries: entries, context: blockContext, state: state).last?
          .rejection
      }
    } catch let error as RPCError {
      throw error
    } catch {
      throw APIError.internal("checking the transaction against the ledger", cause: error)
    }
  }

  // MARK: - Waiting

  /// Waits until `id` reached `commitment` (or was rejected, or the time ran out) and answers with its
  /// status then. A transaction found rejected by its shard fails the call with INVALID_ARGUMENT and the
  /// ledger's reason. The node observes commitment only in shards it holds: for another home shard the
  /// call returns at admission (PENDING).
  func wait(for id: Data, home: UInt32, until commitment: Commitment, timeoutMs: UInt32) async throws
    -> TransactionResponse
  {
    let status = try await TransactionWaiter(context: context).wait(
      for: id, until: (await context.holds(home)) ? commitment : .admitted, timeoutMs: timeoutMs)
    if status.state == .rejected {
      throw APIError.invalid("transaction \(id.hexString) rejected by shard \(home): \(status.reason)")
    }
    return TransactionResponse(txID: id, status: status)
  }
}

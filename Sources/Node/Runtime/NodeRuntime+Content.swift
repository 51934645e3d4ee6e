import ChainCrypto
import Consensus
import Foundation
import Ledger
import Wire

/// Content a member must hold to vote for a proposal's records: the ledger refuses a PutRecord or
/// PutImageManifest whose chunks the voter lacks (`chunks_missing`). A member that missed the upload's
/// replication (it was down, or joined the shard later) fetches the missing chunks first, from the
/// shard's other members and then from any validator, for at most half the election timeout, and votes
/// afterwards, as the simulator's voters do.
extension NodeRuntime {
  /// What became of a validation request.
  enum VoteDecision {
    /// The vote, now.
    case vote(ValidationResult)
    /// The vote follows, stepped in on its own, once the missing content is fetched.
    case afterFetchingContent
    /// No vote: the proposal does not extend the state this node holds.
    case abstain
  }

  /// Votes on `request` now, or after fetching the content of its records this node lacks.
  func validateFetchingContent(_ request: ValidationRequest) -> VoteDecision {
    let missing = ProposalContent.manifests(
      request.entries.compactMap(\.entry), checkedIn: request.shard, shardCount: parameters.shardCount
    ).filter { !blobs.hasAllChunks($0) }
    guard missing.isEmpty else {
      fetchContentThenValidate(request, missing: missing)
      return .afterFetchingContent
    }
    guard let valid = chain.validate(request) else { return .abstain }
    return .vote(ValidationResult(id: request.id, valid: valid))
  }

  private func fetchContentThenValidate(_ request: ValidationRequest, missing: [BlobManifest]) {
    // The shard's members first; then everyone else, for holders an epoch change moved elsewhere.
    let members = validator.assignment.members(of: request.shard).filter { $0 != nodeAddress }
    let others = genesis.validators.map(\.address).filter { $0 != nodeAddress && !members.contains($0) }
    let (network, blobs) = (self.network, self.blobs)
    let deadline = ContinuousClock.now + .milliseconds(Int64(genesis.params.electionTimeoutMs / 2))
    metrics.contentFetches.increment()
    logger.debug(
      "fetching content before voting",
      metadata: [
        "shard": "\(request.shard)", "height": "\(request.header.height)", "blobs": "\(missing.count)",
      ])
    Task {
      await Self.fetch(missing, from: members + others, network: network, blobs: blobs, until: deadline)
      self.validateAfterFetch(request)
    }
  }

  /// Imports every chunk of `manifests` that `blobs` lacks from the first of `peers` that gives it
  /// (checked against the manifest on import), until `deadline`.
  private static func fetch(
    _ manifests: [BlobManifest], from peers: [Address], network: PeerNetwork, blobs: BlobStore,
    until deadline: ContinuousClock.Instant
  ) async {
    for manifest in manifests {
      for index in manifest.chunkHashes.indices where ContinuousClock.now < deadline {
        guard !blobs.hasChunk(manifest, index: index),
          let replica = await network.fetchChunk(blobID: manifest.merkleRoot, index: index, peers: peers)
        else { continue }
        try? blobs.importChunk(replica, manifest: manifest)
      }
    }
  }

  private func validateAfterFetch(_ request: ValidationRequest) {
    guard state == .running else { return }
    chain.learnEpochs(from: validator)
    guard let valid = chain.validate(request) else { return }
    step(.validated(ValidationResult(id: request.id, valid: valid)))
  }
}

/// The content manifests of a proposal's records that the ledger checks in the shard voting on it: those
/// whose patient lives there (the record's target side, directly or inside a cross-shard receipt). The
/// author's shard, when it is another, does not check the content and is not sent it.
enum ProposalContent {
  static func manifests(_ entries: [TBlockEntry], checkedIn shard: UInt32, shardCount: UInt32)
    -> [BlobManifest]
  {
    entries.compactMap { entry in
      let record: (patient: Data, content: BlobManifest)?
      switch entry.entry {
      case .transaction(let transaction)?:
        record = content(of: transaction)
      case .receipt(let receipt)?:
        guard receipt.kind == .apply, let source = try? TBlockEntry(serializedBytes: receipt.sourceEntry),
          case .transaction(let transaction)? = source.entry
        else { return nil }
        record = content(of: transaction)
      case nil:
        record = nil
      }
      guard let record, Ledger.shard(ofAddressBytes: record.patient, shardCount: shardCount) == shard else {
        return nil
      }
      return record.content
    }
  }

  private static func content(of transaction: SignedTransaction) -> (patient: Data, content: BlobManifest)? {
    guard let body = try? TransactionBody(serializedBytes: transaction.body) else { return nil }
    let record: (patient: Data, content: BlobManifest?)
    switch body.payload {
    case .putRecord(let put)?: record = (put.patient, put.content)
    case .putImageManifest(let image)?: record = (image.patient, image.content)
    default: return nil
    }
    guard let content = record.content, !content.chunkHashes.isEmpty else { return nil }
    return (record.patient, content)
  }
}

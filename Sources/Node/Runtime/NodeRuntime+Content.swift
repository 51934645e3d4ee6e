import ChainCrypto
import Consensus
import Foundation
import Ledger
import Wire

/// Content a member must hold to vote for a proposal's records: the ledger refuses a PutRecord or
/// PutImageManifest whose chunks the voter lacks (`chunks_missing`; only the patient's shard checks).
/// A member that missed the upload's replication (it was down, or joined the shard later) fetches the
/// chunks the rules found missing first, from the shard's other members and then from any validator,
/// for at most half the election timeout, and votes afterwards, as the simulator's voters do.
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

  /// Votes on `request` now, or after fetching the content the ledger's rules found this node lacking.
  func validateFetchingContent(_ request: ValidationRequest) -> VoteDecision {
    guard let (valid, missing) = chain.validate(request) else { return .abstain }
    guard missing.isEmpty else {
      fetchContentThenValidate(request, missing: missing)
      return .afterFetchingContent
    }
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
    guard let valid = chain.validate(request)?.valid else { return }
    step(.validated(ValidationResult(id: request.id, valid: valid)))
  }
}

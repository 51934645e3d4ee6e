import Metrics

/// What a runtime reports to the process's metrics backend (Prometheus on the metrics endpoint).
struct RuntimeMetrics: Sendable {
  /// Committed TBlocks applied to the ledger.
  let tblocksApplied = Counter(label: "sehc_tblocks_applied_total")
  /// Entries of those blocks.
  let entriesApplied = Counter(label: "sehc_block_entries_applied_total")
  /// The committed height of this validator's shard.
  let tchainHeight = Gauge(label: "sehc_tchain_height")
  /// The height of the newest committed RBlock.
  let rchainHeight = Gauge(label: "sehc_rchain_height")
  /// Transactions admitted to the mempool.
  let admitted = Counter(label: "sehc_mempool_admitted_total")
  /// Undecided transactions the client API handed to consensus again (``NodeRuntime/resubmit(_:)``).
  let resubmitted = Counter(label: "sehc_mempool_resubmitted_total")
  /// Transactions refused by admission (form, signature or bounds).
  let refused = Counter(label: "sehc_mempool_refused_total")
  /// Transactions of this shard pending in the mempool.
  let pending = Gauge(label: "sehc_mempool_transactions")
  /// Consensus messages received from peers.
  let received = Counter(label: "sehc_peer_messages_received_total")
  /// Proposals whose record content this validator fetched from its shard's members before voting.
  let contentFetches = Counter(label: "sehc_content_fetches_before_vote_total")
  /// TChain view changes.
  let viewChanges = Counter(label: "sehc_tchain_view_changes_total")
}

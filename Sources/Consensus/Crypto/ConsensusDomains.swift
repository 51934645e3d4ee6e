import ChainCrypto

extension SigningDomain {
  /// A TChain leader's decision endorsement (`Commit.endorsement`, a VoteBody): lets members prove that a
  /// leader issued two different decisions in one view (docs/protocol.md §3.5).
  public static let decision = try! SigningDomain("sehc/v1/decision")

  /// An RChain prepare signature over `SHA-256(header) || view` (`RBlockVote` with `prepare`,
  /// `RBlockProposal.signature`, `RBlockPrepared`), docs/protocol.md §4.3.
  public static let rblockPrepare = try! SigningDomain("sehc/v1/rprepare")

  /// A member's acknowledgement of an accepted TChain decision (`CommitAck.ack`, a VoteBody); acks of a
  /// majority prove the block committed (docs/protocol.md §3.4).
  public static let ack = try! SigningDomain("sehc/v1/ack")

  /// Every domain the consensus protocols sign in.
  public static let consensusDomains: [SigningDomain] = [
    .tblock, .vote, .viewChange, .rblock, .rchainViewChange, .decision, .rblockPrepare, .ack,
  ]
}

import ChainCrypto
import Foundation
import Wire

/// The votes of a commit certificate, counted.
public struct CertificateTally: Sendable, Hashable {
  /// The number of members m of the shard in the block's epoch.
  public let memberCount: Int
  /// Each voter's bits.
  public let voteBits: [Address: [Bool]]
  /// For each entry, how many members voted it valid.
  public let validCounts: [Int]

  /// Entry i is accepted iff more than half of all members voted it valid.
  public var decision: [Bool] { validCounts.map { 2 * $0 > memberCount } }

  /// For each entry, how many voters voted it invalid (missing votes are not counted).
  public var invalidCounts: [Int] { validCounts.map { voteBits.count - $0 } }

  /// Entry i is rejected by a majority iff more than half of all members voted it invalid: then at least
  /// one honest member found it invalid (not merely missing votes). Only such a rejection of an APPLY
  /// receipt aborts it (docs/protocol.md §7).
  public var rejectedByMajority: [Bool] { invalidCounts.map { 2 * $0 > memberCount } }
}

/// Commit certificates (docs/protocol.md §3.4, §9): a pure check, shared by commits, block sync and
/// receipt proofs.
public enum CommitCertificateCheck {
  /// Checks that `certificate` holds validly signed votes for `subject` by more than half of `members`,
  /// one per member, sorted by voter address, and counts them.
  public static func tally(
    _ certificate: CommitCertificate?, subject: VoteSubject, members: [Address], publicKey: (Address) -> Data?,
    scheme: any SignatureScheme
  ) -> Result<CertificateTally, CheckFailure> {
    let votes = certificate?.votes ?? []
    let memberSet = Set(members)
    var voteBits: [Address: [Bool]] = [:]
    var counts = [Int](repeating: 0, count: subject.entryCount)
    var previous: Address?
    for (index, vote) in votes.enumerated() {
      switch VoteCheck.check(vote, subject: subject, members: memberSet, publicKey: publicKey, scheme: scheme) {
      case .failure(let reason): return .failure("votes[\(index)]: \(reason)")
      case .success(let checked):
        if let previous, !(previous < checked.voter) {
          return .failure("votes[\(index)]: votes must be sorted by voter address, one per voter")
        }
        previous = checked.voter
        voteBits[checked.voter] = checked.bits
        for (entry, bit) in checked.bits.enumerated() where bit { counts[entry] += 1 }
      }
    }
    guard voteBits.count >= Quorum.majority(members.count) else {
      return .failure("\(voteBits.count) votes of \(members.count) members: a certificate needs more than half")
    }
    return .success(CertificateTally(memberCount: members.count, voteBits: voteBits, validCounts: counts))
  }

  /// A certificate of `votes`, sorted by voter address.
  public static func make(_ votes: [CheckedVote]) -> CommitCertificate {
    CommitCertificate(votes: votes.sorted { $0.voter < $1.voter }.map(\.vote))
  }
}

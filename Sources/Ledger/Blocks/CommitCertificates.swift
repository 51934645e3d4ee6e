import ChainCrypto
import Foundation
import Wire

/// Commit certificates of TBlocks: building them, and recomputing the decision from their votes.
///
/// A certificate commits a block when it holds valid votes of more than half of the shard's members
/// for the block's epoch, one per member; entry i is accepted iff more than half of all members voted
/// it valid. The decision is always recomputed from the votes, never read from decision bits.
public enum CommitCertificates {
  /// Why a certificate is refused.
  public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A vote is malformed, for another block, badly signed, or a second vote of one voter.
    case badVote(index: Int, detail: String)
    /// A vote is by a validator that is not a member of the shard in the block's epoch.
    case nonMember(index: Int, detail: String)
    /// The votes are not more than half of the members.
    case minority(votes: Int, members: Int)

    public var description: String {
      switch self {
      case .badVote(let index, let detail): "votes[\(index)]: \(detail)"
      case .nonMember(let index, let detail): "votes[\(index)]: \(detail)"
      case .minority(let votes, let members):
        "\(votes) votes of \(members) members: a certificate needs more than half"
      }
    }
  }

  /// The votes of a certificate, counted.
  public struct Tally: Sendable, Hashable {
    /// The number of members m.
    public let memberCount: Int
    /// The voters, in certificate order.
    public let voters: [Address]
    /// For each entry, how many voters voted it valid.
    public let validCounts: [Int]

    /// Whether entry `index` is accepted: more than half of all members voted it valid.
    public func isAccepted(_ index: Int) -> Bool { validCounts[index] * 2 > memberCount }
    /// The decision bits.
    public var decision: BitVector { BitVector(validCounts.indices.map(isAccepted)) }
  }

  /// A certificate of `votes`, sorted by voter address (as the wire requires). The votes are not checked.
  public static func make(_ votes: [Vote]) -> CommitCertificate {
    let keyed = votes.map { vote in
      ((try? VoteBody(serializedBytes: vote.body))?.voter ?? Data(), vote)
    }
    return CommitCertificate(votes: keyed.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1))
  }

  /// Checks every vote of `certificate` against the block (signatures verified in one batch) and
  /// counts them. Throws for the first bad vote, a non-member, a voter twice, or a minority.
  public static func tally(
    _ certificate: CommitCertificate, header: TBlockHeader, blockHash: SHA256Digest, members: ShardMemberSet
  ) throws(Failure) -> Tally {
    var checked: [Votes.Checked] = []
    var items: [Ed25519.BatchItem] = []
    var seen = Set<Address>()
    for (index, vote) in certificate.votes.enumerated() {
      let result: (Votes.Checked, Ed25519.BatchItem)
      do { result = try Votes.checkForm(vote, header: header, blockHash: blockHash, members: members) } catch
      {
        throw error.nonMember
          ? .nonMember(index: index, detail: error.detail) : .badVote(index: index, detail: error.detail)
      }
      guard seen.insert(result.0.voter).inserted else {
        throw .badVote(index: index, detail: "a second vote of \(result.0.voter)")
      }
      checked.append(result.0)
      items.append(result.1)
    }
    if let bad = Ed25519.batchVerify(items).firstIndex(of: false) {
      throw .badVote(index: bad, detail: "the signature of \(checked[bad].voter)'s vote does not verify")
    }
    guard members.isMajority(checked.count) else {
      throw .minority(votes: checked.count, members: members.count)
    }
    var counts = [Int](repeating: 0, count: Int(header.entryCount))
    for vote in checked {
      for index in counts.indices where vote.valid[index] { counts[index] += 1 }
    }
    return Tally(memberCount: members.count, voters: checked.map(\.voter), validCounts: counts)
  }
}

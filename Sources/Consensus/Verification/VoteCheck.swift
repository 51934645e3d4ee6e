import ChainCrypto
import Foundation
import Wire

/// What a TChain vote (or a leader's decision endorsement) must be about.
public struct VoteSubject: Sendable, Hashable {
  public var chainID: String
  public var shard: UInt32
  public var epoch: UInt64
  public var view: UInt64
  public var height: UInt64
  public var blockHash: Data
  public var entryCount: Int

  public init(
    chainID: String, shard: UInt32, epoch: UInt64, view: UInt64, height: UInt64, blockHash: Data, entryCount: Int
  ) {
    self.chainID = chainID
    self.shard = shard
    self.epoch = epoch
    self.view = view
    self.height = height
    self.blockHash = blockHash
    self.entryCount = entryCount
  }
}

/// A vote whose form and signature checked out.
public struct CheckedVote: Sendable, Hashable {
  /// The voter.
  public let voter: Address
  /// One validity bit per entry.
  public let bits: [Bool]
  /// The signed vote.
  public let vote: Vote
}

/// Checks single votes and decision endorsements.
public enum VoteCheck {
  /// Checks that `vote` is a vote (or, with `domain: .decision`, an endorsement) about `subject`, by a
  /// member in `members` whose key `publicKey(voter)` signed it.
  public static func check(
    _ vote: Vote, subject: VoteSubject, members: Set<Address>, publicKey: (Address) -> Data?,
    scheme: any SignatureScheme, domain: SigningDomain = .vote
  ) -> Result<CheckedVote, CheckFailure> {
    guard let body = try? VoteBody(serializedBytes: vote.body) else { return .failure("the vote body does not decode") }
    guard body.chainID == subject.chainID, body.shard == subject.shard, body.epoch == subject.epoch,
      body.view == subject.view, body.height == subject.height
    else {
      return .failure(
        CheckFailure(
          "the vote is for shard \(body.shard) epoch \(body.epoch) view \(body.view) height \(body.height), not "
            + "shard \(subject.shard) epoch \(subject.epoch) view \(subject.view) height \(subject.height)"))
    }
    guard body.blockHash == subject.blockHash else { return .failure("the vote is for another block") }
    guard let voter = Address(bytes: body.voter) else { return .failure("the voter is not an address") }
    guard members.contains(voter) else { return .failure("\(voter) is not a member of the shard") }
    guard let bits = Bitmap.decode(body.valid, count: subject.entryCount) else {
      return .failure("the vote has \(body.valid.count) bytes of bits for \(subject.entryCount) entries")
    }
    guard let key = publicKey(voter), scheme.isValid(vote.signature, by: key, domain: domain, message: vote.body) else {
      return .failure("the signature of \(voter) does not verify")
    }
    return .success(CheckedVote(voter: voter, bits: bits, vote: vote))
  }
}

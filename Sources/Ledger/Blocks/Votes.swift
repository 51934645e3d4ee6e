import ChainCrypto
import Foundation
import Wire

/// Building and checking a member's vote on a proposed TBlock.
public enum Votes {
  /// A vote on the block with `header` and `blockHash`: one bit per entry, signed over
  /// "sehc/v1/vote" || body by `key`.
  public static func make(
    header: TBlockHeader, blockHash: SHA256Digest, valid: [Bool], key: Ed25519.PrivateKey
  ) throws -> Vote {
    guard valid.count == Int(header.entryCount) else {
      throw LedgerError.invalidBlock("\(valid.count) verdicts for \(header.entryCount) entries")
    }
    let body = VoteBody(
      chainID: header.chainID, shard: header.shard, epoch: header.epoch, view: header.view,
      height: header.height,
      blockHash: blockHash.data, valid: BitVector(valid).bytes, voter: key.address.rawRepresentation)
    let bytes = try body.serializedData()
    return Vote(
      body: bytes,
      signature: Signature(
        publicKey: key.publicKey.rawRepresentation, signature: try key.sign(domain: .vote, message: bytes)))
  }

  /// Why a vote is refused.
  public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The vote is not by a member of the shard.
    public var nonMember: Bool
    /// What is wrong.
    public var detail: String
    public var description: String { detail }
  }

  /// A vote checked against a block: its voter and bits.
  public struct Checked: Sendable, Hashable {
    public var voter: Address
    public var valid: BitVector
    public var body: VoteBody
  }

  /// Checks everything about `vote` but its signature: the body decodes, names this block (chain,
  /// shard, epoch, view, height, hash), has one bit per entry, and the voter is a member whose key
  /// made the signature field. Returns the signature item to verify.
  public static func checkForm(
    _ vote: Vote, header: TBlockHeader, blockHash: SHA256Digest, members: ShardMemberSet
  ) throws(Failure) -> (Checked, Ed25519.BatchItem) {
    let body: VoteBody
    do { body = try VoteBody(serializedBytes: vote.body) } catch {
      throw Failure(nonMember: false, detail: "the body is not a VoteBody: \(error)")
    }
    guard body.chainID == header.chainID, body.shard == header.shard, body.epoch == header.epoch,
      body.view == header.view, body.height == header.height
    else {
      throw Failure(
        nonMember: false,
        detail:
          "the vote is for chain \"\(body.chainID)\" shard \(body.shard) epoch \(body.epoch) view \(body.view) height \(body.height), not the block's"
      )
    }
    guard body.blockHash == blockHash.data else {
      throw Failure(
        nonMember: false, detail: "the vote is for block \(body.blockHash.hexString), not \(blockHash.hex)")
    }
    guard let voter = try? Address(rawRepresentation: body.voter) else {
      throw Failure(nonMember: false, detail: "the voter is not a 20-byte address")
    }
    guard let key = members.keys[voter] else {
      throw Failure(
        nonMember: true,
        detail: "voter \(voter) is not a member of shard \(members.shard) in epoch \(members.epoch)")
    }
    guard let signature = vote.signature, signature.publicKey == key.rawRepresentation else {
      throw Failure(nonMember: false, detail: "the vote of \(voter) is not signed with the voter's key")
    }
    guard let valid = BitVector(bytes: body.valid, count: Int(header.entryCount)) else {
      throw Failure(
        nonMember: false,
        detail: "the vote of \(voter) has \(body.valid.count) bytes of bits for \(header.entryCount) entries")
    }
    return (
      Checked(voter: voter, valid: valid, body: body),
      Ed25519.BatchItem(publicKey: key, message: vote.body, signature: signature.signature, domain: .vote)
    )
  }

  /// Checks one vote completely (form and signature).
  public static func verify(
    _ vote: Vote, header: TBlockHeader, blockHash: SHA256Digest, members: ShardMemberSet
  ) throws(Failure) -> Checked {
    let (checked, item) = try checkForm(vote, header: header, blockHash: blockHash, members: members)
    guard item.publicKey.isValidSignature(item.signature, domain: .vote, message: item.message) else {
      throw Failure(nonMember: false, detail: "the signature of \(checked.voter)'s vote does not verify")
    }
    return checked
  }
}

import ChainCrypto
import Foundation
import Wire

/// The facts a receipt's proof establishes.
public struct VerifiedReceiptProof: Sendable, Hashable {
  /// APPLY or ABORT.
  public let kind: ReceiptKind
  /// The cross-shard transaction's id.
  public let txID: Data
  /// The shard whose block decided the source entry.
  public let sourceShard: UInt32
  /// The shard that must act on the receipt.
  public let targetShard: UInt32
  /// The height of the source block.
  public let sourceHeight: UInt64
  /// The epoch of the source block.
  public let sourceEpoch: UInt64
}

/// Receipt proofs (docs/protocol.md §7): the source block's header, the entry in it, the entry's
/// inclusion proof and the block's commit certificate, checked against the source shard's members in
/// the source block's epoch. A pure function; the ledger judges what the receipt does.
public enum ReceiptProofCheck {
  /// Checks `receipt` as a receipt addressed to `targetShard`: an APPLY whose transaction its home shard
  /// accepted, or an ABORT whose APPLY receipt entry the target shard rejected (the APPLY's own proof is
  /// checked too).
  public static func verify(
    _ receipt: Receipt, targetShard: UInt32, context: ProofContext
  ) -> Result<VerifiedReceiptProof, CheckFailure> {
    switch receipt.kind {
    case .apply:
      return verifyApply(receipt, targetShard: targetShard, context: context)
    case .abort:
      let outer: (header: TBlockHeader, accepted: Bool)
      switch verifySource(receipt, targetShard: targetShard, context: context) {
      case .failure(let reason): return .failure(reason)
      case .success(let proven): outer = proven
      }
      guard !outer.accepted else {
        return .failure("the target shard did not reject the APPLY receipt by a majority; there is nothing to abort")
      }
      guard let entry = try? TBlockEntry(serializedBytes: receipt.sourceEntry), case .receipt(let inner) = entry.entry,
        inner.kind == .apply, inner.txID == receipt.txID, inner.targetShard == receipt.sourceShard,
        inner.sourceShard == targetShard
      else { return .failure("an ABORT's source entry must be the APPLY receipt of the same transaction") }
      if case .failure(let reason) = verifyApply(inner, targetShard: receipt.sourceShard, context: context) {
        return .failure("the aborted APPLY: \(reason)")
      }
      return .success(
        VerifiedReceiptProof(
          kind: .abort, txID: receipt.txID, sourceShard: receipt.sourceShard, targetShard: targetShard,
          sourceHeight: outer.header.height, sourceEpoch: outer.header.epoch))
    case .unspecified, .unrecognized:
      return .failure("the receipt kind is neither APPLY nor ABORT")
    }
  }

  private static func verifyApply(
    _ receipt: Receipt, targetShard: UInt32, context: ProofContext
  ) -> Result<VerifiedReceiptProof, CheckFailure> {
    let proven: (header: TBlockHeader, accepted: Bool)
    switch verifySource(receipt, targetShard: targetShard, context: context) {
    case .failure(let reason): return .failure(reason)
    case .success(let result): proven = result
    }
    guard let entry = try? TBlockEntry(serializedBytes: receipt.sourceEntry), case .transaction(let tx) = entry.entry,
      let body = try? TransactionBody(serializedBytes: tx.body)
    else { return .failure("an APPLY's source entry must be a transaction") }
    guard SHA256.hash(tx.body).data == receipt.txID else { return .failure("the source entry is another transaction") }
    guard body.sender.count == Address.byteCount,
      AccountShard.shard(of: body.sender, shardCount: context.shardCount) == receipt.sourceShard
    else { return .failure("the transaction's sender does not live in the source shard") }
    guard proven.accepted else { return .failure("the source shard did not accept the transaction") }
    return .success(
      VerifiedReceiptProof(
        kind: .apply, txID: receipt.txID, sourceShard: receipt.sourceShard, targetShard: targetShard,
        sourceHeight: proven.header.height, sourceEpoch: proven.header.epoch))
  }

  /// Addressing, the source header, inclusion and the certificate; returns whether the entry was accepted
  /// (APPLY) or rejected by a majority of explicit invalid votes (ABORT).
  private static func verifySource(
    _ receipt: Receipt, targetShard: UInt32, context: ProofContext
  ) -> Result<(header: TBlockHeader, accepted: Bool), CheckFailure> {
    guard receipt.txID.count == 32 else { return .failure("tx_id is not 32 bytes") }
    guard receipt.targetShard == targetShard else { return .failure("the receipt is for shard \(receipt.targetShard)") }
    guard receipt.sourceShard != targetShard, receipt.sourceShard < context.shardCount else {
      return .failure("the source shard \(receipt.sourceShard) is not another shard")
    }
    guard let header = try? TBlockHeader(serializedBytes: receipt.sourceHeader) else {
      return .failure("the source header does not decode")
    }
    guard header.chainID == context.chainID, header.shard == receipt.sourceShard else {
      return .failure("the source header is of another chain or shard")
    }
    guard let proof = receipt.inclusion, proof.treeSize == UInt64(header.entryCount), proof.leafIndex < proof.treeSize,
      let root = try? SHA256Digest(data: header.entriesRoot),
      let path = try? proof.path.map({ try SHA256Digest(data: $0) })
    else { return .failure("the inclusion proof does not fit the source header") }
    let inclusion = MerkleInclusionProof(leafIndex: Int(proof.leafIndex), treeSize: Int(proof.treeSize), auditPath: path)
    guard inclusion.verify(leaf: receipt.sourceEntry, root: root) else {
      return .failure("the source entry is not in the source block")
    }
    guard let members = context.members(header.shard, header.epoch) else {
      return .failure("the members of shard \(header.shard) in epoch \(header.epoch) are unknown")
    }
    let subject = VoteSubject(
      chainID: context.chainID, shard: header.shard, epoch: header.epoch, view: header.view, height: header.height,
      blockHash: SHA256.hash(receipt.sourceHeader).data, entryCount: Int(header.entryCount))
    switch CommitCertificateCheck.tally(
      receipt.certificate, subject: subject, members: members, publicKey: context.publicKey, scheme: context.scheme)
    {
    case .failure(let reason): return .failure("the source certificate: \(reason)")
    case .success(let tally):
      let index = Int(proof.leafIndex)
      // For an ABORT, "not accepted" must mean rejected by a majority: a rejection for missing votes, or of
      // a duplicate, proves nothing about the first decision.
      let accepted = receipt.kind == .abort ? !tally.rejectedByMajority[index] : tally.decision[index]
      return .success((header, accepted))
    }
  }

  /// The id of a receipt in `ShardCoverage.receipts_root`: `SHA-256(kind || tx_id || u32be(target))`.
  public static func receiptID(kind: ReceiptKind, txID: Data, targetShard: UInt32) -> Data {
    Bytes.sha256(Data([UInt8(truncatingIfNeeded: kind.rawValue)]), txID, Bytes.u32be(targetShard))
  }
}

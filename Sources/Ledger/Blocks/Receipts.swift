import ChainCrypto
import Foundation
import Wire

/// A receipt whose proof checked out (docs/ledger.md, "Cross-shard transactions").
public struct VerifiedReceipt: Sendable, Hashable {
  /// The receipt as relayed.
  public let receipt: Receipt
  /// APPLY or ABORT.
  public let kind: ReceiptKind
  /// The cross-shard transaction, decoded from the proof and checked (signatures included).
  public let transaction: CheckedTransaction
  /// The block that decided `source_entry` (for APPLY the home block, for ABORT the target block).
  public let sourceRef: BlockRef
  /// The home block that accepted the transaction.
  public let homeRef: BlockRef

  /// The transaction id.
  public var txID: Data { transaction.id.data }
}

/// Building receipts from committed blocks, and checking their proofs.
public enum Receipts {
  /// The receipt for entry `index` of the committed `block`: its header, the entry, the entry's
  /// inclusion proof and the block's certificate.
  public static func make(
    block: TBlock, entryIndex index: Int, kind: ReceiptKind, txID: Data, targetShard: UInt32
  ) throws -> Receipt {
    let header = try TBlockHeader(serializedBytes: block.header)
    guard block.entries.indices.contains(index) else {
      throw LedgerError.invalidBlock("entry \(index) is outside a block of \(block.entries.count) entries")
    }
    return Receipt(
      kind: kind, txID: txID, sourceShard: header.shard, targetShard: targetShard, sourceHeader: block.header,
      sourceEntry: block.entries[index],
      inclusion: try InclusionProofs.proof(entries: block.entries, index: index),
      certificate: block.certificate)
  }

  /// The receipt for an `EmittedReceipt` of the outcome of applying `block`.
  public static func make(block: TBlock, emitted: EmittedReceipt) throws -> Receipt {
    try make(
      block: block, entryIndex: emitted.entryIndex, kind: emitted.kind, txID: emitted.txID,
      targetShard: emitted.targetShard)
  }

  /// Verified certificates by source block hash, shared by the receipts of one block.
  typealias TallyCache = [SHA256Digest: Result<CommitCertificates.Tally, Rejection>]

  /// Checks `receipt` as an entry of a block of shard `shard`: an APPLY whose transaction was
  /// accepted by a certified majority of its home shard and whose target is `shard`, or an ABORT
  /// whose APPLY entry was rejected by a certified majority of the target shard and whose home is
  /// `shard` (the APPLY's own proof is checked too).
  static func verify(
    _ receipt: Receipt, shard: UInt32, parameters: ChainParameters, membership: MembershipDirectory,
    cache: inout TallyCache
  ) throws(Rejection) -> VerifiedReceipt {
    switch receipt.kind {
    case .apply:
      return try verifyApply(
        receipt, target: shard, parameters: parameters, membership: membership, cache: &cache)
    case .abort:
      let proven = try verifySource(
        receipt, expectedTarget: shard, parameters: parameters, membership: membership, cache: &cache)
      let inner: Receipt
      do {
        let entry = try TBlockEntry(serializedBytes: receipt.sourceEntry)
        guard case .receipt(let decoded) = entry.entry else {
          throw Rejection(.receiptMismatch, "an ABORT's source entry must be the APPLY receipt entry")
        }
        inner = decoded
      } catch let rejection as Rejection {
        throw rejection
      } catch {
        throw Rejection(.receiptMismatch, "the source entry is not a TBlockEntry: \(error)")
      }
      guard inner.kind == .apply, inner.txID == receipt.txID, inner.targetShard == proven.header.shard,
        inner.sourceShard == shard
      else {
        throw Rejection(
          .receiptMismatch,
          "the rejected entry is not the APPLY receipt of transaction \(receipt.txID.hexString) from shard \(shard) to shard \(proven.header.shard)"
        )
      }
      guard !proven.accepted else {
        throw Rejection(
          .receiptEntryAccepted,
          "shard \(proven.header.shard) accepted the APPLY receipt at height \(proven.header.height); there is nothing to abort"
        )
      }
      let apply = try verifyApply(
        inner, target: proven.header.shard, parameters: parameters, membership: membership, cache: &cache)
      guard apply.homeRef.shard == shard else {
        throw Rejection(
          .receiptMismatch, "the transaction's home is shard \(apply.homeRef.shard), not \(shard)")
      }
      return VerifiedReceipt(
        receipt: receipt, kind: .abort, transaction: apply.transaction, sourceRef: proven.ref,
        homeRef: apply.homeRef)
    case .unspecified, .unrecognized:
      throw Rejection(.badReceipt, "the receipt kind \(receipt.kind) is neither APPLY nor ABORT")
    }
  }

  private static func verifyApply(
    _ receipt: Receipt, target: UInt32, parameters: ChainParameters, membership: MembershipDirectory,
    cache: inout TallyCache
  ) throws(Rejection) -> VerifiedReceipt {
    let proven = try verifySource(
      receipt, expectedTarget: target, parameters: parameters, membership: membership, cache: &cache)
    let signed: SignedTransaction
    do {
      let entry = try TBlockEntry(serializedBytes: receipt.sourceEntry)
      guard case .transaction(let transaction) = entry.entry else {
        throw Rejection(.receiptMismatch, "an APPLY's source entry must be a transaction")
      }
      signed = transaction
    } catch let rejection as Rejection {
      throw rejection
    } catch {
      throw Rejection(.receiptMismatch, "the source entry is not a TBlockEntry: \(error)")
    }
    let transaction: CheckedTransaction
    do { transaction = try TransactionChecks.check(signed, parameters: parameters) } catch {
      throw Rejection(.receiptMismatch, "the source entry is not a valid transaction: \(error)")
    }
    guard transaction.id.data == receipt.txID else {
      throw Rejection(
        .receiptMismatch, "the source entry is transaction \(transaction.id), not \(receipt.txID.hexString)")
    }
    let home = parameters.shard(of: transaction.sender)
    guard home == proven.header.shard else {
      throw Rejection(
        .receiptMismatch,
        "the transaction's sender lives in shard \(home), not in the source shard \(proven.header.shard)")
    }
    if let expected = payloadTarget(transaction.payload, parameters: parameters), expected != target {
      throw Rejection(.wrongShard, "the transaction's other side is in shard \(expected), not \(target)")
    }
    if transaction.kind == .registerParticipant {
      throw Rejection(.receiptMismatch, "register_participant has no cross-shard side")
    }
    guard proven.accepted else {
      throw Rejection(
        .receiptEntryRejected,
        "shard \(proven.header.shard) did not accept transaction \(receipt.txID.hexString) at height \(proven.header.height)"
      )
    }
    return VerifiedReceipt(
      receipt: receipt, kind: .apply, transaction: transaction, sourceRef: proven.ref, homeRef: proven.ref)
  }

  /// The target shard of kinds whose other party is in the payload; nil for kinds whose other party
  /// is found in the home state (DecideRequest, RevokeAccess) or that have none.
  static func payloadTarget(_ payload: TransactionBody.Payload, parameters: ChainParameters) -> UInt32? {
    switch payload {
    case .putRecord(let p): shard(ofAddressBytes: p.patient, shardCount: parameters.shardCount)
    case .putImageManifest(let p): shard(ofAddressBytes: p.patient, shardCount: parameters.shardCount)
    case .requestAccess(let p): shard(ofAddressBytes: p.patient, shardCount: parameters.shardCount)
    case .grantAccess(let p): shard(ofAddressBytes: p.grantee, shardCount: parameters.shardCount)
    case .eraseRecord(let p): shard(ofAddressBytes: p.patient, shardCount: parameters.shardCount)
    case .transfer(let p): shard(ofAddressBytes: p.recipient, shardCount: parameters.shardCount)
    case .registerParticipant, .decideRequest, .revokeAccess: nil
    }
  }

  private struct ProvenSource {
    var header: TBlockHeader
    var ref: BlockRef
    var accepted: Bool
  }

  /// The checks common to both kinds: addressing, the source header, inclusion, the certificate.
  private static func verifySource(
    _ receipt: Receipt, expectedTarget: UInt32, parameters: ChainParameters, membership: MembershipDirectory,
    cache: inout TallyCache
  ) throws(Rejection) -> ProvenSource {
    guard receipt.txID.count == 32 else {
      throw Rejection(.badReceipt, "tx_id is \(receipt.txID.count) bytes, not 32")
    }
    guard receipt.targetShard == expectedTarget else {
      throw Rejection(.wrongShard, "the receipt is for shard \(receipt.targetShard), not \(expectedTarget)")
    }
    guard receipt.sourceShard != expectedTarget, receipt.sourceShard < parameters.shardCount else {
      throw Rejection(.wrongShard, "the receipt's source shard \(receipt.sourceShard) is not another shard")
    }
    let header: TBlockHeader
    do { header = try TBlockHeader(serializedBytes: receipt.sourceHeader) } catch {
      throw Rejection(.badReceiptHeader, "the source header is not a TBlockHeader: \(error)")
    }
    guard header.chainID == parameters.chainID else {
      throw Rejection(.badReceiptHeader, "the source header is for chain \"\(header.chainID)\"")
    }
    guard header.shard == receipt.sourceShard else {
      throw Rejection(
        .receiptMismatch, "the source header is of shard \(header.shard), not \(receipt.sourceShard)")
    }
    let hash = BlockHashes.hash(header: receipt.sourceHeader)
    guard let inclusion = receipt.inclusion else {
      throw Rejection(.receiptNotInBlock, "the receipt has no inclusion proof")
    }
    do {
      _ = try InclusionProofs.verify(
        entry: receipt.sourceEntry, proof: inclusion, header: receipt.sourceHeader)
    } catch {
      throw Rejection(.receiptNotInBlock, "the source entry is not in the source block: \(error)")
    }
    let tally: CommitCertificates.Tally
    if let cached = cache[hash] {
      tally = try cached.get()
    } else {
      let result: Result<CommitCertificates.Tally, Rejection>
      if let members = membership.members(shard: header.shard, epoch: header.epoch) {
        do {
          result = .success(
            try CommitCertificates.tally(
              receipt.certificate ?? CommitCertificate(), header: header, blockHash: hash, members: members))
        } catch {
          switch error {
          case .badVote:
            result = .failure(Rejection(.badCertificate, "the source block's certificate: \(error)"))
          case .nonMember:
            result = .failure(Rejection(.nonMemberVote, "the source block's certificate: \(error)"))
          case .minority:
            result = .failure(Rejection(.minorityCertificate, "the source block's certificate: \(error)"))
          }
        }
      } else {
        result = .failure(
          Rejection(
            .unknownEpoch, "no membership of shard \(header.shard) is known for epoch \(header.epoch)"))
      }
      cache[hash] = result
      tally = try result.get()
    }
    return ProvenSource(
      header: header, ref: BlockRef(shard: header.shard, height: header.height, hash: hash.data),
      accepted: tally.isAccepted(Int(inclusion.leafIndex)))
  }
}

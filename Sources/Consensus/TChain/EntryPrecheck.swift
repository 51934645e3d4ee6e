import ChainCrypto
import Foundation
import Wire

/// The checks consensus makes on a block's entries before the ledger sees them: the entry decodes, a
/// transaction's sender lives in the shard, a receipt is addressed to the shard and its proof verifies.
enum EntryPrecheck {
  static func check(_ bytes: Data, shard: UInt32, params: ConsensusParameters, proof: ProofContext) -> CheckedEntry {
    func invalid(_ entry: TBlockEntry?, _ reason: String) -> CheckedEntry {
      CheckedEntry(bytes: bytes, entry: entry, invalidReason: reason, receiptProof: nil)
    }
    guard let entry = try? TBlockEntry(serializedBytes: bytes) else { return invalid(nil, "the entry does not decode") }
    switch entry.entry {
    case .transaction(let tx):
      guard bytes.count <= params.maxTransactionBytes + 16 else { return invalid(entry, "the transaction is too large") }
      guard let body = try? TransactionBody(serializedBytes: tx.body), body.sender.count == Address.byteCount,
        AccountShard.shard(of: body.sender, shardCount: params.shardCount) == shard
      else { return invalid(entry, "the transaction's sender does not live in shard \(shard)") }
      return CheckedEntry(bytes: bytes, entry: entry, invalidReason: nil, receiptProof: nil)
    case .receipt(let receipt):
      switch ReceiptProofCheck.verify(receipt, targetShard: shard, context: proof) {
      case .failure(let reason): return invalid(entry, "receipt proof: \(reason)")
      case .success(let verified):
        return CheckedEntry(bytes: bytes, entry: entry, invalidReason: nil, receiptProof: verified)
      }
    case nil:
      return invalid(entry, "the entry is empty")
    }
  }
}

import ChainCrypto
import Foundation
import Wire

/// Hashes and Merkle roots of blocks (docs/ledger.md, "Blocks").
public enum BlockHashes {
  /// A block hash: SHA-256 of the header bytes (TBlock and RBlock alike).
  public static func hash(header bytes: Data) -> SHA256Digest { SHA256.hash(bytes) }

  /// The RFC 6962 root over a block's entry bytes, in order (TBlockHeader.entries_root).
  public static func entriesRoot(_ entries: [Data]) -> SHA256Digest { MerkleTree(leaves: entries).root }

  /// 32 zero bytes: the previous hash at height 1.
  public static let zero = Data(count: 32)

  /// The id of a receipt, the leaf of ShardCoverage.receipts_root:
  /// SHA-256(kind as one byte || tx id || target shard as 4 bytes big-endian).
  public static func receiptID(kind: ReceiptKind, txID: Data, targetShard: UInt32) -> SHA256Digest {
    var bytes = Data([UInt8(truncatingIfNeeded: kind.rawValue)])
    bytes.append(txID)
    bytes.append(targetShard.bigEndianBytes)
    return SHA256.hash(bytes)
  }
}

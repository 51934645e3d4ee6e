import ChainCrypto
import Foundation
import Wire

/// RFC 6962 inclusion proofs of a block's entries, which a client checks offline with nothing but the
/// block header (docs/ledger.md, "Inclusion proofs").
public enum InclusionProofs {
  /// The proof that entry `index` of `block` is in its header's entries_root.
  public static func proof(entries: [Data], index: Int) throws -> MerkleProof {
    let proof = try MerkleTree(leaves: entries).inclusionProof(forLeafAt: index)
    return MerkleProof(wire: proof)
  }

  /// Why a proof is refused.
  public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
    public var detail: String
    public var description: String { detail }
  }

  /// Checks that `entry` is at `proof.leaf_index` of the block whose header bytes are `header`: the
  /// proof's tree size must be the header's entry_count and the path must lead to its entries_root.
  /// When `expectedHash` is given (a block hash the client trusts), the header must hash to it.
  public static func verify(
    entry: Data, proof: MerkleProof, header: Data, expectedHash: SHA256Digest? = nil
  ) throws(Failure) -> TBlockHeader {
    if let expectedHash, BlockHashes.hash(header: header) != expectedHash {
      throw Failure(detail: "the header does not hash to the trusted block hash \(expectedHash)")
    }
    let decoded: TBlockHeader
    do { decoded = try TBlockHeader(serializedBytes: header) } catch {
      throw Failure(detail: "the header is not a TBlockHeader: \(error)")
    }
    guard proof.treeSize == UInt64(decoded.entryCount) else {
      throw Failure(
        detail: "the proof is for a tree of \(proof.treeSize) leaves; the block has \(decoded.entryCount)")
    }
    guard let root = try? SHA256Digest(data: decoded.entriesRoot) else {
      throw Failure(detail: "the header's entries_root is not 32 bytes")
    }
    guard let inclusion = proof.inclusionProof, inclusion.verify(leaf: entry, root: root) else {
      throw Failure(detail: "the audit path does not lead from the entry to the header's entries_root")
    }
    return decoded
  }
}

extension MerkleProof {
  /// The wire form of a ChainCrypto proof.
  public init(wire proof: MerkleInclusionProof) {
    self.init(
      leafIndex: UInt64(proof.leafIndex), treeSize: UInt64(proof.treeSize), path: proof.auditPath.map(\.data))
  }

  /// The ChainCrypto proof, or nil when a path element is not 32 bytes or a number is out of range.
  public var inclusionProof: MerkleInclusionProof? {
    guard leafIndex <= UInt64(Int.max), treeSize <= UInt64(Int.max) else { return nil }
    var path: [SHA256Digest] = []
    for element in self.path {
      guard let digest = try? SHA256Digest(data: element) else { return nil }
      path.append(digest)
    }
    return MerkleInclusionProof(leafIndex: Int(leafIndex), treeSize: Int(treeSize), auditPath: path)
  }
}

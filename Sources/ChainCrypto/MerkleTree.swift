import Foundation

/// A Merkle hash tree as defined by RFC 6962 §2.1 (Certificate Transparency), with SHA-256:
///
/// - the hash of the empty list is SHA-256 of the empty string;
/// - a leaf hash is SHA-256(0x00 || data);
/// - for n > 1 leaves, with k the largest power of two smaller than n, the tree hash is
///   SHA-256(0x01 || MTH(D[0..<k]) || MTH(D[k..<n])).
///
/// The tree is kept level by level (leaf hashes, then their parents, ...), where a node without a
/// right sibling is carried up unchanged; this gives exactly the RFC's left-balanced tree. Building
/// costs n - 1 node hashes and 2n digests of memory; a proof then costs no hashing.
public struct MerkleTree: Sendable {
  /// levels[0] holds the leaf hashes; the last level holds the root alone.
  private let levels: [[SHA256Digest]]

  /// A tree over the given leaf data (each is hashed as a leaf).
  public init(leaves: [Data]) {
    self.init(leafHashes: leaves.map(MerkleTree.leafHash))
  }

  /// A tree over already computed leaf hashes (`MerkleTree.leafHash`).
  public init(leafHashes: [SHA256Digest]) {
    var levels = [leafHashes]
    while let last = levels.last, last.count > 1 {
      var next: [SHA256Digest] = []
      next.reserveCapacity((last.count + 1) / 2)
      var index = 0
      while index + 1 < last.count {
        next.append(MerkleTree.nodeHash(last[index], last[index + 1]))
        index += 2
      }
      if index < last.count { next.append(last[index]) }
      levels.append(next)
    }
    self.levels = levels
  }

  /// The number of leaves.
  public var count: Int { levels[0].count }

  /// The tree head (for no leaves, SHA-256 of the empty string).
  public var root: SHA256Digest {
    levels.last!.first ?? SHA256.hash(Data())
  }

  /// The hash of leaf `index`.
  public func leafHash(at index: Int) -> SHA256Digest { levels[0][index] }

  /// The inclusion proof (RFC 6962 §2.1.1 audit path) of leaf `index`.
  public func inclusionProof(forLeafAt index: Int) throws -> MerkleInclusionProof {
    guard index >= 0, index < count else {
      throw CryptoError.invalidParameter("leaf index \(index) is outside a tree of \(count) leaves")
    }
    var path: [SHA256Digest] = []
    var position = index
    for level in levels.dropLast() {
      let sibling = position ^ 1
      if sibling < level.count { path.append(level[sibling]) }
      position >>= 1
    }
    return MerkleInclusionProof(leafIndex: index, treeSize: count, auditPath: path)
  }

  /// SHA-256(0x00 || data).
  public static func leafHash(_ data: Data) -> SHA256Digest {
    if data.count <= 256 {
      return withUnsafeTemporaryAllocation(byteCount: 1 + data.count, alignment: 1) { buffer in
        buffer[0] = 0
        data.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: buffer[1...]))
        return SHA256.hash(UnsafeRawBufferPointer(buffer))
      }
    }
    var hasher = SHA256Hasher()
    withUnsafeBytes(of: UInt8(0)) { hasher.update($0) }
    hasher.update(data)
    return hasher.finalize()
  }

  /// SHA-256(0x01 || left || right).
  public static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
    withUnsafeTemporaryAllocation(byteCount: 1 + 2 * SHA256.byteCount, alignment: 1) { buffer in
      buffer[0] = 1
      // Through the bytes' pointers: `Data.copyBytes(to:)` goes the generic `DataProtocol` way, which
      // cost more than the hash in the state root's tree.
      left.data.withUnsafeBytes {
        buffer.baseAddress!.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: 32)
      }
      right.data.withUnsafeBytes {
        buffer.baseAddress!.advanced(by: 33).copyMemory(from: $0.baseAddress!, byteCount: 32)
      }
      return SHA256.hash(UnsafeRawBufferPointer(buffer))
    }
  }

  /// The root of a tree over `leaves`, without keeping the tree.
  public static func root(leaves: [Data]) -> SHA256Digest {
    MerkleTree(leaves: leaves).root
  }
}

/// Proof that a leaf is at `leafIndex` in a tree of `treeSize` leaves: the audit path, from the
/// leaf's sibling up to the root's child. Checkable offline with the leaf's data and the tree head.
///
/// The root and the tree size must both come from the same trusted source (a signed block header):
/// trees of neighbouring sizes can share a path's shape, so a proof only shows that the leaf is in
/// the tree whose head is the given root.
public struct MerkleInclusionProof: Hashable, Sendable, Codable {
  /// The leaf's zero-based position.
  public var leafIndex: Int
  /// The number of leaves in the tree.
  public var treeSize: Int
  /// Sibling hashes, leaf level first.
  public var auditPath: [SHA256Digest]

  public init(leafIndex: Int, treeSize: Int, auditPath: [SHA256Digest]) {
    self.leafIndex = leafIndex
    self.treeSize = treeSize
    self.auditPath = auditPath
  }

  /// The root this proof leads to from `leafHash`, by RFC 9162 §2.1.3.2; nil if the proof does not
  /// fit its tree size (an index outside the tree, or a path of the wrong length).
  public func rootHash(fromLeafHash leafHash: SHA256Digest) -> SHA256Digest? {
    guard leafIndex >= 0, treeSize > 0, leafIndex < treeSize else { return nil }
    var fn = leafIndex
    var sn = treeSize - 1
    var r = leafHash
    for p in auditPath {
      if sn == 0 { return nil }
      if fn & 1 == 1 || fn == sn {
        r = MerkleTree.nodeHash(p, r)
        if fn & 1 == 0 {
          while fn & 1 == 0 && fn != 0 {
            fn >>= 1
            sn >>= 1
          }
        }
      } else {
        r = MerkleTree.nodeHash(r, p)
      }
      fn >>= 1
      sn >>= 1
    }
    return sn == 0 ? r : nil
  }

  /// True when `leaf` (the leaf's data, hashed here as a leaf) is at `leafIndex` of the tree whose
  /// head is `root`.
  public func verify(leaf: Data, root: SHA256Digest) -> Bool {
    verify(leafHash: MerkleTree.leafHash(leaf), root: root)
  }

  /// True when the leaf with hash `leafHash` is at `leafIndex` of the tree whose head is `root`.
  public func verify(leafHash: SHA256Digest, root: SHA256Digest) -> Bool {
    rootHash(fromLeafHash: leafHash) == root
  }
}

import Foundation
import Testing

@testable import ChainCrypto

/// RFC 6962 §2.1, written as the RFC states it (recursive split at the largest power of two smaller
/// than n), as the reference the level-by-level implementation is checked against.
private func referenceRoot(_ leaves: ArraySlice<Data>) -> SHA256Digest {
  if leaves.isEmpty { return SHA256.hash(Data()) }
  if leaves.count == 1 { return SHA256.hash(Data([0]) + leaves.first!) }
  var k = 1
  while k * 2 < leaves.count { k *= 2 }
  let split = leaves.startIndex + k
  return SHA256.hash(
    Data([1]) + referenceRoot(leaves[leaves.startIndex..<split]).data + referenceRoot(leaves[split...]).data)
}

/// RFC 6962 §2.1.1 PATH(m, D[n]).
private func referencePath(_ m: Int, _ leaves: ArraySlice<Data>) -> [SHA256Digest] {
  if leaves.count <= 1 { return [] }
  var k = 1
  while k * 2 < leaves.count { k *= 2 }
  let split = leaves.startIndex + k
  if m < k {
    return referencePath(m, leaves[leaves.startIndex..<split]) + [referenceRoot(leaves[split...])]
  }
  return referencePath(m - k, leaves[split...]) + [referenceRoot(leaves[leaves.startIndex..<split])]
}

@Suite("Merkle trees (RFC 6962)")
struct MerkleTests {
  @Test("roots and every proof match the RFC's recursive definition, sizes 0 to 70")
  func bruteForce() throws {
    let leaves = (0..<70).map { Data("leaf \($0)".utf8) }
    for size in 0...70 {
      let slice = leaves[0..<size]
      let tree = MerkleTree(leaves: Array(slice))
      #expect(tree.count == size)
      #expect(tree.root == referenceRoot(slice), "root of \(size)")
      for index in 0..<size {
        let proof = try tree.inclusionProof(forLeafAt: index)
        #expect(proof.auditPath == referencePath(index, slice), "path \(index) of \(size)")
        #expect(proof.verify(leaf: leaves[index], root: tree.root), "proof \(index) of \(size)")
      }
    }
  }

  @Test("proofs are rejected for another leaf, index, size, root or a modified path")
  func rejections() throws {
    let leaves = (0..<13).map { Data("record \($0)".utf8) }
    let tree = MerkleTree(leaves: leaves)
    for index in 0..<leaves.count {
      let proof = try tree.inclusionProof(forLeafAt: index)
      #expect(!proof.verify(leaf: leaves[(index + 1) % leaves.count], root: tree.root))
      #expect(!proof.verify(leaf: leaves[index], root: MerkleTree(leaves: Array(leaves.dropLast())).root))
      var other = proof
      other.leafIndex = (index + 1) % leaves.count
      #expect(!other.verify(leaf: leaves[index], root: tree.root))
      // (A neighbouring size can give the same path shape: the size must come from the same signed
      // header as the root, which is why the proof carries it. A size with another shape fails.)
      other = proof
      other.treeSize = 1
      #expect(!other.verify(leaf: leaves[index], root: tree.root))
      other = proof
      other.treeSize = index
      #expect(!other.verify(leaf: leaves[index], root: tree.root))
      for position in proof.auditPath.indices {
        other = proof
        var bytes = other.auditPath[position].data
        bytes[0] ^= 1
        other.auditPath[position] = try SHA256Digest(data: bytes)
        #expect(!other.verify(leaf: leaves[index], root: tree.root))
      }
      other = proof
      other.auditPath.append(tree.root)
      #expect(!other.verify(leaf: leaves[index], root: tree.root))
      if !proof.auditPath.isEmpty {
        other = proof
        other.auditPath.removeLast()
        #expect(!other.verify(leaf: leaves[index], root: tree.root))
      }
    }
    #expect(throws: CryptoError.self) { try tree.inclusionProof(forLeafAt: 13) }
    #expect(throws: CryptoError.self) { try tree.inclusionProof(forLeafAt: -1) }
    // A leaf hash is not accepted as an interior node (second-preimage resistance by prefixes).
    let two = MerkleTree(leaves: [Data("a".utf8), Data("b".utf8)])
    let forged = two.leafHash(at: 0).data + two.leafHash(at: 1).data
    #expect(MerkleTree(leaves: [forged]).root != two.root)
  }

  @Test("proofs survive JSON")
  func codable() throws {
    let tree = MerkleTree(leaves: (0..<5).map { Data([UInt8($0)]) })
    let proof = try tree.inclusionProof(forLeafAt: 3)
    let decoded = try JSONDecoder().decode(MerkleInclusionProof.self, from: JSONEncoder().encode(proof))
    #expect(decoded == proof)
    #expect(decoded.verify(leaf: Data([3]), root: tree.root))
  }
}

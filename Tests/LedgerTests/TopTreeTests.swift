import ChainCrypto
import Foundation
import Testing

@testable import Ledger

/// The state root's top tree, kept node by node, agrees with the tree hash computed from scratch.
@Suite struct TopTreeTests {
  static func leaf(_ value: Int) -> SHA256Digest {
    MerkleTree.leafHash(withUnsafeBytes(of: value.bigEndian) { Data($0) })
  }

  @Test func updatesAgreeWithTheTreeHashFromScratch() {
    var leaves = (0..<4096).map(Self.leaf)
    var tree = TopTree(leaves: leaves)
    #expect(tree.root == StateRoot.treeHash(leafHashes: leaves))
    var random = SystemRandomNumberGenerator()
    for round in 0..<20 {
      var changes: [Int: SHA256Digest] = [:]
      for _ in 0..<Int.random(in: 1...40, using: &random) {
        changes[Int.random(in: 0..<4096, using: &random)] = Self.leaf(10_000 * (round + 1) + changes.count)
      }
      // Neighbours (one parent) and the two ends are the edge cases of the paths.
      if round == 0 { changes[0] = Self.leaf(-1); changes[1] = Self.leaf(-2); changes[4095] = Self.leaf(-3) }
      for (index, leaf) in changes { leaves[index] = leaf }
      let expected = StateRoot.treeHash(leafHashes: leaves)
      let before = tree.root
      #expect(tree.root(updating: changes) == expected)
      #expect(tree.root == before, "root(updating:) leaves the tree as it is")
      tree.update(changes)
      #expect(tree.root == expected)
    }
    #expect(tree.root(updating: [:]) == tree.root)
  }

  @Test func aSmallTreeIsThePerfectBinaryTree() {
    let leaves = (0..<4).map(Self.leaf)
    let tree = TopTree(leaves: leaves)
    let expected = MerkleTree.nodeHash(
      MerkleTree.nodeHash(leaves[0], leaves[1]), MerkleTree.nodeHash(leaves[2], leaves[3]))
    #expect(tree.root == expected)
    #expect(TopTree(leaves: [leaves[0]]).root == leaves[0])
  }
}

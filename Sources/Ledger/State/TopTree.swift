import ChainCrypto
import Foundation

/// The top tree of the state root over the bucket leaves (StateRoot), with every inner node kept, so
/// that a change of a few buckets costs the hashes on their paths (12 per bucket for 4,096 buckets)
/// instead of the whole tree's 4,095. The leaf count is a power of two, where RFC 6962's tree is the
/// perfect binary tree that `StateRoot.treeHash` computes.
struct TopTree: Sendable {
  /// `levels[0]` are the leaves, each next level the parents, the last one the root alone.
  private var levels: [[SHA256Digest]]

  /// The tree over `leaves`, whose count must be a power of two.
  init(leaves: [SHA256Digest]) {
    precondition(!leaves.isEmpty && leaves.count & (leaves.count - 1) == 0, "a power of two of leaves")
    levels = [leaves]
    while levels[levels.count - 1].count > 1 {
      let below = levels[levels.count - 1]
      levels.append(
        stride(from: 0, to: below.count, by: 2).map { MerkleTree.nodeHash(below[$0], below[$0 + 1]) })
    }
  }

  var root: SHA256Digest { levels[levels.count - 1][0] }

  /// Leaf `index`.
  func leaf(_ index: Int) -> SHA256Digest { levels[0][index] }

  /// Replaces the leaves in `changes` (index → leaf) and the nodes above them.
  mutating func update(_ changes: [Int: SHA256Digest]) {
    for (index, leaf) in changes { levels[0][index] = leaf }
    var touched = Set(changes.keys.map { $0 / 2 })
    for level in 1..<levels.count {
      for parent in touched {
        levels[level][parent] = MerkleTree.nodeHash(
          levels[level - 1][2 * parent], levels[level - 1][2 * parent + 1])
      }
      touched = Set(touched.map { $0 / 2 })
    }
  }

  /// The root the tree would have with the leaves in `changes` replaced, leaving it as it is.
  func root(updating changes: [Int: SHA256Digest]) -> SHA256Digest {
    guard !changes.isEmpty else { return root }
    var current = changes
    for level in 0..<(levels.count - 1) {
      var parents: [Int: SHA256Digest] = [:]
      for index in current.keys {
        let parent = index / 2
        guard parents[parent] == nil else { continue }
        parents[parent] = MerkleTree.nodeHash(
          current[2 * parent] ?? levels[level][2 * parent],
          current[2 * parent + 1] ?? levels[level][2 * parent + 1])
      }
      current = parents
    }
    return current[0] ?? root
  }
}

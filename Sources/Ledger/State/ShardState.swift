import ChainCrypto
import Foundation

/// A shard's whole state in memory, with its state root kept up to date bucket by bucket
/// (`StateRoot`). A value type: copies are cheap until written (each bucket is copied on its first
/// write), which suits the simulator and speculative use.
///
/// The node loads it from storage at start (`LedgerStore.loadState`), checks its root against the
/// stored head, and applies each committed block's `StateChanges` after storing them.
public struct ShardState: MerkleizedState {
  struct Entry: Sendable {
    var key: Data
    var value: Data
    var leafHash: SHA256Digest
  }

  private var buckets: [[Entry]]
  /// The top tree over the leaf hashes of the buckets' roots.
  private var top: TopTree
  /// The state root.
  public var stateRoot: SHA256Digest { top.root }
  /// The number of entries.
  public private(set) var count: Int

  private static let emptyBucketLeaf = MerkleTree.leafHash(StateRoot.emptyRoot.data)
  private static let emptyTop = TopTree(
    leaves: Array(repeating: emptyBucketLeaf, count: StateRoot.bucketCount))

  /// An empty state.
  public init() {
    buckets = Array(repeating: [], count: StateRoot.bucketCount)
    top = Self.emptyTop
    count = 0
  }

  /// A state holding `entries` (keys must be unique; the last of duplicates wins).
  public init(entries: some Sequence<(key: Data, value: Data)>) {
    self.init()
    var changes = StateChanges()
    for entry in entries { changes.set(entry.key, entry.value) }
    apply(changes)
  }

  public func value(forKey key: Data) -> Data? {
    let bucket = buckets[StateRoot.bucket(of: key)]
    guard let index = Self.search(bucket, key), index.found else { return nil }
    return bucket[index.position].value
  }

  public func stateRoot(applying changes: StateChanges) -> SHA256Digest {
    guard !changes.isEmpty else { return stateRoot }
    var leaves: [Int: SHA256Digest] = [:]
    for (bucketIndex, writes) in Self.group(changes) {
      var bucket = buckets[bucketIndex]
      Self.write(writes, into: &bucket)
      leaves[bucketIndex] = Self.bucketLeaf(bucket)
    }
    return top.root(updating: leaves)
  }

  /// Applies `changes` and updates the root.
  public mutating func apply(_ changes: StateChanges) {
    guard !changes.isEmpty else { return }
    var leaves: [Int: SHA256Digest] = [:]
    for (bucketIndex, writes) in Self.group(changes) {
      let before = buckets[bucketIndex].count
      Self.write(writes, into: &buckets[bucketIndex])
      count += buckets[bucketIndex].count - before
      leaves[bucketIndex] = Self.bucketLeaf(buckets[bucketIndex])
    }
    top.update(leaves)
  }

  /// This state with `changes` applied.
  public func applying(_ changes: StateChanges) -> ShardState {
    var copy = self
    copy.apply(changes)
    return copy
  }

  /// Every entry, sorted by key (the order of a state snapshot).
  public var sortedEntries: [(key: Data, value: Data)] {
    buckets.flatMap { $0.map { (key: $0.key, value: $0.value) } }.sorted {
      $0.key.lexicographicallyPrecedes($1.key)
    }
  }

  /// The entries whose keys start with `prefix`, sorted by key. Scans every entry: for tests and the
  /// simulator (storage answers such queries with an index range).
  public func entries(withPrefix prefix: Data) -> [(key: Data, value: Data)] {
    buckets.flatMap { bucket in
      bucket.filter { $0.key.starts(with: prefix) }.map { (key: $0.key, value: $0.value) }
    }
    .sorted { $0.key.lexicographicallyPrecedes($1.key) }
  }

  /// The root of bucket `index` (for tests and diagnostics).
  public func bucketRoot(_ index: Int) -> SHA256Digest {
    StateRoot.treeHash(leafHashes: buckets[index].map(\.leafHash))
  }

  // MARK: - Internals

  private static func bucketLeaf(_ bucket: [Entry]) -> SHA256Digest {
    bucket.isEmpty
      ? emptyBucketLeaf : MerkleTree.leafHash(StateRoot.treeHash(leafHashes: bucket.map(\.leafHash)).data)
  }

  private static func group(_ changes: StateChanges) -> [Int: [(key: Data, value: Data?)]] {
    var grouped: [Int: [(key: Data, value: Data?)]] = [:]
    for (key, value) in changes.writes {
      grouped[StateRoot.bucket(of: key), default: []].append((key, value))
    }
    return grouped
  }

  private static func write(_ writes: [(key: Data, value: Data?)], into bucket: inout [Entry]) {
    for write in writes {
      let found = search(bucket, write.key)!
      if let value = write.value {
        let entry = Entry(
          key: write.key, value: value, leafHash: StateRoot.leafHash(key: write.key, value: value))
        if found.found { bucket[found.position] = entry } else { bucket.insert(entry, at: found.position) }
      } else if found.found {
        bucket.remove(at: found.position)
      }
    }
  }

  /// Binary search: the position of `key`, or where it would be inserted.
  private static func search(_ bucket: [Entry], _ key: Data) -> (found: Bool, position: Int)? {
    var low = 0
    var high = bucket.count
    while low < high {
      let mid = (low + high) / 2
      let other = bucket[mid].key
      if other == key { return (true, mid) }
      if other.lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
    }
    return (false, low)
  }
}

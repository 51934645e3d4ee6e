import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// The state root: its definition (checked against an independent implementation over ChainCrypto's
/// MerkleTree), incremental updates, order independence, determinism across nodes, and snapshot
/// rebuilds.
@Suite struct StateRootTests {
  /// The definition of docs/ledger.md written independently: leaf data, buckets, two RFC 6962 trees.
  static func referenceRoot(_ entries: [(key: Data, value: Data)]) -> SHA256Digest {
    var buckets = [[(key: Data, value: Data)]](repeating: [], count: 4096)
    for entry in entries {
      let hash = SHA256.hash(entry.key).data
      let bucket = (Int(hash[0]) << 4) | (Int(hash[1]) >> 4)
      buckets[bucket].append(entry)
    }
    let bucketRoots = buckets.map { bucket -> Data in
      let leaves = bucket.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { entry -> Data in
        var leaf = Data()
        withUnsafeBytes(of: UInt32(entry.key.count).bigEndian) { leaf.append(contentsOf: $0) }
        return leaf + entry.key + entry.value
      }
      return MerkleTree(leaves: leaves).root.data
    }
    return MerkleTree(leaves: bucketRoots).root
  }

  struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state
    }
    mutating func bytes(_ count: Int) -> Data {
      Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &self) })
    }
  }

  func randomEntries(_ count: Int, seed: UInt64) -> [(key: Data, value: Data)] {
    var rng = Generator(state: seed)
    var seen = Set<Data>()
    var entries: [(key: Data, value: Data)] = []
    while entries.count < count {
      let key = rng.bytes(Int.random(in: 1...40, using: &rng))
      guard seen.insert(key).inserted else { continue }
      entries.append((key, rng.bytes(Int.random(in: 0...64, using: &rng))))
    }
    return entries
  }

  @Test func emptyStateRoot() {
    let empty = ShardState()
    #expect(empty.stateRoot == Self.referenceRoot([]))
    #expect(empty.stateRoot == StateRoot.root(entries: []))
    // Known answer: a tree of 4,096 leaves, each SHA-256 of the empty string.
    #expect(
      empty.stateRoot.hex
        == MerkleTree(leaves: Array(repeating: SHA256.hash(Data()).data, count: 4096)).root.hex)
  }

  @Test func matchesTheIndependentDefinition() {
    for (count, seed) in [(1, 1), (2, 2), (10, 3), (5000, 4)] as [(Int, UInt64)] {
      let entries = randomEntries(count, seed: seed)
      let state = ShardState(entries: entries)
      #expect(state.stateRoot == Self.referenceRoot(entries), "\(count) entries")
      #expect(state.stateRoot == StateRoot.root(entries: entries))
      #expect(state.count == count)
    }
  }

  @Test func incrementalUpdatesMatchARecomputation() {
    var state = ShardState(entries: randomEntries(3000, seed: 9))
    var rng = Generator(state: 77)
    for round in 0..<5 {
      var changes = StateChanges()
      let current = state.sortedEntries
      for _ in 0..<200 {
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: changes.set(rng.bytes(12), rng.bytes(20))  // insert
        case 1: changes.set(current.randomElement(using: &rng)!.key, rng.bytes(8))  // update
        default: changes.set(current.randomElement(using: &rng)!.key, nil)  // delete
        }
      }
      let predicted = state.stateRoot(applying: changes)
      state.apply(changes)
      #expect(predicted == state.stateRoot, "round \(round)")
      #expect(state.stateRoot == Self.referenceRoot(state.sortedEntries), "round \(round)")
    }
  }

  @Test func orderOfWritesDoesNotMatter() {
    let entries = randomEntries(300, seed: 5)
    var forward = ShardState()
    for chunk in stride(from: 0, to: entries.count, by: 100) {
      var changes = StateChanges()
      for entry in entries[chunk..<min(chunk + 100, entries.count)] { changes.set(entry.key, entry.value) }
      forward.apply(changes)
    }
    var backward = ShardState()
    for entry in entries.reversed() {
      var changes = StateChanges()
      changes.set(entry.key, entry.value)
      backward.apply(changes)
    }
    let once = ShardState(entries: entries.shuffled())
    #expect(forward.stateRoot == backward.stateRoot)
    #expect(forward.stateRoot == once.stateRoot)
  }

  @Test func deletingEverythingGivesTheEmptyRoot() {
    let entries = randomEntries(300, seed: 6)
    var state = ShardState(entries: entries)
    var changes = StateChanges()
    for entry in entries { changes.set(entry.key, nil) }
    state.apply(changes)
    #expect(state.stateRoot == ShardState().stateRoot)
    #expect(state.count == 0)
  }

  @Test func leafEncodingSeparatesKeyFromValue() {
    // ("ab", "c") and ("a", "bc") must not collide.
    let first = ShardState(entries: [(Data("ab".utf8), Data("c".utf8))])
    let second = ShardState(entries: [(Data("a".utf8), Data("bc".utf8))])
    #expect(
      StateRoot.leafHash(key: Data("ab".utf8), value: Data("c".utf8))
        != StateRoot.leafHash(key: Data("a".utf8), value: Data("bc".utf8)))
    #expect(first.stateRoot != second.stateRoot)
  }

  @Test func twoNodesApplyingTheSameBlocksAgree() throws {
    // Node A runs a workload; node B starts from genesis and applies A's committed blocks as a
    // syncing node would: verify, prepare, apply with the block's decision.
    var pop = try Population()
    _ = try pop.putRecord(pop.clinician0, for: pop.patient0)
    _ = try pop.putRecord(pop.clinician1, for: pop.patient0)
    try pop.runAndRelay(
      pop.net.sign(pop.patient0, .grantAccess(GrantAccess(grantee: pop.clinician1.address.rawRepresentation)))
    )
    try pop.runAndRelay(
      pop.net.sign(
        pop.net.admin, .transfer(Transfer(recipient: pop.patient1.address.rawRepresentation, amount: 9))))

    let fresh = try TestNetwork()
    for shard in 0..<2 {
      var state = fresh.states[shard]
      var parent = fresh.parents[shard]
      for block in pop.net.blocks[shard] {
        let verified = try TBlocks.verify(
          block, parameters: fresh.parameters, members: fresh.members(UInt32(shard)), parent: parent)
        let context = BlockContext(
          parameters: fresh.parameters, header: verified.header.header, blockHash: verified.header.hash,
          membership: fresh.membership)
        let outcome = try LedgerExecutor.apply(
          entries: block.entries, decision: block.decision, context: context, state: state)
        state.apply(outcome.changes)
        parent = TBlocks.Parent(
          height: verified.header.header.height, hash: verified.header.hash.data,
          timestampMs: verified.header.header.timestampMs, rblockHeight: 0, stateRoot: state.stateRoot.data)
      }
      #expect(state.stateRoot == pop.net.states[shard].stateRoot, "shard \(shard)")
    }
  }

  @Test func snapshotRebuildReproducesTheRoot() throws {
    var pop = try Population()
    _ = try pop.putRecord(pop.clinician0, for: pop.patient0)
    let state = pop.net.states[0]
    // A snapshot is the sorted StateEntry stream; a joining validator rebuilds and checks the root.
    let stream = state.sortedEntries.map { StateEntry(key: $0.key, value: $0.value) }
    let rebuilt = ShardState(entries: stream.map { ($0.key, $0.value) })
    #expect(rebuilt.stateRoot == state.stateRoot)
    #expect(StateRoot.root(entries: stream.map { ($0.key, $0.value) }) == state.stateRoot)
  }
}

/// The interop vector (Interop/vectors/state_root.json), computed by an independent Python
/// implementation and checked by Interop/tests/test_state_root.py too.
@Suite struct StateRootVectorTests {
  struct Vector: Decodable {
    struct Entry: Decodable {
      var key: String
      var value: String
    }
    var emptyRoot: String
    var root: String
    var entries: [Entry]
    enum CodingKeys: String, CodingKey {
      case emptyRoot = "empty_root"
      case root
      case entries
    }
  }

  @Test func swiftMatchesThePythonVector() throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Interop/vectors/state_root.json")
    let vector = try JSONDecoder().decode(Vector.self, from: Data(contentsOf: path))
    let entries = vector.entries.map { (key: Data(hexString: $0.key)!, value: Data(hexString: $0.value)!) }
    #expect(ShardState().stateRoot.hex == vector.emptyRoot)
    #expect(ShardState(entries: entries).stateRoot.hex == vector.root)
  }
}

import Foundation

/// The writes a block makes to a shard's state: for each key, its new value or its deletion.
/// Applying the same changes to the same state gives the same state on every node.
public struct StateChanges: Sendable, Hashable {
  /// A key's new value, or nil for a deletion.
  public private(set) var writes: [Data: Data?]

  /// No changes.
  public init() { writes = [:] }

  /// The given writes.
  public init(writes: [Data: Data?]) { self.writes = writes }

  /// Sets `key` to `value` (nil deletes).
  public mutating func set(_ key: Data, _ value: Data?) { writes[key] = .some(value) }

  /// Adds `other`'s writes over these.
  public mutating func merge(_ other: StateChanges) {
    for (key, value) in other.writes { writes[key] = .some(value) }
  }

  /// The number of keys written.
  public var count: Int { writes.count }
  /// Whether nothing is written.
  public var isEmpty: Bool { writes.isEmpty }

  /// The writes sorted by key (byte-wise), the order in which storage applies them.
  public var sorted: [(key: Data, value: Data?)] {
    writes.map { (key: $0.key, value: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
  }
}

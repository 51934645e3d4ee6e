import Foundation

/// Writes layered over a base state, for speculative validation and block application: an entry's
/// writes go to a pending layer, which `commitEntry` keeps and `discardEntry` drops, so an invalid
/// entry leaves no trace. Reads see pending writes, then kept writes, then the base.
public struct StateOverlay<Base: StateView>: StateView {
  /// The state under the overlay.
  public let base: Base
  private var kept: [Data: Data?] = [:]
  private var pending: [Data: Data?] = [:]

  /// An empty overlay over `base`.
  public init(base: Base) { self.base = base }

  public func value(forKey key: Data) -> Data? {
    if let write = pending[key] { return write }
    if let write = kept[key] { return write }
    return base.value(forKey: key)
  }

  /// Writes `value` at `key` (nil deletes) in the pending layer.
  public mutating func set(_ key: Data, _ value: Data?) { pending[key] = .some(value) }

  /// Keeps the pending writes.
  public mutating func commitEntry() {
    if kept.isEmpty {
      swap(&kept, &pending)
    } else {
      for (key, value) in pending { kept[key] = .some(value) }
    }
    pending.removeAll(keepingCapacity: true)
  }

  /// Drops the pending writes.
  public mutating func discardEntry() { pending.removeAll(keepingCapacity: true) }

  /// The kept writes.
  public var changes: StateChanges { StateChanges(writes: kept) }
}

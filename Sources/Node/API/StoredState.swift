import Foundation
import Ledger

/// One shard's committed state as the ledger database holds it, for the ledger's read rules
/// (`AccessPolicy.mayRead`) and for checking transactions before they are submitted. A read that
/// fails counts as absent; the callers then refuse what they were asked, which is the safe side.
struct StoredState: StateView {
  let store: LedgerStore
  let shard: UInt32

  func value(forKey key: Data) -> Data? { try? store.stateValue(shard: shard, key: key) }
}

import ChainCrypto
import Foundation
import Wire

/// The state of each shard before its first block (docs/ledger.md, "Genesis state"): an account for
/// every genesis participant that lives in the shard, with its balance and its `Participant`
/// (registered_in = shard, height 0, no hash). Nothing else.
public enum GenesisState {
  /// The changes that make shard `shard`'s genesis state from an empty state.
  public static func changes(for genesis: Genesis, shard: UInt32) throws -> StateChanges {
    let parameters = try ChainParameters(genesis: genesis)
    guard shard < parameters.shardCount else {
      throw LedgerError.invalidGenesis("shard \(shard) does not exist (\(parameters.shardCount) shards)")
    }
    var changes = StateChanges()
    for participant in genesis.participants {
      let key = try Ed25519.PublicKey(rawRepresentation: participant.publicKey)
      guard parameters.shard(of: key.address) == shard else { continue }
      var account = Account.new(key.address, shard: shard)
      account.balance = participant.balance
      account.participant = Participant(
        address: key.address.rawRepresentation, publicKey: key.rawRepresentation, role: participant.role,
        organisation: participant.organisation, displayName: participant.displayName,
        registeredIn: BlockRef(shard: shard, height: 0))
      changes.set(StateKey.account(account.address), try account.serializedData())
    }
    return changes
  }

  /// Shard `shard`'s genesis state.
  public static func state(for genesis: Genesis, shard: UInt32) throws -> ShardState {
    ShardState().applying(try changes(for: genesis, shard: shard))
  }
}

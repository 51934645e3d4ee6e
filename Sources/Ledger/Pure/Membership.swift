import ChainCrypto
import Foundation
import Wire

/// The members of one shard in one epoch, in leader order, with their public keys. Passed to the
/// pure verification functions as a value: nothing is looked up.
public struct ShardMemberSet: Sendable, Hashable {
  /// The shard.
  public let shard: UInt32
  /// The epoch.
  public let epoch: UInt64
  /// The members' addresses in leader order.
  public let members: [Address]
  /// The members' keys.
  public let keys: [Address: Ed25519.PublicKey]

  /// A member set; every member needs a key.
  public init(shard: UInt32, epoch: UInt64, members: [Address], keys: [Address: Ed25519.PublicKey]) throws {
    guard !members.isEmpty else {
      throw LedgerError.invalidBlock("shard \(shard) has no members in epoch \(epoch)")
    }
    guard Set(members).count == members.count else {
      throw LedgerError.invalidBlock("shard \(shard) lists a member twice in epoch \(epoch)")
    }
    for member in members where keys[member] == nil {
      throw LedgerError.invalidBlock("member \(member) of shard \(shard) is not a genesis validator")
    }
    self.shard = shard
    self.epoch = epoch
    self.members = members
    self.keys = keys.filter { members.contains($0.key) }
  }

  /// The number of members m.
  public var count: Int { members.count }
  /// Whether `address` is a member.
  public func contains(_ address: Address) -> Bool { keys[address] != nil }
  /// The leader of `view`: member `view mod m` of the leader order.
  public func leader(view: UInt64) -> Address { members[Int(view % UInt64(members.count))] }
  /// Whether `count` votes are more than half of the members.
  public func isMajority(_ count: Int) -> Bool { count * 2 > members.count }
}

/// The shard assignments of the epochs a verifier knows, with every validator's key: what receipt
/// proofs and commit certificates are checked against. Built from the genesis and the
/// `ShardAssignment`s the RChain produced.
public struct MembershipDirectory: Sendable, Hashable {
  /// Every genesis validator's key by address.
  public let validatorKeys: [Address: Ed25519.PublicKey]
  /// The genesis validator order (RBlock signer bitmaps index it).
  public let validatorOrder: [Address]
  /// Assignments by epoch.
  public private(set) var assignments: [UInt64: ShardAssignment]

  /// A directory of the genesis validators and the given assignments.
  public init(validators: [GenesisValidator], assignments: [ShardAssignment] = []) throws {
    var keys: [Address: Ed25519.PublicKey] = [:]
    var order: [Address] = []
    for (index, validator) in validators.enumerated() {
      let key: Ed25519.PublicKey
      do { key = try Ed25519.PublicKey(rawRepresentation: validator.publicKey) } catch {
        throw LedgerError.invalidGenesis("validators[\(index)].public_key: \(error)")
      }
      guard keys[key.address] == nil else {
        throw LedgerError.invalidGenesis("validators[\(index)]: \(key.address) is listed twice")
      }
      keys[key.address] = key
      order.append(key.address)
    }
    validatorKeys = keys
    validatorOrder = order
    self.assignments = [:]
    for assignment in assignments { try add(assignment) }
  }

  /// Adds (or replaces) an epoch's assignment after checking every member is a validator.
  public mutating func add(_ assignment: ShardAssignment) throws {
    for shard in assignment.shards {
      for (index, member) in shard.members.enumerated() {
        guard let address = try? Address(rawRepresentation: member), validatorKeys[address] != nil else {
          throw LedgerError.invalidBlock(
            "epoch \(assignment.epoch) shard \(shard.shard) members[\(index)] is not a genesis validator")
        }
      }
    }
    assignments[assignment.epoch] = assignment
  }

  /// The members of `shard` in `epoch`, or nil when the epoch or shard is unknown.
  public func members(shard: UInt32, epoch: UInt64) -> ShardMemberSet? {
    guard let assignment = assignments[epoch],
      let entry = assignment.shards.first(where: { $0.shard == shard })
    else { return nil }
    let addresses = entry.members.compactMap { try? Address(rawRepresentation: $0) }
    return try? ShardMemberSet(shard: shard, epoch: epoch, members: addresses, keys: validatorKeys)
  }
}

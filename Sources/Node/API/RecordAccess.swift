import ChainCrypto
import Foundation
import Ledger
import Wire

/// Finding records and deciding who may see them, from the patient's shard's committed state.
///
/// Content (Download) follows the ledger's read rule, `AccessPolicy.mayRead`: the patient, the
/// author, or the grantee of an active grant, never for an erased record. Metadata (GetRecord,
/// ListRecords) may also be seen by admins and auditors, who audit the chain (whose blocks carry the
/// same metadata in its transactions anyway), and stays visible after erasure.
struct RecordAccess {
  let context: APIContext

  /// The record `id`; FAILED_PRECONDITION when this node holds no shard where it could be, NOT_FOUND
  /// when it holds them all and none has it.
  func record(_ id: Data) async throws -> Record {
    let found: Record?
    do { found = try context.ledger.record(id: id) } catch {
      throw APIError.map(error, doing: "reading the record")
    }
    if let found { return found }
    let held = await context.backend.heldShards()
    guard held.count == Int(context.shardCount) else {
      throw APIError.notFound(
        "record \(id.hexString) is not in shard(s) \(held.map(String.init).joined(separator: ", ")) held by this "
          + "node; a record lives in its patient's shard: ask a node of that shard")
    }
    throw APIError.notFound("no record \(id.hexString)")
  }

  /// Whether `reader` may read `record`'s content now.
  func mayRead(_ reader: Principal, _ record: Record) throws -> Bool {
    let shard = Ledger.shard(ofAddressBytes: record.patient, shardCount: context.shardCount)
    do {
      return try Ledger.AccessPolicy.mayRead(
        reader.address.rawRepresentation, record: record, state: context.state(shard), nowMs: context.nowMs)
    } catch {
      throw APIError.internal("checking the grants", cause: error)
    }
  }

  /// Whether `reader` may see `record`'s metadata now.
  func mayView(_ reader: Principal, _ record: Record) throws -> Bool {
    if reader.role == .admin || reader.role == .auditor { return true }
    let address = reader.address.rawRepresentation
    if address == record.patient || address == record.author { return true }
    return try mayRead(reader, record)
  }

  /// PERMISSION_DENIED unless `reader` may read the content of `record`.
  func requireRead(_ reader: Principal, _ record: Record) throws {
    if record.erased {
      throw APIError.notFound(
        "record \(record.recordID.hexString) was erased (crypto-shredded) by transaction "
          + "\(record.erasedBy.hexString); its content no longer exists")
    }
    guard try mayRead(reader, record) else {
      throw APIError.denied(
        "\(reader.username) (\(reader.address.hex)) may not read record \(record.recordID.hexString): only its "
          + "patient, its author and grantees of an active grant may; ask the patient with RequestAccess")
    }
  }
}

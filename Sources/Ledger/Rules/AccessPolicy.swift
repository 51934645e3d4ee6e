import Foundation
import Wire

/// Who may read a record's content (the node enforces it on downloads and record queries), judged
/// from the state of the record's shard at a given time: the record's patient, its author, or a
/// grantee of an active grant from the patient (not revoked, not expired at `nowMs`, for all of the
/// patient's records or for this one). Erased records have no content to read.
public enum AccessPolicy {
  /// Whether `reader` may read `record`'s content at `nowMs` (milliseconds since the Unix epoch).
  public static func mayRead(_ reader: Data, record: Record, state: some StateView, nowMs: UInt64) throws
    -> Bool
  {
    guard !record.erased else { return false }
    if reader == record.patient || reader == record.author { return true }
    return try activeGrant(
      from: record.patient, to: reader, recordID: record.recordID, state: state, nowMs: nowMs)
      != nil
  }

  /// The first active grant from `patient` to `grantee` covering `recordID` (or all records), if any.
  public static func activeGrant(
    from patient: Data, to grantee: Data, recordID: Data, state: some StateView, nowMs: UInt64
  ) throws -> Grant? {
    for id in state.grantIDs(patient: patient, grantee: grantee) {
      guard let grant = try state.grant(id), !grant.revoked else { continue }
      if grant.expiresAtMs != 0, grant.expiresAtMs <= nowMs { continue }
      if grant.recordID.isEmpty || grant.recordID == recordID { return grant }
    }
    return nil
  }
}

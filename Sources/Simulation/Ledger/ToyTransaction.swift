import ChainCrypto
import Foundation
import Wire

/// A transaction of the toy application, decoded from its body: who sends it, the counterparty whose
/// shard carries out its target side, and what it does.
struct ToyTransaction {
  let id: Data
  let sender: Data
  /// The recipient of a transfer, the patient of a record or image, the grantee of a grant.
  let counterparty: Data
  let kind: LoadKind
  /// Tokens moved (transfers only).
  let amount: UInt64

  /// The toy transaction in `tx`, or nil if it is none (an unknown payload, a bad address or amount).
  init?(_ tx: SignedTransaction) {
    guard let body = try? TransactionBody(serializedBytes: tx.body), let payload = body.payload else {
      return nil
    }
    switch payload {
    case .transfer(let transfer):
      guard transfer.amount > 0 else { return nil }
      (counterparty, kind, amount) = (transfer.recipient, .transfer, transfer.amount)
    case .putRecord(let record):
      (counterparty, kind, amount) = (record.patient, .record, 0)
    case .putImageManifest(let image):
      (counterparty, kind, amount) = (image.patient, .image, 0)
    case .grantAccess(let grant):
      (counterparty, kind, amount) = (grant.grantee, .grant, 0)
    default:
      return nil
    }
    guard counterparty.count == 20, counterparty != body.sender else { return nil }
    id = SHA256.hash(tx.body).data
    sender = body.sender
  }

  /// Whether the target side needs the content's chunks in the voter's blob store.
  var carriesContent: Bool { kind == .record || kind == .image }
}

import ChainCrypto
import Foundation
import Wire

/// One entry of a block after the stateless checks: a checked transaction, a receipt whose proof
/// checked out, or the reason it is invalid whatever the state.
public enum PreparedEntry: Sendable, Hashable {
  case transaction(CheckedTransaction)
  case applyReceipt(VerifiedReceipt)
  case abortReceipt(VerifiedReceipt)
  case invalid(Rejection, txID: Data?, type: EntryType)
}

/// A block's entries after `LedgerExecutor.prepare`: decoding, form rules, every signature (in one
/// batch) and receipt proofs done once, for both `validate` and `apply`.
public struct PreparedBlock: Sendable, Hashable {
  /// One per entry, in order.
  public let entries: [PreparedEntry]
}

/// Block execution (docs/ledger.md, "Block execution"). Pure and deterministic: no clock, no
/// randomness, no I/O; the state comes in as a value and the changes go out as a value.
///
/// - `validate` is a member's vote: each entry is judged against the state after the earlier entries
///   it judged valid.
/// - `apply` applies the entries the decision accepted, in order. An accepted entry that is invalid
///   against the state the accepted entries produce (possible when different majorities decided
///   different entries) is recorded as rejected with `void_at_apply` and has no effect.
public enum LedgerExecutor {
  /// Decodes the entries and runs every stateless check: form rules, all transaction signatures in
  /// one `Ed25519.batchVerify`, and receipt proofs (source header, inclusion, certificate against
  /// `context.membership`).
  public static func prepare(entries: [Data], context: BlockContext) -> PreparedBlock {
    var prepared: [PreparedEntry] = []
    prepared.reserveCapacity(entries.count)
    var pending: [(index: Int, range: Range<Int>)] = []
    var items: [Ed25519.BatchItem] = []
    var tallies = Receipts.TallyCache()
    for entry in entries {
      guard let decoded = try? TBlockEntry(serializedBytes: entry),
        let fields = FieldScanner.fieldNumbers(entry), fields.count == 1, let member = decoded.entry
      else {
        prepared.append(
          .invalid(
            Rejection(.malformedEntry, "the entry is not a TBlockEntry with exactly one member set"),
            txID: nil,
            type: .malformed))
        continue
      }
      switch member {
      case .transaction(let signed):
        let size = FieldScanner.firstLengthDelimited(entry)?.length ?? entry.count
        do {
          let checked = try TransactionChecks.checkForm(
            signed, parameters: context.parameters, encodedSize: size)
          let signatures = TransactionChecks.signatureItems(checked)
          pending.append((prepared.count, items.count..<(items.count + signatures.count)))
          items.append(contentsOf: signatures)
          prepared.append(.transaction(checked))
        } catch {
          let id = signed.body.isEmpty ? nil : SHA256.hash(signed.body).data
          let kind = (try? TransactionBody(serializedBytes: signed.body))?.payload.map(TransactionKind.init)
          prepared.append(.invalid(error, txID: id, type: kind.map(EntryType.transaction) ?? .malformed))
        }
      case .receipt(let receipt):
        do {
          let verified = try Receipts.verify(
            receipt, shard: context.shard, parameters: context.parameters, membership: context.membership,
            cache: &tallies)
          prepared.append(verified.kind == .apply ? .applyReceipt(verified) : .abortReceipt(verified))
        } catch {
          let type: EntryType = receipt.kind == .abort ? .abortReceipt(nil) : .applyReceipt(nil)
          prepared.append(.invalid(error, txID: receipt.txID.count == 32 ? receipt.txID : nil, type: type))
        }
      }
    }
    let verdicts = Ed25519.batchVerify(items)
    for (index, range) in pending {
      do { try TransactionChecks.signatureVerdicts(Array(verdicts[range])) } catch {
        guard case .transaction(let checked) = prepared[index] else { continue }
        prepared[index] = .invalid(error, txID: checked.id.data, type: .transaction(checked.kind))
      }
    }
    return PreparedBlock(entries: prepared)
  }

  /// A member's vote on a proposal: one verdict per entry.
  public static func validate(
    _ block: PreparedBlock, context: BlockContext, state: some StateView
  ) throws(LedgerError) -> [EntryVerdict] {
    try checkShape(block, context: context)
    var overlay = StateOverlay(base: state)
    try Rewards.credit(
      context.rewardBlocks, upTo: context.header.rblockHeight, shard: context.shard,
      parameters: context.parameters,
      state: &overlay)
    overlay.commitEntry()
    var verdicts: [EntryVerdict] = []
    verdicts.reserveCapacity(block.entries.count)
    for (index, entry) in block.entries.enumerated() {
      var scope = RuleScope(context: context, position: position(context, index), validating: true)
      let run = try run(entry, state: &overlay, scope: &scope)
      switch run {
      case .done: overlay.commitEntry()
      case .duplicate: break
      case .failed: overlay.discardEntry()
      }
      verdicts.append(EntryVerdict(rejection: run.rejection, isDuplicate: run == .duplicate))
    }
    return verdicts
  }

  /// `prepare` then `validate`.
  public static func validate(
    entries: [Data], context: BlockContext, state: some StateView
  ) throws(LedgerError) -> [EntryVerdict] {
    try validate(prepare(entries: entries, context: context), context: context, state: state)
  }

  /// Applies a decided block: the accepted entries in order, the aborts of rejected APPLY receipts,
  /// and the rewards the header credits. Returns the results, changes, receipts and new state root.
  public static func apply(
    _ block: PreparedBlock, decisions: BitVector, context: BlockContext, state: some MerkleizedState
  ) throws(LedgerError) -> BlockOutcome {
    try checkShape(block, context: context)
    guard decisions.count == block.entries.count else {
      throw .invalidBlock("\(decisions.count) decision bits for \(block.entries.count) entries")
    }
    var overlay = StateOverlay(base: state)
    try Rewards.credit(
      context.rewardBlocks, upTo: context.header.rblockHeight, shard: context.shard,
      parameters: context.parameters,
      state: &overlay)
    overlay.commitEntry()
    var results: [EntryResult] = []
    var receipts: [EmittedReceipt] = []
    var blobEvents: [BlobEvent] = []
    var updates: [CrossShardUpdate] = []
    for (index, entry) in block.entries.enumerated() {
      let accepted = decisions[index]
      var scope = RuleScope(context: context, position: position(context, index), validating: false)
      let run = try run(entry, state: &overlay, scope: &scope)
      var result = EntryResult(
        index: index, txID: entry.txID, type: entry.type, accepted: accepted, status: .applied,
        crossShard: .none)
      if accepted {
        switch run {
        case .done(let crossShard):
          overlay.commitEntry()
          result.crossShard = crossShard
          receipts += scope.effects.receipts
          blobEvents += scope.effects.blobEvents
          updates += scope.effects.crossShard
        case .duplicate:
          result.status = .duplicate
        case .failed(let rejection):
          overlay.discardEntry()
          result.status = .rejected(
            Rejection(
              .voidAtApply,
              "accepted by the shard but invalid against the state the accepted entries produce: \(rejection)"
            ))
        }
      } else {
        overlay.discardEntry()
        switch run {
        case .failed(let rejection):
          result.status = .rejected(rejection)
        case .done, .duplicate:
          result.status = .rejected(
            Rejection(
              .rejectedByVote, "rejected by the shard's vote although valid against this node's state"))
        }
        // A proven APPLY receipt that the shard rejected aborts its transaction, once.
        if case .applyReceipt(let receipt) = entry, run != .duplicate {
          let mark = ReceiptMark(
            outcome: .aborted, sourceShard: receipt.homeRef.shard, position: scope.position)
          overlay.set(
            StateKey.receiptMark(receipt.txID, kind: UInt8(ReceiptKind.apply.rawValue)), mark.encoded)
          overlay.commitEntry()
          receipts.append(
            EmittedReceipt(
              kind: .abort, txID: receipt.txID, targetShard: receipt.homeRef.shard, entryIndex: index))
          updates.append(CrossShardUpdate(txID: receipt.txID, state: .aborted, decidedIn: context.blockRef))
          result.crossShard = .aborted
        }
      }
      results.append(result)
    }
    let changes = overlay.changes
    return BlockOutcome(
      results: results, changes: changes, stateRoot: state.stateRoot(applying: changes), receipts: receipts,
      blobEvents: blobEvents, crossShardUpdates: updates)
  }

  /// `prepare` then `apply`.
  public static func apply(
    entries: [Data], decisions: BitVector, context: BlockContext, state: some MerkleizedState
  ) throws(LedgerError) -> BlockOutcome {
    try apply(
      prepare(entries: entries, context: context), decisions: decisions, context: context, state: state)
  }

  /// `prepare` then `apply`, with the decision as wire bytes.
  public static func apply(
    entries: [Data], decision: Data, context: BlockContext, state: some MerkleizedState
  ) throws(LedgerError) -> BlockOutcome {
    guard let bits = BitVector(bytes: decision, count: entries.count) else {
      throw .invalidBlock("the decision has \(decision.count) bytes for \(entries.count) entries")
    }
    return try apply(
      prepare(entries: entries, context: context), decisions: bits, context: context, state: state)
  }

  // MARK: - One entry

  private enum Run: Equatable {
    case done(EntryResult.CrossShard)
    case duplicate
    case failed(Rejection)

    var rejection: Rejection? {
      if case .failed(let rejection) = self { return rejection }
      return nil
    }
  }

  /// Runs one entry's rules into the overlay's pending layer (which the caller keeps or drops).
  private static func run<S: StateView>(
    _ entry: PreparedEntry, state: inout StateOverlay<S>, scope: inout RuleScope
  ) throws(LedgerError) -> Run {
    do {
      switch entry {
      case .invalid(let rejection, _, _):
        return .failed(rejection)
      case .transaction(let tx):
        return .done(try TransactionRules.execute(tx, state: &state, scope: &scope))
      case .applyReceipt(let receipt):
        let markKey = StateKey.receiptMark(receipt.txID, kind: UInt8(ReceiptKind.apply.rawValue))
        if state.value(forKey: markKey) != nil { return .duplicate }
        try TransactionRules.applyTarget(
          receipt.transaction, origin: receipt.homeRef, local: false, state: &state, scope: &scope)
        let mark = ReceiptMark(
          outcome: .applied, sourceShard: receipt.homeRef.shard, position: scope.position)
        state.set(markKey, mark.encoded)
        scope.effects.crossShard.append(
          CrossShardUpdate(txID: receipt.txID, state: .applied, decidedIn: scope.blockRef))
        return .done(.applied)
      case .abortReceipt(let receipt):
        let markKey = StateKey.receiptMark(receipt.txID, kind: UInt8(ReceiptKind.abort.rawValue))
        if state.value(forKey: markKey) != nil { return .duplicate }
        guard var home = try state.crossShardHome(receipt.txID), home.state == .pending else {
          throw Rejection(
            .noPendingTransaction,
            "transaction \(receipt.txID.hexString) has no pending cross-shard side in this shard")
        }
        guard home.targetShard == receipt.sourceRef.shard else {
          throw Rejection(
            .receiptMismatch,
            "transaction \(receipt.txID.hexString) went to shard \(home.targetShard), not \(receipt.sourceRef.shard)"
          )
        }
        try TransactionRules.compensate(receipt.transaction, state: &state, scope: scope)
        home.state = .compensated
        state.set(StateKey.crossShardHome(receipt.txID), home.encoded)
        let mark = ReceiptMark(
          outcome: .compensated, sourceShard: receipt.sourceRef.shard, position: scope.position)
        state.set(markKey, mark.encoded)
        scope.effects.crossShard.append(
          CrossShardUpdate(txID: receipt.txID, state: .aborted, decidedIn: receipt.sourceRef))
        return .done(.aborted)
      }
    } catch let rejection as Rejection {
      return .failed(rejection)
    } catch let error as LedgerError {
      throw error
    } catch {
      throw .corruptState(key: "?", detail: "\(error)")
    }
  }

  private static func position(_ context: BlockContext, _ index: Int) -> EntryPosition {
    EntryPosition(height: context.height, index: UInt32(index))
  }

  private static func checkShape(_ block: PreparedBlock, context: BlockContext) throws(LedgerError) {
    guard block.entries.count == Int(context.header.entryCount) else {
      throw .invalidBlock(
        "\(block.entries.count) entries for a header announcing \(context.header.entryCount)")
    }
  }
}

extension PreparedEntry {
  /// The transaction id the entry concerns.
  public var txID: Data? {
    switch self {
    case .transaction(let tx): tx.id.data
    case .applyReceipt(let receipt), .abortReceipt(let receipt): receipt.txID
    case .invalid(_, let txID, _): txID
    }
  }

  /// What the entry is.
  public var type: EntryType {
    switch self {
    case .transaction(let tx): .transaction(tx.kind)
    case .applyReceipt(let receipt): .applyReceipt(receipt.transaction.kind)
    case .abortReceipt(let receipt): .abortReceipt(receipt.transaction.kind)
    case .invalid(_, _, let type): type
    }
  }
}

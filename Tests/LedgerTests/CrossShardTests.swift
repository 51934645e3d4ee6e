import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// Cross-shard apply, abort and compensation exactly once, duplicated and replayed receipts, and
/// forged proofs.
@Suite struct CrossShardTests {
  /// A network where the lab (shard 1) holds almost the largest balance, so a transfer to it
  /// overflows in its shard: a target side that fails.
  var net: TestNetwork
  init() throws { net = try TestNetwork(genesisBalance: UInt64.max - 10) }

  var admin: Ed25519.PrivateKey { net.admin }
  var labAddress: Data { net.lab.address.rawRepresentation }

  /// The admin (shard 0) sends `amount` to the lab (shard 1); returns the home block and outcome.
  mutating func transferToLab(_ amount: UInt64) throws -> (TBlock, BlockOutcome, Data) {
    let tx = net.sign(admin, .transfer(Transfer(recipient: labAddress, amount: amount)))
    let (block, outcome) = try net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    return (block, outcome, SHA256.hash(tx.body).data)
  }

  @Test func abortAndCompensationHappenExactlyOnce() throws {
    var test = self
    let before = test.net.account(test.admin)!.balance
    let (block, outcome, txID) = try test.transferToLab(100)
    #expect(outcome.results[0].crossShard == .pending(targetShard: 1))
    #expect(test.net.account(test.admin)!.balance == before - 100)

    // The lab's shard rejects its side (overflow) and emits an ABORT.
    let apply = try test.net.receipts(of: block, outcome)[0]
    let (targetBlock, targetOutcome) = try test.net.commit(shard: 1, entries: [TestNetwork.entry(apply)])
    let result = targetOutcome.results[0]
    #expect(!result.accepted)
    #expect(result.rejection?.code == .balanceOverflow)
    #expect(result.crossShard == .aborted)
    #expect(
      targetOutcome.receipts == [EmittedReceipt(kind: .abort, txID: txID, targetShard: 0, entryIndex: 0)])
    #expect(try test.net.states[1].receiptMark(txID, kind: .apply)?.outcome == .aborted)
    #expect(test.net.account(test.net.lab)!.balance == UInt64.max - 10)

    // The ABORT goes home: the admin is refunded once.
    let abort = try test.net.receipts(of: targetBlock, targetOutcome)[0]
    #expect(abort.kind == .abort)
    let (_, homeOutcome) = try test.net.commit(shard: 0, entries: [TestNetwork.entry(abort)])
    #expect(homeOutcome.results[0].status == .applied)
    #expect(homeOutcome.results[0].type == .abortReceipt(.transfer))
    #expect(homeOutcome.results[0].crossShard == .aborted)
    #expect(test.net.account(test.admin)!.balance == before)
    #expect(try test.net.states[0].crossShardHome(txID)?.state == .compensated)

    // The same ABORT again, alone and twice in one block: accepted without effect.
    let (_, again) = try test.net.commit(
      shard: 0, entries: [TestNetwork.entry(abort), TestNetwork.entry(abort)])
    #expect(again.results.map(\.status) == [.duplicate, .duplicate])
    #expect(again.results.allSatisfy { $0.accepted })
    #expect(test.net.account(test.admin)!.balance == before)

    // Replaying the APPLY in the lab's shard: it was decided (aborted) already; no credit, no second ABORT.
    let (_, replay) = try test.net.commit(shard: 1, entries: [TestNetwork.entry(apply)])
    #expect(replay.results[0].status == .duplicate)
    #expect(replay.receipts.isEmpty)
    #expect(test.net.account(test.net.lab)!.balance == UInt64.max - 10)
  }

  @Test func duplicatedApplyReceiptsApplyOnce() throws {
    var test = self
    let (block, outcome, _) = try test.transferToLab(5)
    let apply = try test.net.receipts(of: block, outcome)[0]
    let (_, target) = try test.net.commit(
      shard: 1, entries: [TestNetwork.entry(apply), TestNetwork.entry(apply)])
    #expect(target.results.map(\.status) == [.applied, .duplicate])
    #expect(test.net.account(test.net.lab)!.balance == UInt64.max - 5)
    let (_, replay) = try test.net.commit(shard: 1, entries: [TestNetwork.entry(apply)])
    #expect(replay.results[0].status == .duplicate)
    #expect(test.net.account(test.net.lab)!.balance == UInt64.max - 5)
  }

  @Test func targetRejectionByVoteAbortsEvenWhenTheSideIsValid() throws {
    // The lab's shard votes the APPLY invalid although this node finds it valid: the decision
    // stands, the transaction is aborted and the home compensates.
    var test = self
    let (block, outcome, txID) = try test.transferToLab(5)
    let apply = try test.net.receipts(of: block, outcome)[0]
    let (targetBlock, target) = try test.net.commit(
      shard: 1, entries: [TestNetwork.entry(apply)], votes: Array(repeating: [false], count: 3))
    #expect(target.results[0].rejection?.code == .rejectedByVote)
    #expect(target.receipts.map(\.kind) == [.abort])
    let abort = try test.net.receipts(of: targetBlock, target)[0]
    let balance = test.net.account(test.admin)!.balance
    let (_, home) = try test.net.commit(shard: 0, entries: [TestNetwork.entry(abort)])
    #expect(home.results[0].status == .applied)
    #expect(test.net.account(test.admin)!.balance == balance + 5)
    #expect(try test.net.states[0].crossShardHome(txID)?.state == .compensated)
  }

  @Test func requestToAnUnknownPatientFails() throws {
    var pop = try Population()
    let ghost = pop.net.newKey("ghost", shard: 1)
    let tx = pop.net.sign(
      pop.clinician0, .requestAccess(RequestAccess(patient: ghost.address.rawRepresentation, reason: "r")))
    let id = SHA256.hash(tx.body).data
    let (block, outcome) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    let (targetBlock, target) = try pop.net.commit(
      shard: 1, entries: try pop.net.receipts(of: block, outcome).map(TestNetwork.entry))
    #expect(target.results[0].rejection?.code == .unknownPatient)
    try pop.net.commit(
      shard: 0, entries: try pop.net.receipts(of: targetBlock, target).map(TestNetwork.entry))
    #expect(try pop.net.states[0].accessRequest(id)?.state == .failed)
    #expect(try pop.net.states[1].accessRequest(id) == nil)
  }

  @Test func grantToAnUnknownGranteeIsRevokedByCompensation() throws {
    var pop = try Population()
    let ghost = pop.net.newKey("ghost", shard: 1)
    let tx = pop.net.sign(pop.patient0, .grantAccess(GrantAccess(grantee: ghost.address.rawRepresentation)))
    let id = SHA256.hash(tx.body).data
    let (block, outcome) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    #expect(try pop.net.states[0].grant(id)?.revoked == false)
    let (targetBlock, target) = try pop.net.commit(
      shard: 1, entries: try pop.net.receipts(of: block, outcome).map(TestNetwork.entry))
    #expect(target.results[0].rejection?.code == .unknownGrantee)
    try pop.net.commit(
      shard: 0, entries: try pop.net.receipts(of: targetBlock, target).map(TestNetwork.entry))
    #expect(try pop.net.states[0].grant(id)?.revoked == true)
  }

  @Test func recordForAnUnknownPatientIsAbortedWithoutHomeEffects() throws {
    var pop = try Population()
    let ghost = pop.net.newKey("ghost", shard: 0)
    let tx = pop.net.sign(pop.clinician1, TestNetwork.record(patient: ghost))
    let id = SHA256.hash(tx.body).data
    let (block, outcome) = try pop.net.commit(shard: 1, entries: [TestNetwork.entry(tx)])
    let (targetBlock, target) = try pop.net.commit(
      shard: 0, entries: try pop.net.receipts(of: block, outcome).map(TestNetwork.entry))
    #expect(target.results[0].rejection?.code == .unknownPatient)
    #expect(try pop.net.states[0].record(id) == nil)
    let (_, home) = try pop.net.commit(
      shard: 1, entries: try pop.net.receipts(of: targetBlock, target).map(TestNetwork.entry))
    #expect(home.results[0].status == .applied)
    #expect(try pop.net.states[1].crossShardHome(id)?.state == .compensated)
    #expect(pop.net.account(pop.clinician1)?.nonce == 2, "the nonce stays consumed")
  }

  // MARK: - Forged proofs

  /// A genuine APPLY receipt of a transfer from the admin to the lab (5 tokens).
  mutating func genuineApply() throws -> (Receipt, TBlock) {
    let (block, outcome, _) = try transferToLab(5)
    return (try net.receipts(of: block, outcome)[0], block)
  }

  func targetRejection(_ receipt: Receipt) throws -> Rejection? {
    try net.verdicts([TestNetwork.entry(receipt)], shard: 1)[0].rejection
  }

  @Test func genuineReceiptIsValid() throws {
    var test = self
    let (receipt, _) = try test.genuineApply()
    #expect(try test.targetRejection(receipt) == nil)
  }

  @Test func badVoteSignature() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    receipt.certificate!.votes[0].signature!.signature[0] ^= 1
    #expect(try test.targetRejection(receipt)?.code == .badCertificate)
  }

  @Test func voteOfANonMember() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    // A validator of shard 1 votes on shard 0's block.
    let outsider = test.net.memberKeys(1)[0]
    let header = try TBlockHeader(serializedBytes: receipt.sourceHeader)
    let vote = try Votes.make(
      header: header, blockHash: BlockHashes.hash(header: receipt.sourceHeader), valid: [true], key: outsider)
    receipt.certificate!.votes[0] = vote
    let rejection = try test.targetRejection(receipt)
    #expect(rejection?.code == .nonMemberVote)
    #expect(rejection?.message.contains(outsider.address.hex) == true)
  }

  @Test func aVoterCountedTwiceIsRefused() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    receipt.certificate!.votes[1] = receipt.certificate!.votes[0]
    let rejection = try test.targetRejection(receipt)
    #expect(rejection?.code == .badCertificate)
    #expect(rejection?.message.contains("a second vote") == true)
  }

  @Test func minorityCertificate() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    receipt.certificate!.votes = [receipt.certificate!.votes[0]]
    let rejection = try test.targetRejection(receipt)
    #expect(rejection?.code == .minorityCertificate)
    #expect(rejection?.message.contains("1 votes of 3 members") == true)
  }

  @Test func entryNotInTheBlock() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    // Another transfer, signed by the admin, that the block never contained.
    receipt.sourceEntry = TestNetwork.entry(
      test.net.sign(test.admin, .transfer(Transfer(recipient: test.labAddress, amount: 1_000_000)), nonce: 1))
    #expect(try test.targetRejection(receipt)?.code == .receiptNotInBlock)
    var (other, _) = try test.genuineApply()
    other.inclusion!.treeSize = 2
    #expect(try test.targetRejection(other)?.code == .receiptNotInBlock)
  }

  @Test func decisionBitsThatLieAreIgnored() throws {
    // The admin's transfer is rejected by its shard (insufficient balance: it has almost nothing left
    // after a first transfer). A relayer claims it was accepted: the target recomputes the decision
    // from the votes and refuses.
    var pop = try Population()
    let tx = pop.net.sign(
      pop.net.admin, .transfer(Transfer(recipient: pop.patient1.address.rawRepresentation, amount: 5000)))
    let (block, outcome) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    #expect(!outcome.results[0].accepted)
    var lying = block
    lying.decision = Data([1])
    #expect(throws: LedgerError.self) {
      try TBlocks.verify(lying, parameters: pop.net.parameters, members: pop.net.members(0), parent: nil)
    }
    let receipt = try Receipts.make(
      block: lying, entryIndex: 0, kind: .apply, txID: SHA256.hash(tx.body).data, targetShard: 1)
    let rejection = try pop.net.verdicts([TestNetwork.entry(receipt)], shard: 1)[0].rejection
    #expect(rejection?.code == .receiptEntryRejected)
  }

  @Test func receiptForAnotherShard() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    #expect(try test.net.verdicts([TestNetwork.entry(receipt)], shard: 0)[0].rejection?.code == .wrongShard)
    receipt.targetShard = 0
    receipt.sourceShard = 1
    #expect(try test.targetRejection(receipt)?.code == .wrongShard)
  }

  @Test func receiptWithATamperedHeaderOrUnknownEpoch() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    var header = try TBlockHeader(serializedBytes: receipt.sourceHeader)
    header.epoch = 7
    receipt.sourceHeader = try header.serializedData()
    #expect(try test.targetRejection(receipt)?.code == .unknownEpoch)
    receipt.sourceHeader = Data([0xff])
    #expect(try test.targetRejection(receipt)?.code == .badReceiptHeader)
  }

  @Test func receiptWithTheWrongTransactionID() throws {
    var test = self
    var (receipt, _) = try test.genuineApply()
    receipt.txID = Data(count: 32)
    #expect(try test.targetRejection(receipt)?.code == .receiptMismatch)
    receipt.txID = Data(count: 3)
    #expect(try test.targetRejection(receipt)?.code == .badReceipt)
    receipt.kind = .unspecified
    #expect(try test.targetRejection(receipt)?.code == .badReceipt)
  }

  @Test func abortOfAnAcceptedApplyIsRefused() throws {
    var test = self
    let (receipt, _) = try test.genuineApply()
    let (targetBlock, target) = try test.net.commit(shard: 1, entries: [TestNetwork.entry(receipt)])
    #expect(target.results[0].status == .applied)
    // A forged ABORT made from the accepted APPLY entry.
    let abort = try Receipts.make(
      block: targetBlock, entryIndex: 0, kind: .abort, txID: receipt.txID, targetShard: 0)
    let rejection = try test.net.verdicts([TestNetwork.entry(abort)], shard: 0)[0].rejection
    #expect(rejection?.code == .receiptEntryAccepted)
  }

  @Test func abortWithoutAPendingHomeSide() throws {
    // The target shard rejected a receipt whose proof is valid, but the home never recorded a pending
    // side for it (e.g. its transaction was void at apply at home): the ABORT has nothing to undo.
    var test = self
    let (receipt, _) = try test.genuineApply()
    let (targetBlock, target) = try test.net.commit(
      shard: 1, entries: [TestNetwork.entry(receipt)], votes: Array(repeating: [false], count: 3))
    let abort = try Receipts.make(block: targetBlock, emitted: target.receipts[0])
    var home = test.net.states[0]
    var changes = StateChanges()
    changes.set(StateKey.crossShardHome(receipt.txID), nil)
    home.apply(changes)
    test.net.states[0] = home
    let rejection = try test.net.verdicts([TestNetwork.entry(abort)], shard: 0)[0].rejection
    #expect(rejection?.code == .noPendingTransaction)
  }

  // MARK: - Decisions that differ from a member's verdicts

  @Test func voidAtApply() throws {
    // Two transfers of the admin (nonces 1 and 2). The shard's decision rejects the first and accepts
    // the second: at apply the second has a bad nonce, so it is void and changes nothing.
    var test = self
    let first = test.net.sign(
      test.admin, .transfer(Transfer(recipient: test.net.hospital.address.rawRepresentation, amount: 1)))
    let second = test.net.sign(
      test.admin, .transfer(Transfer(recipient: test.net.hospital.address.rawRepresentation, amount: 2)),
      nonce: 2)
    let before = test.net.account(test.admin)!
    let (_, outcome) = try test.net.commit(
      shard: 0, entries: [first, second].map(TestNetwork.entry),
      votes: Array(repeating: [false, true], count: 3))
    #expect(outcome.results[0].rejection?.code == .rejectedByVote)
    #expect(outcome.results[1].accepted)
    let rejection = try #require(outcome.results[1].rejection)
    #expect(rejection.code == .voidAtApply)
    #expect(rejection.message.contains("bad_nonce: expected nonce 1, got 2"))
    #expect(test.net.account(test.admin) == before)
  }

  @Test func voidAtApplyIsDeterministic() throws {
    var a = self
    var b = try CrossShardTests()
    let tx = a.net.sign(
      a.admin, .transfer(Transfer(recipient: a.net.hospital.address.rawRepresentation, amount: 1)))
    let votes = Array(repeating: [true, true], count: 3)
    let (_, outcomeA) = try a.net.commit(shard: 0, entries: [tx, tx].map(TestNetwork.entry), votes: votes)
    let (_, outcomeB) = try b.net.commit(shard: 0, entries: [tx, tx].map(TestNetwork.entry), votes: votes)
    #expect(outcomeA.stateRoot == outcomeB.stateRoot)
    #expect(outcomeA.results == outcomeB.results)
    #expect(outcomeA.results[1].rejection?.code == .voidAtApply)
  }
}

import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Consensus

/// The pure proof checks: commit certificates, receipts, evidence, RBlock certificates (docs/protocol.md
/// §3.4, §4, §6.3, §7).
@Suite struct ProofTests {
  let net = TestNetwork(validators: 4, shards: 2)

  /// Shard kits for the members of shards 0 and 1 (two members each).
  var shards: [ShardKit] {
    let assignment = ShardAssigner.assign(
      epoch: 0, seed: Data([1]), validators: net.addresses,
      reputation: Dictionary(uniqueKeysWithValues: net.addresses.map { ($0, 500_000) }), shardCount: 2)
    return assignment.shards.enumerated().map { ShardKit(net: net, members: $0.element, shard: UInt32($0.offset)) }
  }

  var context: ProofContext {
    let groups = shards.map(\.members)
    return net.proofContext { shard, _ in Int(shard) < groups.count ? groups[Int(shard)] : nil }
  }

  @Test func bitmapsAreLeastSignificantBitFirstAndRefuseStrayBits() {
    #expect(Bitmap.encode([true, false, false, true, false, false, false, false, true]) == Data([0b0000_1001, 0b1]))
    #expect(Bitmap.decode(Data([0b1001]), count: 4) == [true, false, false, true])
    #expect(Bitmap.decode(Data([0b1_0000]), count: 4) == nil)
    #expect(Bitmap.decode(Data([1, 0]), count: 4) == nil)
    #expect(Bitmap.encode([]) == Data())
  }

  /// A committed block of shard 0 with one transfer to an account of shard 1, and its decision bits.
  func homeBlock(accepted: Bool = true) -> (TBlock, SignedTransaction) {
    let kit = shards[0]
    var recipient = Data()
    var i = 0
    repeat {
      recipient = Data(SHA256.hash(Data("r\(i)".utf8)).data.prefix(20))
      i += 1
    } while AccountShard.shard(of: recipient, shardCount: 2) != 1
    let (entry, tx) = net.transferEntry(nonce: 1, shard: 0, recipient: recipient)
    let proposal = kit.proposal(entries: [entry])
    let votes = kit.members.indices.map { kit.vote($0, on: proposal, bits: [accepted]) }
    let commit = kit.commit(proposal, votes: votes)
    return (
      TBlock(
        header: proposal.header, proposerSignature: proposal.signature, entries: proposal.entries,
        decision: commit.decision, certificate: commit.certificate), tx
    )
  }

  @Test func anApplyReceiptBuiltFromACommittedBlockVerifies() throws {
    let (block, tx) = homeBlock()
    let txID = SHA256.hash(tx.body).data
    let receipt = try #require(
      ReceiptBuilder.make(
        block: block, shard: 0, emitted: EmittedReceipt(entryIndex: 0, kind: .apply, txID: txID, targetShard: 1)))
    let proven = try ReceiptProofCheck.verify(receipt, targetShard: 1, context: context).get()
    #expect(proven.kind == .apply && proven.txID == txID && proven.sourceShard == 0 && proven.sourceHeight == 1)
  }

  @Test(arguments: ReceiptDefect.allCases)
  func aTamperedReceiptDoesNotVerify(_ defect: ReceiptDefect) throws {
    let (block, tx) = homeBlock()
    var receipt = ReceiptBuilder.make(
      block: block, shard: 0,
      emitted: EmittedReceipt(entryIndex: 0, kind: .apply, txID: SHA256.hash(tx.body).data, targetShard: 1))!
    var target: UInt32 = 1
    switch defect {
    case .wrongTarget: target = 0
    case .tamperedEntry: receipt.sourceEntry[receipt.sourceEntry.startIndex + 3] ^= 1
    case .otherTransactionID: receipt.txID = Data(repeating: 1, count: 32)
    case .minorityCertificate: receipt.certificate?.votes.removeLast()
    case .wrongInclusion: receipt.inclusion?.treeSize = 2
    case .rejectedTransaction: receipt = ReceiptBuilder.make(
        block: homeBlock(accepted: false).0, shard: 0,
        emitted: EmittedReceipt(entryIndex: 0, kind: .apply, txID: SHA256.hash(tx.body).data, targetShard: 1))!
    case .unknownEpoch:
      let none = net.proofContext { _, _ in nil }
      #expect(throws: CheckFailure.self) { try ReceiptProofCheck.verify(receipt, targetShard: 1, context: none).get() }
      return
    }
    #expect(throws: CheckFailure.self, "\(defect)") { try ReceiptProofCheck.verify(receipt, targetShard: target, context: context).get() }
  }

  enum ReceiptDefect: CaseIterable, Sendable {
    case wrongTarget, tamperedEntry, otherTransactionID, minorityCertificate, wrongInclusion, rejectedTransaction
    case unknownEpoch
  }

  /// The target shard's block holding `apply` as its only entry, voted `bits` by its members.
  func targetBlock(holding apply: Receipt, bits: [[Bool]]) -> TBlock {
    let kit = shards[1]
    let entry = try! TBlockEntry(entry: .receipt(apply)).serializedData()
    let proposal = kit.proposal(entries: [entry])
    let votes = zip(kit.members.indices, bits).map { kit.vote($0.0, on: proposal, bits: $0.1) }
    let commit = kit.commit(proposal, votes: votes)
    return TBlock(
      header: proposal.header, proposerSignature: proposal.signature, entries: proposal.entries,
      decision: commit.decision, certificate: commit.certificate)
  }

  @Test func anAbortNeedsARejectionByAMajorityOfExplicitInvalidVotes() throws {
    let (block, tx) = homeBlock()
    let txID = SHA256.hash(tx.body).data
    let apply = ReceiptBuilder.make(
      block: block, shard: 0, emitted: EmittedReceipt(entryIndex: 0, kind: .apply, txID: txID, targetShard: 1))!
    func abort(_ bits: [[Bool]]) -> Receipt {
      ReceiptBuilder.make(
        block: targetBlock(holding: apply, bits: bits), shard: 1,
        emitted: EmittedReceipt(entryIndex: 0, kind: .abort, txID: txID, targetShard: 0))!
    }
    // Both target members voted invalid: the abort proves a first rejection.
    #expect(try ReceiptProofCheck.verify(abort([[false], [false]]), targetShard: 0, context: context).get().kind == .abort)
    // Accepted: nothing to abort.
    #expect(throws: CheckFailure.self) { try ReceiptProofCheck.verify(abort([[true], [true]]), targetShard: 0, context: context).get() }
  }

  @Test func evidenceOfTwoHeadersProvesTheProposer() throws {
    let kit = shards[0]
    let a = kit.proposal(entries: [])
    let b = kit.proposal(entries: [], timestamp: 11)
    let evidence = EquivocationEvidence(
      kind: .tblockProposal, first: a.header, firstSignature: a.signature, second: b.header, secondSignature: b.signature)
    let proven = try EvidenceCheck.check(
      evidence, chainID: net.params.chainID, validators: net.validators, scheme: net.scheme, epochLength: 10
    ).get()
    #expect(proven.offender == kit.leader(of: 0) && proven.kind == .tblockProposal && proven.height == 1)
  }

  @Test func evidenceIsRefusedWhenItProvesNothing() {
    let kit = shards[0]
    let a = kit.proposal(entries: [])
    let b = kit.proposal(entries: [], timestamp: 11)
    let otherHeight = kit.proposal(height: 2, entries: [])
    let byAnother = kit.proposal(entries: [], timestamp: 12, signer: kit.members[1])
    func check(_ e: EquivocationEvidence) -> Bool {
      (try? EvidenceCheck.check(e, chainID: net.params.chainID, validators: net.validators, scheme: net.scheme, epochLength: 10).get())
        != nil
    }
    #expect(!check(EquivocationEvidence(kind: .tblockProposal, first: a.header, firstSignature: a.signature, second: a.header, secondSignature: a.signature)))
    #expect(!check(EquivocationEvidence(kind: .tblockProposal, first: a.header, firstSignature: a.signature, second: otherHeight.header, secondSignature: otherHeight.signature)))
    #expect(!check(EquivocationEvidence(kind: .tblockProposal, first: a.header, firstSignature: a.signature, second: byAnother.header, secondSignature: byAnother.signature)))
    var forged = b.signature!
    forged.signature = Data(repeating: 2, count: 64)
    #expect(!check(EquivocationEvidence(kind: .tblockProposal, first: a.header, firstSignature: a.signature, second: b.header, secondSignature: forged)))
    #expect(!check(EquivocationEvidence(kind: .vote, first: a.header, firstSignature: a.signature, second: b.header, secondSignature: b.signature)))
  }

  @Test func evidenceOfTwoVotesAndOfTwoDecisions() throws {
    let kit = shards[0]
    let p = kit.proposal(entries: [net.transferEntry(nonce: 1).entry])
    let v1 = kit.vote(1, on: p, bits: [true])
    let v2 = kit.vote(1, on: p, bits: [false])
    let votes = try EvidenceCheck.check(
      EquivocationEvidence(kind: .vote, first: v1.body, firstSignature: v1.signature, second: v2.body, secondSignature: v2.signature),
      chainID: net.params.chainID, validators: net.validators, scheme: net.scheme, epochLength: 10
    ).get()
    #expect(votes.offender == kit.members[1])
    let d1 = kit.commit(p, votes: [kit.vote(0, on: p, bits: [true]), v1]).endorsement!
    let d2 = kit.commit(p, votes: [kit.vote(0, on: p, bits: [false]), v2]).endorsement!
    let decisions = try EvidenceCheck.check(
      EquivocationEvidence(kind: .decision, first: d1.body, firstSignature: d1.signature, second: d2.body, secondSignature: d2.signature),
      chainID: net.params.chainID, validators: net.validators, scheme: net.scheme, epochLength: 10
    ).get()
    #expect(decisions.offender == kit.leader(of: 0) && decisions.kind == .decision)
  }

  @Test func theRChainQuorumNeedsTwoThirdsAndAMajorityOfEveryShard() {
    // Nine validators in three shards of three.
    let nine = TestNetwork(validators: 9, shards: 3)
    let shards = [Array(nine.addresses[0..<3]), Array(nine.addresses[3..<6]), Array(nine.addresses[6..<9])]
    let assignment = EpochAssignment(epoch: 0, seed: Data(), shards: shards)
    // Seven signers (> 6) but only one of shard 2: no quorum.
    let seven = Set(shards[0] + shards[1] + [shards[2][0]])
    #expect(!RBlockCertificateCheck.isQuorum(seven, validatorCount: 9, assignment: assignment))
    // Seven with two of every shard... and one more: quorum.
    let balanced = Set(shards[0] + Array(shards[1].prefix(2)) + Array(shards[2].prefix(2)))
    #expect(RBlockCertificateCheck.isQuorum(balanced, validatorCount: 9, assignment: assignment))
    // Six (= 2n/3, not more) with two of every shard: no quorum.
    let six = Set(shards.flatMap { $0.prefix(2) })
    #expect(!RBlockCertificateCheck.isQuorum(six, validatorCount: 9, assignment: assignment))
  }

  @Test func anRBlockCertificateIsCheckedSignatureBySignature() throws {
    let assignment = EpochAssignment(epoch: 0, seed: Data(), shards: [net.addresses])
    let hash = SHA256.hash(Data("block".utf8)).data
    var signatures: [Address: Data] = [:]
    for signer in net.signers.prefix(3) { signatures[signer.address] = signer.sign(domain: .rblock, message: hash) }
    let certificate = RBlockCertificateCheck.make(signatures, validators: net.validators)
    let signers = try RBlockCertificateCheck.verify(
      certificate, domain: .rblock, message: hash, validators: net.validators, assignment: assignment, scheme: net.scheme
    ).get()
    #expect(signers.count == 3)
    // The same signatures do not verify in the prepare role, nor for another block.
    #expect(throws: CheckFailure.self) {
      try RBlockCertificateCheck.verify(
        certificate, domain: .rblockPrepare, message: hash, validators: net.validators, assignment: assignment, scheme: net.scheme
      ).get()
    }
    var tampered = certificate
    tampered.signatures[1] = Data(repeating: 0, count: 64)
    #expect(throws: CheckFailure.self) {
      try RBlockCertificateCheck.verify(
        tampered, domain: .rblock, message: hash, validators: net.validators, assignment: assignment, scheme: net.scheme
      ).get()
    }
    let two = RBlockCertificateCheck.make(signatures.filter { $0.key != net.addresses[0] }, validators: net.validators)
    #expect(throws: CheckFailure.self) {
      try RBlockCertificateCheck.verify(
        two, domain: .rblock, message: hash, validators: net.validators, assignment: assignment, scheme: net.scheme
      ).get()
    }
  }

  @Test func signingDomainsStayPrefixFreeAndTheSchemesAgreeOnWhatIsValid() throws {
    #expect(SigningDomain.prefixPairs(in: SigningDomain.all + SigningDomain.consensusDomains).isEmpty)
    let simulated = net.signers[0]
    let message = Data("m".utf8)
    let signature = simulated.sign(domain: .vote, message: message)
    #expect(net.scheme.isValid(signature: signature, publicKey: simulated.publicKey, domain: .vote, message: message))
    #expect(!net.scheme.isValid(signature: signature, publicKey: simulated.publicKey, domain: .ack, message: message))
    #expect(!net.scheme.isValid(signature: signature, publicKey: net.signers[1].publicKey, domain: .vote, message: message))
    // Real Ed25519.
    let key = try Ed25519.PrivateKey(rawRepresentation: Data(repeating: 7, count: 32))
    let signer = Ed25519MessageSigner(key: key)
    let scheme = Ed25519SignatureScheme(knownKeys: [signer.publicKey])
    let real = signer.sign(domain: .vote, message: message)
    #expect(scheme.isValid(signature: real, publicKey: signer.publicKey, domain: .vote, message: message))
    #expect(!scheme.isValid(signature: real, publicKey: signer.publicKey, domain: .decision, message: message))
    #expect(signer.address == key.address)
  }
}

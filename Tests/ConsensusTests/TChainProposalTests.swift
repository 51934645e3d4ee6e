import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Consensus

/// Proposal acceptance (docs/protocol.md §3.2) and voting (§3.3).
@Suite struct TChainProposalTests {
  let kit = ShardKit(net: TestNetwork(validators: 4))
  var entries: [Data] { [kit.net.transferEntry(nonce: 1).entry, kit.net.transferEntry(nonce: 2).entry] }

  @Test func aValidProposalFromTheLeaderIsValidated() {
    var member = kit.replica(1)
    var env = TChainEnvironment()
    let proposal = kit.proposal(entries: entries)
    let out = member.receive(.proposal(proposal), from: kit.leader(of: 0), at: 20, env: &env)
    #expect(out.validations.count == 1)
    #expect(out.validations.first?.blockHash == kit.hash(proposal))
    #expect(out.validations.first?.entries.allSatisfy { $0.invalidReason == nil } == true)
  }

  @Test(arguments: ProposalDefect.allCases)
  func aDefectiveProposalIsNotVotedOn(_ defect: ProposalDefect) {
    var member = kit.replica(1)
    var env = TChainEnvironment()
    var sender = kit.leader(of: 0)
    let proposal: Proposal
    switch defect {
    case .notTheLeader:
      proposal = kit.proposal(entries: entries, signer: kit.members[2], proposer: kit.members[2])
      sender = kit.members[2]
    case .relayedByAnother:
      proposal = kit.proposal(entries: entries)
      sender = kit.members[2]
    case .badSignature:
      var p = kit.proposal(entries: entries)
      p.signature?.signature = Data(repeating: 1, count: 64)
      proposal = p
    case .wrongPreviousHash: proposal = kit.proposal(previousHash: Data(repeating: 3, count: 32), entries: entries)
    case .wrongStateRoot: proposal = kit.proposal(stateRoot: Data(repeating: 4, count: 32), entries: entries)
    case .wrongEntriesRoot:
      var p = kit.proposal(entries: entries)
      p.entries = Array(p.entries.reversed())
      proposal = p
    case .timestampTooFarAhead: proposal = kit.proposal(entries: entries, timestamp: 20 + 5_001)
    case .pastHeight: proposal = kit.proposal(height: 0, entries: entries)
    }
    let out = member.receive(.proposal(proposal), from: sender, at: 20, env: &env)
    #expect(out.validations.isEmpty, "\(defect)")
  }

  enum ProposalDefect: CaseIterable, Sendable {
    case notTheLeader, relayedByAnother, badSignature, wrongPreviousHash, wrongStateRoot, wrongEntriesRoot
    case timestampTooFarAhead, pastHeight
  }

  @Test func aProposalOfALaterViewWaitsForTheView() {
    var member = kit.replica(1)
    var env = TChainEnvironment()
    let out = member.receive(.proposal(kit.proposal(view: 2, entries: entries)), from: kit.leader(of: 2), at: 20, env: &env)
    #expect(out.validations.isEmpty)
    #expect(member.buffered.count == 1)
  }

  @Test func theVoteIsPersistedBeforeItIsSentAndCastOncePerSlot() throws {
    var member = kit.replica(1)
    var env = TChainEnvironment()
    let proposal = kit.proposal(entries: entries)
    let request = try #require(member.receive(.proposal(proposal), from: kit.leader(of: 0), at: 20, env: &env).validations.first)
    let out = member.answer(request, bits: [true, false], at: 21, env: &env)
    // The record holds the vote the message carries.
    let record = try #require(out.persist.first { $0.key == TChainHardState.recordKey }?.value)
    let hard = try #require(RecordCoding.decode(TChainHardState.self, from: record))
    let vote = try #require(out.votes.first)
    #expect(hard.votes.map(\.vote) == [try vote.serializedData()])
    #expect(out.bodies.first?.to == [kit.leader(of: 0)])
    let body = try VoteBody(serializedBytes: vote.body)
    #expect(Bitmap.decode(body.valid, count: 2) == [true, false])
    // The same proposal again: the same vote again, nothing new validated or signed.
    let again = member.receive(.proposal(proposal), from: kit.leader(of: 0), at: 30, env: &env)
    #expect(again.validations.isEmpty)
    #expect(again.votes == [vote])
  }

  @Test func twoProposalsOfOneLeaderInOneSlotAreEvidenceAndEndTheView() {
    var member = kit.replica(1)
    var env = TChainEnvironment()
    _ = member.receive(.proposal(kit.proposal(entries: entries)), from: kit.leader(of: 0), at: 20, env: &env)
    let second = kit.proposal(entries: entries, timestamp: 11)
    let out = member.receive(.proposal(second), from: kit.leader(of: 0), at: 25, env: &env)
    #expect(out.evidenceKinds == [.tblockProposal])
    #expect(env.evidence.count == 1)
    #expect(member.view == 1)
    #expect(out.viewChanges.count == 1)
    #expect(out.validations.isEmpty)
    let proven = try? EvidenceCheck.check(
      env.evidence[0], chainID: kit.net.params.chainID, validators: kit.net.validators, scheme: kit.net.scheme,
      epochLength: 10
    ).get()
    #expect(proven?.offender == kit.leader(of: 0))
  }

  @Test func anEpochClosingBlockIsVotedOnlyWhileTheEpochCloses() {
    var member = kit.replica(1)
    var env = TChainEnvironment()
    let closing = kit.proposal(entries: [])
    #expect(member.receive(.proposal(closing), from: kit.leader(of: 0), at: 20, env: &env).validations.isEmpty)
    env.closing = true
    #expect(member.tick(at: 30, env: &env).validations.count == 1)
  }

  @Test func theLeaderProposesItsPoolAfterTheBatchTimeout() throws {
    var leader = kit.replica(0)
    var env = TChainEnvironment()
    let entry = kit.net.transferEntry(nonce: 5)
    env.pool.add(key: EntryPool.key(transaction: entry.tx), bytes: entry.entry, now: 100)
    #expect(leader.tick(at: 110, env: &env).proposals.isEmpty)
    let out = leader.tick(at: 120, env: &env)
    let proposal = try #require(out.proposals.first)
    #expect(proposal.entries == [entry.entry])
    #expect(out.persist.contains { $0.key == TChainHardState.recordKey })
    #expect(out.validations.count == 1)
  }

  @Test func aClosingLeaderProposesTheEmptyBlockAndThenNothing() throws {
    var leader = kit.replica(0)
    var env = TChainEnvironment()
    env.closing = true
    let out = leader.tick(at: 50, env: &env)
    let proposal = try #require(out.proposals.first)
    #expect(proposal.entries.isEmpty)
  }
}

import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Consensus

/// Decisions, the commit certificate, the equivocation guard and acks (docs/protocol.md §3.4, §3.5).
@Suite struct TChainDecisionTests {
  let kit = ShardKit(net: TestNetwork(validators: 5))
  var entries: [Data] { [kit.net.transferEntry(nonce: 1).entry] }

  /// The leader with its proposal out and its own vote cast.
  func leaderWithProposal(bits: [Bool] = [true]) -> (TChainReplica, TChainEnvironment, Proposal) {
    var leader = kit.replica(0)
    var env = TChainEnvironment()
    let entry = kit.net.transferEntry(nonce: 1)
    env.pool.add(key: EntryPool.key(transaction: entry.tx), bytes: entry.entry, now: 0)
    let out = leader.tick(at: 100, env: &env)
    let proposal = out.proposals[0]
    _ = leader.answer(out.validations[0], bits: bits, at: 101, env: &env)
    return (leader, env, proposal)
  }

  @Test func theDecisionNeedsMoreThanHalfOfTheMembersNotOfTheVotes() throws {
    var (leader, env, proposal) = leaderWithProposal(bits: [true])
    // Three of five voted (a majority): valid, valid, invalid. Two valid votes are not more than 5/2.
    _ = leader.receive(.vote(kit.vote(1, on: proposal, bits: [true])), from: kit.members[1], at: 110, env: &env)
    let third = leader.receive(.vote(kit.vote(2, on: proposal, bits: [false])), from: kit.members[2], at: 111, env: &env)
    #expect(third.commits.isEmpty, "the leader waits the vote window after a majority")
    #expect(leader.tick(at: 210, env: &env).commits.isEmpty)
    let out = leader.tick(at: 211, env: &env)
    let commit = try #require(out.commits.first)
    #expect(Bitmap.decode(commit.decision, count: 1) == [false])
    #expect(commit.certificate?.votes.count == 3)
  }

  @Test func allVotesDecideAtOnce() throws {
    var (leader, env, proposal) = leaderWithProposal()
    for i in 1...3 {
      _ = leader.receive(.vote(kit.vote(i, on: proposal, bits: [true])), from: kit.members[i], at: 110, env: &env)
    }
    let out = leader.receive(.vote(kit.vote(4, on: proposal, bits: [true])), from: kit.members[4], at: 111, env: &env)
    let commit = try #require(out.commits.first)
    #expect(Bitmap.decode(commit.decision, count: 1) == [true])
    // The leader accepted its own decision and acknowledges it to everyone.
    #expect(out.commitAcks.count == 1)
  }

  @Test func badVotesAreNotCounted() {
    var (leader, env, proposal) = leaderWithProposal()
    var forged = kit.vote(1, on: proposal, bits: [true])
    forged.signature = kit.net.signers[2].wireSignature(domain: .vote, message: forged.body)
    _ = leader.receive(.vote(forged), from: kit.members[1], at: 110, env: &env)
    let other = kit.proposal(entries: entries, timestamp: 99)
    _ = leader.receive(.vote(kit.vote(2, on: other, bits: [true])), from: kit.members[2], at: 110, env: &env)
    _ = leader.receive(.vote(kit.vote(3, on: proposal, bits: [true], domain: .decision)), from: kit.members[3], at: 110, env: &env)
    #expect(leader.round?.votes.count == 1)
  }

  @Test func twoVotesOfOneMemberInOneSlotAreEvidence() {
    var (leader, env, proposal) = leaderWithProposal()
    _ = leader.receive(.vote(kit.vote(1, on: proposal, bits: [true])), from: kit.members[1], at: 110, env: &env)
    let out = leader.receive(.vote(kit.vote(1, on: proposal, bits: [false])), from: kit.members[1], at: 111, env: &env)
    #expect(out.evidenceKinds == [.vote])
  }

  /// A member holding `proposal`, and the commit of it by votes of members 0...2.
  func memberWithCommit(bits: [Bool] = [true]) -> (TChainReplica, TChainEnvironment, Proposal, Commit) {
    var member = kit.replica(3)
    var env = TChainEnvironment()
    let proposal = kit.proposal(entries: entries)
    _ = member.receive(.proposal(proposal), from: kit.leader(of: 0), at: 20, env: &env)
    let votes = (0...2).map { kit.vote($0, on: proposal, bits: bits) }
    return (member, env, proposal, kit.commit(proposal, votes: votes))
  }

  @Test func aCommitIsAcceptedOnlyAfterTheGuardWindowAndEchoedFirst() throws {
    var (member, env, _, commit) = memberWithCommit()
    let out = member.receive(.commit(commit), from: kit.leader(of: 0), at: 50, env: &env)
    #expect(out.commitAcks.isEmpty)
    let echo = try #require(out.commits.first)
    #expect(echo.certificate == nil && echo.endorsement == commit.endorsement)
    #expect(echo.proposal?.entries.isEmpty == true)
    #expect(member.tick(at: 149, env: &env).commitAcks.isEmpty)
    let accepted = member.tick(at: 150, env: &env)
    #expect(accepted.commitAcks.count == 1)
    #expect(accepted.persist.contains { $0.key == TChainHardState.recordKey })
    #expect(member.hard.accepted?.blockHash == commit.blockHash)
  }

  @Test(arguments: CommitDefect.allCases)
  func aDefectiveCommitIsNotAccepted(_ defect: CommitDefect) {
    var (member, env, proposal, commit) = memberWithCommit()
    var bad = commit
    var sender = kit.leader(of: 0)
    switch defect {
    case .minority:
      bad = kit.commit(proposal, votes: (0...1).map { kit.vote($0, on: proposal, bits: [true]) })
    case .wrongDecision:
      bad = kit.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [true]) }, decision: [false])
    case .forgedVote:
      var votes = (0...2).map { kit.vote($0, on: proposal, bits: [true]) }
      votes[2].signature = kit.net.signers[4].wireSignature(domain: .vote, message: votes[2].body)
      bad = kit.commit(proposal, votes: votes)
    case .duplicateVoter:
      bad = kit.commit(proposal, votes: [0, 1, 1].map { kit.vote($0, on: proposal, bits: [true]) })
    case .nonMemberVote:
      let outsider = ShardKit(net: kit.net, members: Array(kit.members.prefix(4)))
      bad = outsider.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [true]) })
      bad.certificate?.votes.append(
        ShardKit(net: TestNetwork(validators: 6, seed: 99)).vote(5, on: proposal, bits: [true]))
      bad = kit.commit(proposal, votes: bad.certificate!.votes)
    case .noEndorsement:
      bad.endorsement = nil
    case .fromAnotherMember:
      sender = kit.members[1]
    }
    _ = member.receive(.commit(bad), from: sender, at: 50, env: &env)
    let out = member.tick(at: 500, env: &env)
    #expect(out.commitAcks.isEmpty, "\(defect)")
    #expect(member.hard.accepted == nil, "\(defect)")
  }

  enum CommitDefect: CaseIterable, Sendable {
    case minority, wrongDecision, forgedVote, duplicateVoter, nonMemberVote, noEndorsement, fromAnotherMember
  }

  @Test func aConflictingDecisionDuringTheWindowStopsTheAcceptanceAndIsEvidence() {
    var (member, env, proposal, commit) = memberWithCommit()
    _ = member.receive(.commit(commit), from: kit.leader(of: 0), at: 50, env: &env)
    // Another member echoes another decision of the same leader in the same slot (other bits).
    var other = kit.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [false]) })
    other.certificate = nil
    let out = member.receive(.commit(other), from: kit.members[1], at: 60, env: &env)
    #expect(out.evidenceKinds == [.decision])
    #expect(member.tick(at: 200, env: &env).commitAcks.isEmpty)
    #expect(member.hard.accepted == nil)
  }

  @Test func withoutTheGuardTheSameCommitIsAcceptedAtOnce() {
    var member = kit.replica(3, mutations: ProtocolMutations(skipEquivocationGuard: true))
    var env = TChainEnvironment()
    let proposal = kit.proposal(entries: entries)
    _ = member.receive(.proposal(proposal), from: kit.leader(of: 0), at: 20, env: &env)
    let commit = kit.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [true]) })
    #expect(member.receive(.commit(commit), from: kit.leader(of: 0), at: 50, env: &env).commitAcks.count == 1)
  }

  @Test func acksOfAMajorityCommitTheBlockWithTheirProof() throws {
    var (member, env, _, commit) = memberWithCommit()
    _ = member.receive(.commit(commit), from: kit.leader(of: 0), at: 50, env: &env)
    _ = member.tick(at: 150, env: &env)  // accepts, acks (1 of 3 needed)
    _ = member.receive(.commitAck(kit.ack(0, of: commit)), from: kit.members[0], at: 160, env: &env)
    let out = member.receive(.commitAck(kit.ack(1, of: commit)), from: kit.members[1], at: 161, env: &env)
    let apply = try #require(out.applies.first)
    #expect(apply.blockHash == commit.blockHash && apply.accepted == [true])
    #expect(member.head.height == 1)
    let proof = try #require(member.headProof)
    #expect(proof.votes.count == 3)
  }

  @Test func acksForAnotherDecisionDoNotAddUp() {
    var (member, env, proposal, commit) = memberWithCommit()
    _ = member.receive(.commit(commit), from: kit.leader(of: 0), at: 50, env: &env)
    _ = member.tick(at: 150, env: &env)
    let other = kit.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [false]) })
    _ = member.receive(.commitAck(kit.ack(0, of: other)), from: kit.members[0], at: 160, env: &env)
    let out = member.receive(.commitAck(kit.ack(1, of: other)), from: kit.members[1], at: 161, env: &env)
    #expect(out.applies.isEmpty)
  }

  @Test func aStatusWithoutAProofIsOnlyAHeartbeat() {
    var member = kit.replica(3)
    var env = TChainEnvironment()
    let status = Status(shard: 0, epoch: 0, view: 0, committedHeight: 5, committedHash: Data(repeating: 1, count: 32))
    let out = member.receive(.status(status), from: kit.leader(of: 0), at: 50, env: &env)
    #expect(out.syncs.isEmpty)
  }

  @Test func aStatusWithAProofTriggersASyncToThatTip() throws {
    var member = kit.replica(4)
    var env = TChainEnvironment()
    let proposal = kit.proposal(entries: entries)
    let commit = kit.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [true]) })
    let status = Status(
      shard: 0, epoch: 0, view: 0, committedHeight: 1, committedHash: commit.blockHash,
      commitProof: kit.proof(of: commit, by: [0, 1, 2]))
    let out = member.receive(.status(status), from: kit.leader(of: 0), at: 50, env: &env)
    guard case .tblocks(_, let from, let to, let peers)? = out.syncs.first else {
      Issue.record("no sync")
      return
    }
    #expect(from == 1 && to == 1 && peers.first == kit.leader(of: 0))
    // The synced block must be the proven one, with its certificate.
    let block = TBlock(
      header: proposal.header, proposerSignature: proposal.signature, entries: proposal.entries,
      decision: commit.decision, certificate: commit.certificate)
    var synced = Ready()
    member.synced([block], now: 60, env: &env, &synced)
    #expect(synced.applies.map(\.blockHash) == [commit.blockHash])
  }

  @Test func aStatusWithATooSmallProofIsIgnored() {
    var member = kit.replica(4)
    var env = TChainEnvironment()
    let proposal = kit.proposal(entries: entries)
    let commit = kit.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [true]) })
    let status = Status(
      shard: 0, epoch: 0, view: 0, committedHeight: 1, committedHash: commit.blockHash,
      commitProof: kit.proof(of: commit, by: [0, 1]))
    #expect(member.receive(.status(status), from: kit.leader(of: 0), at: 50, env: &env).syncs.isEmpty)
  }
}

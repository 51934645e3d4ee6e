import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Consensus

/// Timeouts, view changes, new views with adoption and catch-up, heartbeats (docs/protocol.md §3.6,
/// §3.7).
@Suite struct TChainViewChangeTests {
  let kit = ShardKit(net: TestNetwork(validators: 5))
  var entries: [Data] { [kit.net.transferEntry(nonce: 1).entry] }

  @Test func anElectionTimeoutPersistsTheViewThenAsksEveryoneForTheNextOne() throws {
    var member = kit.replica(2)
    var env = TChainEnvironment()
    #expect(member.tick(at: 599, env: &env).viewChanges.isEmpty)
    let out = member.tick(at: 600, env: &env)
    #expect(member.view == 1)
    let change = try #require(out.viewChanges.first)
    let body = try ViewChangeBody(serializedBytes: change.body)
    #expect(body.view == 1 && body.sender == kit.members[2].rawRepresentation)
    let persisted = try #require(out.persist.first { $0.key == TChainHardState.recordKey }?.value)
    #expect(RecordCoding.decode(TChainHardState.self, from: persisted)?.view == 1)
    #expect(out.bodies.first { if case .viewChange = $0.body { true } else { false } }?.to.count == 4)
  }

  @Test func aHeartbeatOfTheLeaderKeepsAMemberInItsView() {
    var member = kit.replica(2)
    var env = TChainEnvironment()
    let status = Status(shard: 0, epoch: 0, view: 0, committedHeight: 0, committedHash: Bytes.zeroHash)
    _ = member.receive(.status(status), from: kit.leader(of: 0), at: 500, env: &env)
    #expect(member.tick(at: 700, env: &env).viewChanges.isEmpty)
    #expect(member.view == 0)
  }

  @Test func anActiveLeaderSendsHeartbeats() {
    var leader = kit.replica(0)
    var env = TChainEnvironment()
    #expect(leader.tick(at: 200, env: &env).statuses.count == 1)
    #expect(leader.tick(at: 250, env: &env).statuses.isEmpty)
    #expect(leader.tick(at: 400, env: &env).statuses.count == 1)
  }

  @Test func aMemberFollowsOnceEnoughMembersLeftTheView() {
    var member = kit.replica(3)
    var env = TChainEnvironment()
    // m = 5: m − maj(m) + 1 = 3 members asking for later views.
    _ = member.receive(.viewChange(kit.viewChange(1, to: 2)), from: kit.members[1], at: 10, env: &env)
    _ = member.receive(.viewChange(kit.viewChange(2, to: 3)), from: kit.members[2], at: 10, env: &env)
    #expect(member.view == 0)
    _ = member.receive(.viewChange(kit.viewChange(4, to: 2)), from: kit.members[4], at: 10, env: &env)
    #expect(member.view == 2)
  }

  @Test func aMemberTimesOutWhenItsLeaderLeavesAnEntryOut() {
    var member = kit.replica(3)
    var env = TChainEnvironment()
    let entry = kit.net.transferEntry(nonce: 3)
    env.pool.add(key: EntryPool.key(transaction: entry.tx), bytes: entry.entry, now: 100)
    let status = Status(shard: 0, epoch: 0, view: 0, committedHeight: 0, committedHash: Bytes.zeroHash)
    for t in stride(from: 300, through: 1_200, by: 300) {
      _ = member.receive(.status(status), from: kit.leader(of: 0), at: UInt64(t), env: &env)
      _ = member.tick(at: UInt64(t), env: &env)
    }
    #expect(member.view == 0)
    _ = member.tick(at: 1_300, env: &env)
    #expect(member.view == 1, "the entry waited longer than 2 × the election timeout")
  }

  /// Accepted decisions at height 1 in views 0 and 1 (different blocks), for the view changes to view 2.
  func acceptedDecisions() -> (Commit, Commit) {
    let first = kit.proposal(view: 0, entries: entries)
    let second = kit.proposal(view: 1, entries: entries, timestamp: 12)
    let inView0 = kit.commit(first, votes: (0...2).map { kit.vote($0, on: first, bits: [true]) }, includeProposal: true)
    let inView1 = kit.commit(second, votes: (1...3).map { kit.vote($0, on: second, bits: [false]) }, includeProposal: true)
    return (inView0, inView1)
  }

  @Test func theNewLeaderReIssuesTheAcceptedDecisionOfTheHighestView() throws {
    // The leader of view 2 is member 2.
    var leader = kit.replica(2)
    var env = TChainEnvironment()
    let (old, newer) = acceptedDecisions()
    _ = leader.tick(at: 600, env: &env)  // view 1
    _ = leader.tick(at: 1_800, env: &env)  // view 2
    #expect(leader.view == 2)
    _ = leader.receive(.viewChange(kit.viewChange(0, to: 2, accepted: old)), from: kit.members[0], at: 1_810, env: &env)
    let out = leader.receive(
      .viewChange(kit.viewChange(1, to: 2, accepted: newer)), from: kit.members[1], at: 1_811, env: &env)
    let announcement = try #require(out.newViews.first)
    #expect(announcement.view == 2 && announcement.viewChanges.count == 3)
    let reissued = try #require(out.commits.first { $0.certificate != nil })
    #expect(reissued.view == 2)
    #expect(reissued.blockHash == newer.blockHash)
    #expect(reissued.decision == newer.decision)
    #expect(reissued.proposal != nil)
    let endorsement = try VoteBody(serializedBytes: reissued.endorsement!.body)
    #expect(endorsement.view == 2 && endorsement.voter == kit.members[2].rawRepresentation)
  }

  @Test func withoutAdoptionTheNewLeaderWouldProposeAfresh() throws {
    var leader = kit.replica(2, mutations: ProtocolMutations(skipAdoption: true))
    var env = TChainEnvironment()
    let (old, newer) = acceptedDecisions()
    _ = leader.tick(at: 600, env: &env)
    _ = leader.tick(at: 1_800, env: &env)
    _ = leader.receive(.viewChange(kit.viewChange(0, to: 2, accepted: old)), from: kit.members[0], at: 1_810, env: &env)
    let out = leader.receive(
      .viewChange(kit.viewChange(1, to: 2, accepted: newer)), from: kit.members[1], at: 1_811, env: &env)
    #expect(out.commits.allSatisfy { $0.certificate == nil })
  }

  func memberInViewTwo() -> (TChainReplica, TChainEnvironment, Commit) {
    var member = kit.replica(4)
    var env = TChainEnvironment()
    let (old, newer) = acceptedDecisions()
    let newView = NewView(
      shard: 0, epoch: 0, view: 2,
      viewChanges: [
        kit.viewChange(0, to: 2, accepted: old), kit.viewChange(1, to: 2, accepted: newer), kit.viewChange(2, to: 2),
      ])
    _ = member.receive(.newView(newView), from: kit.members[2], at: 1_900, env: &env)
    return (member, env, newer)
  }

  @Test func aMemberRefusesAFreshProposalWhereTheNewViewMustReIssue() {
    var (member, env, _) = memberInViewTwo()
    #expect(member.view == 2)
    let fresh = kit.proposal(view: 2, entries: entries, timestamp: 20)
    #expect(member.receive(.proposal(fresh), from: kit.members[2], at: 1_910, env: &env).validations.isEmpty)
  }

  @Test func aMemberAcceptsTheReIssuedDecision() {
    var (member, env, newer) = memberInViewTwo()
    let block = newer.proposal!
    let reissued = kit.commit(
      block, votes: (1...3).map { kit.vote($0, on: block, bits: [false]) }, view: 2, includeProposal: true)
    _ = member.receive(.commit(reissued), from: kit.members[2], at: 1_920, env: &env)
    #expect(member.tick(at: 2_100, env: &env).commitAcks.count == 1)
    #expect(member.hard.accepted?.view == 2)
  }

  @Test func aLeaderThatProposesAndReIssuesInOneSlotEquivocates() {
    var (member, env, newer) = memberInViewTwo()
    _ = member.receive(.proposal(kit.proposal(view: 2, entries: entries, timestamp: 20)), from: kit.members[2], at: 1_910, env: &env)
    let block = newer.proposal!
    let reissued = kit.commit(
      block, votes: (1...3).map { kit.vote($0, on: block, bits: [false]) }, view: 2, includeProposal: true)
    _ = member.receive(.commit(reissued), from: kit.members[2], at: 1_920, env: &env)
    #expect(member.tick(at: 2_100, env: &env).commitAcks.isEmpty)
  }

  @Test func aViewChangeClaimingACommitWithoutProofIsRefused() {
    var leader = kit.replica(1)
    var env = TChainEnvironment()
    _ = leader.tick(at: 600, env: &env)
    let unproven = kit.viewChange(0, to: 1, committedHeight: 3, committedHash: Data(repeating: 5, count: 32))
    _ = leader.receive(.viewChange(unproven), from: kit.members[0], at: 610, env: &env)
    #expect(leader.viewChanges[1]?[kit.members[0]] == nil)
  }

  @Test func theNewLeaderCatchesUpToTheProvenCommittedHeightBeforeAnnouncing() throws {
    var leader = kit.replica(1)
    var env = TChainEnvironment()
    _ = leader.tick(at: 600, env: &env)
    let proposal = kit.proposal(entries: entries)
    let commit = kit.commit(proposal, votes: (0...2).map { kit.vote($0, on: proposal, bits: [true]) })
    let proven = kit.viewChange(
      0, to: 1, committedHeight: 1, committedHash: commit.blockHash, committedProof: kit.proof(of: commit, by: [0, 2, 3]))
    let first = leader.receive(.viewChange(proven), from: kit.members[0], at: 610, env: &env)
    #expect(first.syncs.count == 1)
    let out = leader.receive(.viewChange(kit.viewChange(3, to: 1)), from: kit.members[3], at: 611, env: &env)
    #expect(out.newViews.isEmpty)
    #expect(leader.activationPending)
    #expect(leader.sync?.height == 1 && leader.sync?.hash == commit.blockHash)
  }

  @Test func aRestartedMemberDoesNotVoteTwiceInOneSlot() throws {
    var member = kit.replica(1)
    var env = TChainEnvironment()
    let proposal = kit.proposal(entries: entries)
    let request = try #require(member.receive(.proposal(proposal), from: kit.leader(of: 0), at: 20, env: &env).validations.first)
    let voted = member.answer(request, bits: [true], at: 21, env: &env)
    let record = try #require(voted.persist.last { $0.key == TChainHardState.recordKey }?.value)
    // Restart from the record: the same proposal gets the same vote back, a different one nothing.
    var restarted = kit.replica(1, hard: RecordCoding.decode(TChainHardState.self, from: record))
    var fresh = TChainEnvironment()
    #expect(restarted.receive(.proposal(proposal), from: kit.leader(of: 0), at: 30, env: &fresh).votes == voted.votes)
    let other = kit.proposal(entries: entries, timestamp: 11)
    let out = restarted.receive(.proposal(other), from: kit.leader(of: 0), at: 31, env: &fresh)
    #expect(out.validations.isEmpty && out.votes.isEmpty)
  }
}

import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// The effects of every transaction kind, local (home = target) and across shards.
@Suite struct KindEffectTests {
  var pop: Population
  init() throws { pop = try Population() }

  @Test func registerParticipantCreatesTheParticipant() throws {
    var pop = pop
    let bob = pop.net.newKey("bob", shard: 1)
    let (block, outcome) = try pop.net.commit(
      shard: 1,
      entries: [
        TestNetwork.entry(
          pop.net.sign(
            bob,
            .registerParticipant(
              RegisterParticipant(
                role: .clinician, organisation: "st-mary", displayName: "Dr Bob",
                encryptionKey: Data(count: 32))),
            cosigner: pop.net.hospital))
      ])
    #expect(outcome.results[0].status == .applied)
    let account = try #require(pop.net.account(bob))
    #expect(account.nonce == 1)
    #expect(account.shard == 1)
    let participant = try #require(account.participant)
    #expect(participant.role == .clinician)
    #expect(participant.publicKey == bob.publicKey.rawRepresentation)
    #expect(participant.displayName == "Dr Bob")
    #expect(participant.registeredIn?.height == 2)
    #expect(participant.registeredIn?.hash == BlockHashes.hash(header: block.header).data)
  }

  @Test func genesisParticipantsExistInTheirShards() throws {
    let admin = try #require(try pop.net.states[0].participant(pop.net.admin.address.rawRepresentation))
    #expect(admin.role == .admin)
    #expect(admin.registeredIn == BlockRef(shard: 0, height: 0))
    #expect(try pop.net.states[1].account(pop.net.admin.address.rawRepresentation) == nil)
    #expect(pop.net.account(pop.net.lab)?.balance == 1000)
  }

  @Test func putRecordLocal() throws {
    var pop = pop
    let tx = pop.net.sign(
      pop.clinician0, TestNetwork.record(patient: pop.patient0, content: "hemoglobin 13.5"))
    let (block, outcome) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    let result = outcome.results[0]
    #expect(result.status == .applied)
    #expect(result.crossShard == .none)
    #expect(outcome.receipts.isEmpty)
    let id = SHA256.hash(tx.body).data
    let record = try #require(try pop.net.states[0].record(id))
    #expect(record.patient == pop.patient0.address.rawRepresentation)
    #expect(record.author == pop.clinician0.address.rawRepresentation)
    #expect(record.kind == "lab-report")
    #expect(!record.isImage)
    #expect(record.createdIn?.hash == BlockHashes.hash(header: block.header).data)
    let manifest = TestNetwork.manifest(Data("hemoglobin 13.5".utf8))
    #expect(outcome.blobEvents == [.recordCreated(recordID: id, blobID: manifest.merkleRoot)])
    let index = pop.net.states[0].entries(
      withPrefix: StateKey.indexPrefix(.recordsByPatient, party: pop.patient0.address.rawRepresentation))
    #expect(index.map(\.value) == [id])
  }

  @Test func putImageManifestAcrossShards() throws {
    var pop = pop
    let manifest = TestNetwork.manifest(Data(repeating: 0x42, count: (2 << 20) + 17))
    let tx = pop.net.sign(
      pop.clinician1,
      .putImageManifest(
        PutImageManifest(
          patient: pop.patient0.address.rawRepresentation, kind: "covid19-ct", mediaType: "application/dicom",
          content: manifest, modality: "CT", studyInstanceUID: "1.2.840.1")))
    let id = SHA256.hash(tx.body).data
    let (block, outcome) = try pop.net.commit(shard: 1, entries: [TestNetwork.entry(tx)])
    #expect(outcome.results[0].crossShard == .pending(targetShard: 0))
    #expect(outcome.receipts == [EmittedReceipt(kind: .apply, txID: id, targetShard: 0, entryIndex: 0)])
    #expect(try pop.net.states[1].crossShardHome(id)?.state == .pending)
    #expect(try pop.net.states[1].record(id) == nil)
    let target = try pop.net.relay(block, outcome)[0]
    #expect(target.results[0].status == .applied)
    #expect(target.results[0].crossShard == .applied)
    #expect(target.results[0].type == .applyReceipt(.putImageManifest))
    let record = try #require(try pop.net.states[0].record(id))
    #expect(record.isImage)
    #expect(record.modality == "CT")
    #expect(record.createdIn?.shard == 0)
    #expect(try pop.net.states[0].receiptMark(id, kind: .apply)?.outcome == .applied)
    #expect(target.crossShardUpdates.map(\.state) == [.applied])
  }

  @Test func requestAndApproveAcrossShards() throws {
    var pop = pop
    let request = pop.net.sign(
      pop.clinician0,
      .requestAccess(RequestAccess(patient: pop.patient1.address.rawRepresentation, reason: "follow-up")))
    let requestID = SHA256.hash(request.body).data
    try pop.runAndRelay(request)
    #expect(try pop.net.states[0].accessRequest(requestID)?.state == .pending)
    #expect(try pop.net.states[1].accessRequest(requestID)?.state == .pending)
    #expect(
      pop.net.states[0].entries(
        withPrefix: StateKey.indexPrefix(.requestsMade, party: pop.clinician0.address.rawRepresentation)
      ).count == 1)
    #expect(
      pop.net.states[1].entries(
        withPrefix: StateKey.indexPrefix(.requestsReceived, party: pop.patient1.address.rawRepresentation)
      ).count == 1)

    let decide = pop.net.sign(
      pop.patient1, .decideRequest(DecideRequest(requestID: requestID, approve: true, reason: "ok")))
    let grantID = SHA256.hash(decide.body).data
    let (home, target) = try pop.runAndRelay(decide)
    #expect(home.crossShard == .pending(targetShard: 0))
    #expect(target?.results[0].status == .applied)
    for shard in 0..<2 {
      let copy = try #require(try pop.net.states[shard].accessRequest(requestID))
      #expect(copy.state == .approved)
      #expect(copy.grantID == grantID)
      #expect(copy.decidedBy == pop.patient1.address.rawRepresentation)
      let grant = try #require(try pop.net.states[shard].grant(grantID))
      #expect(grant.grantee == pop.clinician0.address.rawRepresentation)
      #expect(grant.requestID == requestID)
      #expect(grant.grantedIn?.shard == 1)
    }
    #expect(
      pop.net.states[0].entries(
        withPrefix: StateKey.indexPrefix(.grantsReceived, party: pop.clinician0.address.rawRepresentation)
      ).map(\.value) == [grantID])
    #expect(
      pop.net.states[1].grantIDs(
        patient: pop.patient1.address.rawRepresentation, grantee: pop.clinician0.address.rawRepresentation)
        == [grantID])
  }

  @Test func denyLocal() throws {
    var pop = pop
    let request = pop.net.sign(
      pop.clinician0,
      .requestAccess(RequestAccess(patient: pop.patient0.address.rawRepresentation, reason: "r")))
    let requestID = SHA256.hash(request.body).data
    #expect(try pop.net.run(request).status == .applied)
    #expect(
      try pop.net.run(
        pop.net.sign(
          pop.patient0, .decideRequest(DecideRequest(requestID: requestID, approve: false, reason: "no")))
      )
      .status == .applied)
    let copy = try #require(try pop.net.states[0].accessRequest(requestID))
    #expect(copy.state == .denied)
    #expect(copy.decisionReason == "no")
    #expect(copy.grantID.isEmpty)
  }

  @Test func grantAndAccessPolicy() throws {
    var pop = pop
    let record = try pop.putRecord(pop.clinician0, for: pop.patient0)
    let stored = try #require(try pop.net.states[0].record(record))
    let reader = pop.clinician1.address.rawRepresentation
    #expect(
      try !AccessPolicy.mayRead(reader, record: stored, state: pop.net.states[0], nowMs: pop.net.timestampMs))
    let grant = pop.net.sign(
      pop.patient0,
      .grantAccess(GrantAccess(grantee: reader, recordID: record, expiresAtMs: pop.net.timestampMs + 60_000)))
    let grantID = SHA256.hash(grant.body).data
    let (home, target) = try pop.runAndRelay(grant)
    #expect(home.crossShard == .pending(targetShard: 1))
    #expect(target?.results[0].status == .applied)
    #expect(try pop.net.states[1].grant(grantID)?.recordID == record)
    #expect(
      try AccessPolicy.mayRead(reader, record: stored, state: pop.net.states[0], nowMs: pop.net.timestampMs))
    #expect(
      try !AccessPolicy.mayRead(
        reader, record: stored, state: pop.net.states[0], nowMs: pop.net.timestampMs + 60_000))
    #expect(
      try AccessPolicy.mayRead(
        pop.clinician0.address.rawRepresentation, record: stored, state: pop.net.states[0], nowMs: 0))

    let (revokeHome, revokeTarget) = try pop.runAndRelay(
      pop.net.sign(pop.patient0, .revokeAccess(RevokeAccess(grantID: grantID))))
    #expect(revokeHome.crossShard == .pending(targetShard: 1))
    #expect(revokeTarget?.results[0].status == .applied)
    #expect(try pop.net.states[0].grant(grantID)?.revoked == true)
    #expect(try pop.net.states[1].grant(grantID)?.revoked == true)
    #expect(
      try !AccessPolicy.mayRead(reader, record: stored, state: pop.net.states[0], nowMs: pop.net.timestampMs))
  }

  @Test func revocationArrivingBeforeTheGrantKeepsTheGrantRevoked() throws {
    var pop = pop
    let grant = pop.net.sign(
      pop.patient0, .grantAccess(GrantAccess(grantee: pop.clinician1.address.rawRepresentation)))
    let grantID = SHA256.hash(grant.body).data
    let (grantBlock, grantOutcome) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(grant)])
    let (revokeBlock, revokeOutcome) = try pop.net.commit(
      shard: 0,
      entries: [TestNetwork.entry(pop.net.sign(pop.patient0, .revokeAccess(RevokeAccess(grantID: grantID))))])
    // The revocation's receipt reaches shard 1 first.
    #expect(try pop.net.relay(revokeBlock, revokeOutcome)[0].results[0].status == .applied)
    #expect(try pop.net.states[1].grant(grantID) == Grant(grantID: grantID, revoked: true))
    #expect(try pop.net.relay(grantBlock, grantOutcome)[0].results[0].status == .applied)
    let copy = try #require(try pop.net.states[1].grant(grantID))
    #expect(copy.revoked)
    #expect(copy.grantee == pop.clinician1.address.rawRepresentation)
  }

  @Test func eraseLocalByPatient() throws {
    var pop = pop
    let record = try pop.putRecord(pop.clinician0, for: pop.patient0, content: "x-ray notes")
    let erase = pop.net.sign(
      pop.patient0,
      .eraseRecord(
        EraseRecord(recordID: record, reason: "gdpr art. 17", patient: pop.patient0.address.rawRepresentation)
      ))
    let (_, outcome) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(erase)])
    #expect(outcome.results[0].status == .applied)
    let stored = try #require(try pop.net.states[0].record(record))
    #expect(stored.erased)
    #expect(stored.erasedBy == SHA256.hash(erase.body).data)
    #expect(stored.eraseReason == "gdpr art. 17")
    #expect(stored.content?.contentHash == SHA256.hash(Data("x-ray notes".utf8)).data, "hashes remain")
    #expect(outcome.blobEvents == [.recordErased(recordID: record, blobID: stored.content!.merkleRoot)])
  }

  @Test func eraseByAnAdminOfAnotherShard() throws {
    var pop = pop
    let record = try pop.putRecord(pop.clinician0, for: pop.patient0)
    let erase = pop.net.sign(
      pop.admin1,
      .eraseRecord(
        EraseRecord(recordID: record, reason: "court order", patient: pop.patient0.address.rawRepresentation))
    )
    let (home, target) = try pop.runAndRelay(erase)
    #expect(home.crossShard == .pending(targetShard: 0))
    #expect(target?.results[0].status == .applied)
    #expect(try pop.net.states[0].record(record)?.erased == true)
  }

  @Test func transferLocalAndAcrossShards() throws {
    var pop = pop
    let hospital = pop.net.hospital.address.rawRepresentation
    #expect(
      try pop.net.run(pop.net.sign(pop.net.admin, .transfer(Transfer(recipient: hospital, amount: 100))))
        .status == .applied)
    #expect(pop.net.account(pop.net.admin)?.balance == 900)
    #expect(pop.net.account(pop.net.hospital)?.balance == 1100)

    let (home, target) = try pop.runAndRelay(
      pop.net.sign(
        pop.net.admin, .transfer(Transfer(recipient: pop.patient1.address.rawRepresentation, amount: 40))))
    #expect(home.crossShard == .pending(targetShard: 1))
    #expect(target?.results[0].status == .applied)
    #expect(pop.net.account(pop.net.admin)?.balance == 860)
    #expect(pop.net.account(pop.patient1)?.balance == 40)
  }

  @Test func transferToANewAccountCreatesIt() throws {
    var pop = pop
    let fresh = pop.net.newKey("fresh", shard: 0)
    try pop.net.run(
      pop.net.sign(pop.net.admin, .transfer(Transfer(recipient: fresh.address.rawRepresentation, amount: 5))))
    let account = try #require(pop.net.account(fresh))
    #expect(account.balance == 5)
    #expect(account.nonce == 0)
    #expect(account.participant == nil)
    // An unregistered account may spend its tokens (validators' reward accounts are not participants).
    #expect(
      try pop.net.run(
        pop.net.sign(
          fresh, .transfer(Transfer(recipient: pop.net.admin.address.rawRepresentation, amount: 5)))
      ).status == .applied)
  }
}

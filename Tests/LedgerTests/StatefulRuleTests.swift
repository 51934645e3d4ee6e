import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// One test per stateful rule: the rejection and its reason, judged against the state.
@Suite struct StatefulRuleTests {
  var pop: Population
  var net: TestNetwork { pop.net }

  init() throws { pop = try Population() }

  func code(_ tx: SignedTransaction, shard: UInt32? = nil) throws -> RejectionCode? {
    try net.rejection(tx, shard: shard)?.code
  }

  @Test func senderOfAnotherShard() throws {
    let tx = net.sign(
      pop.patient1, .transfer(Transfer(recipient: pop.patient0.address.rawRepresentation, amount: 1)))
    let rejection = try net.rejection(tx, shard: 0)
    #expect(rejection?.code == .wrongShard)
    #expect(rejection?.message.contains("lives in shard 1") == true)
  }

  @Test func expired() throws {
    let tx = net.sign(
      net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 1)),
      validUntilMs: net.timestampMs - 1)
    let rejection = try net.rejection(tx)
    #expect(rejection?.code == .expired)
    #expect(rejection?.message.contains("valid until \(net.timestampMs - 1)") == true)
  }

  @Test func badNonceSaysExpectedAndGot() throws {
    let tx = net.sign(
      net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 1)), nonce: 6)
    let rejection = try net.rejection(tx)
    #expect(rejection == Rejection(.badNonce, "expected nonce 1, got 6"))
  }

  @Test func replayedTransactionHasABadNonce() throws {
    var pop = pop
    let tx = pop.net.sign(
      pop.net.admin, .transfer(Transfer(recipient: pop.net.hospital.address.rawRepresentation, amount: 1)))
    #expect(try pop.net.run(tx).status == .applied)
    #expect(try pop.net.rejection(tx) == Rejection(.badNonce, "expected nonce 2, got 1"))
  }

  @Test func notRegistered() throws {
    let stranger = net.newKey("stranger", shard: 0)
    let tx = net.sign(stranger, TestNetwork.record(patient: pop.patient0))
    let rejection = try net.rejection(tx)
    #expect(rejection?.code == .notRegistered)
    #expect(rejection?.message.contains(stranger.address.hex) == true)
  }

  @Test func alreadyRegistered() throws {
    #expect(try code(net.register(pop.patient0, .patient)) == .alreadyRegistered)
  }

  @Test func unauthorizedCosignerNotGenesis() throws {
    let newcomer = net.newKey("newcomer", shard: 0)
    // clinician0 is registered but not a genesis authority.
    let rejection = try net.rejection(net.register(newcomer, .patient, by: pop.clinician0))
    #expect(rejection?.code == .unauthorizedCosigner)
    #expect(rejection?.message.contains("not a genesis participant") == true)
  }

  @Test func unauthorizedCosignerWrongRole() throws {
    let newcomer = net.newKey("newcomer", shard: 0)
    // Only an admin registers hospitals.
    let rejection = try net.rejection(net.register(newcomer, .hospital, by: net.hospital))
    #expect(rejection?.code == .unauthorizedCosigner)
    #expect(rejection?.message.contains("needs admin") == true)
    #expect(try code(net.register(newcomer, .hospital, by: net.admin)) == nil)
    #expect(try code(net.register(newcomer, .patient, by: net.lab)) == nil)
  }

  @Test func roleNotAllowedToWriteRecords() throws {
    let rejection = try net.rejection(net.sign(pop.auditor0, TestNetwork.record(patient: pop.patient0)))
    #expect(rejection == Rejection(.roleNotAllowed, "a auditor may not add records"))
  }

  @Test func patientWritesOnlyItsOwnRecords() throws {
    #expect(try code(net.sign(pop.patient0, TestNetwork.record(patient: pop.patient0))) == nil)
    var other = pop
    let patientB = other.net.newKey("patientB", shard: 0)
    try other.net.run(other.net.register(patientB, .patient))
    let rejection = try other.net.rejection(
      other.net.sign(pop.patient0, TestNetwork.record(patient: patientB)))
    #expect(rejection?.code == .roleNotAllowed)
  }

  @Test func unknownPatient() throws {
    let nobody = net.newKey("nobody", shard: 0)
    let rejection = try net.rejection(net.sign(pop.clinician0, TestNetwork.record(patient: nobody)))
    #expect(rejection?.code == .unknownPatient)
  }

  @Test func notAPatient() throws {
    let rejection = try net.rejection(net.sign(pop.clinician0, TestNetwork.record(patient: pop.auditor0)))
    #expect(rejection?.code == .notAPatient)
    #expect(rejection?.message.contains("registered as auditor") == true)
  }

  @Test func roleNotAllowedToRequest() throws {
    let tx = net.sign(
      pop.patient0,
      .requestAccess(RequestAccess(patient: pop.patient0.address.rawRepresentation, reason: "r")))
    #expect(try code(tx) == .roleNotAllowed)
  }

  @Test func requestExpiryInPast() throws {
    let tx = net.sign(
      pop.clinician0,
      .requestAccess(
        RequestAccess(patient: pop.patient0.address.rawRepresentation, reason: "r", expiresAtMs: 5)))
    let rejection = try net.rejection(tx)
    #expect(rejection?.code == .expiryInPast)
  }

  @Test func requestUnknownRecord() throws {
    let tx = net.sign(
      pop.clinician0,
      .requestAccess(
        RequestAccess(patient: pop.patient0.address.rawRepresentation, recordID: Data(count: 32), reason: "r")
      ))
    #expect(try code(tx) == .unknownRecord)
  }

  @Test func requestRecordOfAnotherPatient() throws {
    var pop = pop
    let patientB = pop.net.newKey("patientB", shard: 0)
    try pop.net.run(pop.net.register(patientB, .patient))
    let record = try pop.putRecord(pop.clinician0, for: patientB)
    let tx = pop.net.sign(
      pop.clinician0,
      .requestAccess(
        RequestAccess(patient: pop.patient0.address.rawRepresentation, recordID: record, reason: "r")))
    #expect(try pop.net.rejection(tx)?.code == .recordPatientMismatch)
  }

  @Test func requestErasedRecord() throws {
    var pop = pop
    let record = try pop.putRecord(pop.clinician0, for: pop.patient0)
    try pop.net.run(
      pop.net.sign(
        pop.patient0,
        .eraseRecord(EraseRecord(recordID: record, patient: pop.patient0.address.rawRepresentation))))
    let tx = pop.net.sign(
      pop.clinician0,
      .requestAccess(
        RequestAccess(patient: pop.patient0.address.rawRepresentation, recordID: record, reason: "r")))
    #expect(try pop.net.rejection(tx)?.code == .recordErased)
  }

  @Test func decideUnknownRequest() throws {
    let tx = net.sign(pop.patient0, .decideRequest(DecideRequest(requestID: Data(count: 32), approve: true)))
    #expect(try code(tx) == .unknownRequest)
  }

  /// A request by a clinician of shard 0 to a patient of shard 1: returns the request id.
  func crossShardRequest(_ pop: inout Population) throws -> Data {
    let tx = pop.net.sign(
      pop.clinician0,
      .requestAccess(RequestAccess(patient: pop.patient1.address.rawRepresentation, reason: "care")))
    let (home, target) = try pop.runAndRelay(tx)
    precondition(home.status == .applied && target?.results[0].status == .applied)
    return SHA256.hash(tx.body).data
  }

  @Test func decideRequestCopyIsNotInShard() throws {
    var pop = pop
    let request = try crossShardRequest(&pop)
    // Shard 0 holds the requester's copy; the genesis admin of shard 0 cannot decide it there.
    let tx = pop.net.sign(pop.net.admin, .decideRequest(DecideRequest(requestID: request, approve: true)))
    let rejection = try pop.net.rejection(tx)
    #expect(rejection?.code == .notInShard)
  }

  @Test func decideNotAuthorized() throws {
    var pop = pop
    let request = try crossShardRequest(&pop)
    let tx = pop.net.sign(pop.clinician1, .decideRequest(DecideRequest(requestID: request, approve: true)))
    #expect(try pop.net.rejection(tx)?.code == .notAuthorized)
    // An admin of the patient's shard may.
    #expect(
      try pop.net.rejection(
        pop.net.sign(pop.admin1, .decideRequest(DecideRequest(requestID: request, approve: false)))) == nil)
  }

  @Test func decideTwiceIsNotPending() throws {
    var pop = pop
    let request = try crossShardRequest(&pop)
    try pop.runAndRelay(
      pop.net.sign(pop.patient1, .decideRequest(DecideRequest(requestID: request, approve: false))))
    let again = pop.net.sign(pop.patient1, .decideRequest(DecideRequest(requestID: request, approve: true)))
    let rejection = try pop.net.rejection(again)
    #expect(rejection == Rejection(.requestNotPending, "request \(request.hexString) is already denied"))
  }

  @Test func approvalExpiryInPast() throws {
    var pop = pop
    let request = try crossShardRequest(&pop)
    let tx = pop.net.sign(
      pop.patient1, .decideRequest(DecideRequest(requestID: request, approve: true, expiresAtMs: 10)))
    #expect(try pop.net.rejection(tx)?.code == .expiryInPast)
  }

  @Test func grantByNonPatient() throws {
    let tx = net.sign(
      pop.clinician0, .grantAccess(GrantAccess(grantee: pop.clinician1.address.rawRepresentation)))
    #expect(try code(tx) == .roleNotAllowed)
  }

  @Test func grantOfUnknownRecord() throws {
    let tx = net.sign(
      pop.patient0,
      .grantAccess(GrantAccess(grantee: pop.clinician0.address.rawRepresentation, recordID: Data(count: 32))))
    #expect(try code(tx) == .unknownRecord)
  }

  @Test func grantExpiryInPast() throws {
    let tx = net.sign(
      pop.patient0,
      .grantAccess(GrantAccess(grantee: pop.clinician0.address.rawRepresentation, expiresAtMs: 1)))
    #expect(try code(tx) == .expiryInPast)
  }

  @Test func grantToUnknownGranteeInSameShard() throws {
    let nobody = net.newKey("nobody", shard: 0)
    let tx = net.sign(pop.patient0, .grantAccess(GrantAccess(grantee: nobody.address.rawRepresentation)))
    #expect(try code(tx) == .unknownGrantee)
  }

  @Test func revokeUnknownGrant() throws {
    let tx = net.sign(pop.patient0, .revokeAccess(RevokeAccess(grantID: Data(count: 32))))
    #expect(try code(tx) == .unknownGrant)
  }

  /// patient0 grants clinician0 (same shard); returns the grant id.
  func localGrant(_ pop: inout Population, expiresAtMs: UInt64 = 0) throws -> Data {
    let tx = pop.net.sign(
      pop.patient0,
      .grantAccess(GrantAccess(grantee: pop.clinician0.address.rawRepresentation, expiresAtMs: expiresAtMs)))
    let result = try pop.net.run(tx)
    precondition(result.status == .applied)
    return SHA256.hash(tx.body).data
  }

  @Test func revokeNotAuthorized() throws {
    var pop = pop
    let grant = try localGrant(&pop)
    let tx = pop.net.sign(pop.clinician0, .revokeAccess(RevokeAccess(grantID: grant)))
    #expect(try pop.net.rejection(tx)?.code == .notAuthorized)
    #expect(
      try pop.net.rejection(pop.net.sign(pop.net.admin, .revokeAccess(RevokeAccess(grantID: grant)))) == nil)
  }

  @Test func revokeTwice() throws {
    var pop = pop
    let grant = try localGrant(&pop)
    try pop.net.run(pop.net.sign(pop.patient0, .revokeAccess(RevokeAccess(grantID: grant))))
    let rejection = try pop.net.rejection(
      pop.net.sign(pop.patient0, .revokeAccess(RevokeAccess(grantID: grant))))
    #expect(rejection?.code == .grantRevoked)
  }

  @Test func revokeExpiredGrant() throws {
    var pop = pop
    let grant = try localGrant(&pop, expiresAtMs: pop.net.timestampMs + 1500)
    pop.net.timestampMs += 10_000
    let rejection = try pop.net.rejection(
      pop.net.sign(pop.patient0, .revokeAccess(RevokeAccess(grantID: grant))))
    #expect(rejection?.code == .grantExpired)
  }

  @Test func revokeGranteeCopyIsNotInShard() throws {
    var pop = pop
    // patient1 (shard 1) grants clinician0 (shard 0): shard 0 keeps the grantee's copy.
    let tx = pop.net.sign(
      pop.patient1, .grantAccess(GrantAccess(grantee: pop.clinician0.address.rawRepresentation)))
    try pop.runAndRelay(tx)
    let grant = SHA256.hash(tx.body).data
    #expect(try pop.net.states[0].grant(grant) != nil)
    let rejection = try pop.net.rejection(
      pop.net.sign(pop.net.admin, .revokeAccess(RevokeAccess(grantID: grant))))
    #expect(rejection?.code == .notInShard)
  }

  @Test func eraseNotAuthorized() throws {
    let tx = net.sign(
      pop.clinician0,
      .eraseRecord(EraseRecord(recordID: Data(count: 32), patient: pop.patient0.address.rawRepresentation)))
    #expect(try code(tx) == .notAuthorized)
  }

  @Test func eraseUnknownRecord() throws {
    let tx = net.sign(
      pop.patient0,
      .eraseRecord(EraseRecord(recordID: Data(count: 32), patient: pop.patient0.address.rawRepresentation)))
    #expect(try code(tx) == .unknownRecord)
  }

  @Test func eraseWithWrongPatient() throws {
    var pop = pop
    let record = try pop.putRecord(pop.clinician0, for: pop.patient0)
    // The admin names another patient of the same shard for patient0's record.
    let tx = pop.net.sign(
      pop.net.admin,
      .eraseRecord(EraseRecord(recordID: record, patient: pop.net.admin.address.rawRepresentation)))
    #expect(try pop.net.rejection(tx)?.code == .recordPatientMismatch)
  }

  @Test func eraseTwice() throws {
    var pop = pop
    let record = try pop.putRecord(pop.clinician0, for: pop.patient0)
    let erase = EraseRecord(recordID: record, reason: "gdpr", patient: pop.patient0.address.rawRepresentation)
    try pop.net.run(pop.net.sign(pop.patient0, .eraseRecord(erase)))
    #expect(try pop.net.rejection(pop.net.sign(pop.patient0, .eraseRecord(erase)))?.code == .recordErased)
  }

  @Test func insufficientBalance() throws {
    let tx = net.sign(
      net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 1001)))
    let rejection = try net.rejection(tx)
    #expect(rejection == Rejection(.insufficientBalance, "balance 1000 is less than the amount 1001"))
  }

  @Test func balanceOverflowInTheSameShard() throws {
    var net = try TestNetwork(genesisBalance: UInt64.max)
    let tx = net.sign(
      net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 1)))
    #expect(try net.rejection(tx)?.code == .balanceOverflow)
    net.timestampMs += 1
  }

  @Test func chunksMissingOnlyInVotes() throws {
    struct Holds: ChunkAvailability {
      let held: Bool
      func hasAllChunks(_ manifest: BlobManifest) -> Bool { held }
    }
    let tx = net.sign(pop.clinician0, TestNetwork.record(patient: pop.patient0))
    #expect(try net.verdict(tx, chunks: Holds(held: false)).rejection?.code == .chunksMissing)
    #expect(try net.verdict(tx, chunks: Holds(held: true)).isValid)
  }

  @Test func secondTransactionOfASenderInOneBlockNeedsTheNextNonce() throws {
    let first = net.sign(
      net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 1)))
    let second = net.sign(
      net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 2)))
    let third = net.sign(
      net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 3)), nonce: 2)
    let verdicts = try net.verdicts([first, second, third].map(TestNetwork.entry), shard: 0)
    #expect(verdicts[0].isValid)
    #expect(verdicts[1].rejection == Rejection(.badNonce, "expected nonce 2, got 1"))
    #expect(verdicts[2].isValid)
  }
}

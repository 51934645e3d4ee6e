import ChainCrypto
import Foundation
import GRPCCore
import Testing
import Wire

@testable import Node

@Suite("HealthChain API: the request and approval flow, grants and revocations enforced on reads")
struct AccessFlowAPITests {
  /// A patient with one record written by a hospital, and two clinicians.
  struct Cast {
    var alice: Session
    var doc: Session
    var eve: Session
    var recordID: Data
    var content: Data
  }

  func cast(_ api: API) async throws -> Cast {
    let admin = try await api.login("admin")
    let alice = try await api.newUser("alice", .patient, admin: admin)
    let doc = try await api.newUser("doc", .clinician, admin: admin)
    let eve = try await api.newUser("eve", .clinician, admin: admin)
    let hospital = try await api.login("stmary")
    let content = Data("CT findings: clear".utf8)
    let put = try await hospital.client.putRecord(
      PutRecordRequest(patient: alice.address, kind: "report", mediaType: "text/plain", content: content),
      metadata: hospital.metadata)
    return Cast(alice: alice, doc: doc, eve: eve, recordID: put.txID, content: content)
  }

  @Test("a clinician asks, the patient approves, the clinician reads; a revoke ends it")
  func requestApproveRevoke() async throws {
    try await APIHarness().run { api in
      let cast = try await cast(api)
      let denied = await status { _ = try await download(cast.doc, cast.recordID) }
      #expect(denied?.code == .permissionDenied && denied?.message.contains("ask the patient") == true)
      let hidden = await status {
        _ = try await cast.doc.client.getRecord(
          GetRecordRequest(recordID: cast.recordID), metadata: cast.doc.metadata)
      }
      #expect(hidden?.code == .permissionDenied)

      let asked = try await cast.doc.client.requestAccess(
        RequestAccessRequest(
          request: RequestAccess(patient: cast.alice.address, recordID: cast.recordID, reason: "follow-up"),
          waitFor: .shardCommitted), metadata: cast.doc.metadata)
      let inbox = try await cast.alice.client.listAccessRequests(
        ListAccessRequestsRequest(party: cast.alice.address, state: .pending), metadata: cast.alice.metadata)
      #expect(inbox.requests.map(\.requestID) == [asked.txID])
      #expect(inbox.requests.first?.reason == "follow-up")

      let bob = try await api.newUser("bob", .patient, admin: try await api.login("admin"))
      await expectRefusal(.invalidArgument, "not_authorized", chain: api.chain) {
        _ = try await bob.client.decideRequest(
          DecideRequestRequest(decision: DecideRequest(requestID: asked.txID, approve: true)),
          metadata: bob.metadata)
      }
      let approved = try await cast.alice.client.decideRequest(
        DecideRequestRequest(decision: DecideRequest(requestID: asked.txID, approve: true, reason: "ok")),
        metadata: cast.alice.metadata)
      await expectRefusal(.invalidArgument, "request_not_pending", chain: api.chain) {
        _ = try await cast.alice.client.decideRequest(
          DecideRequestRequest(decision: DecideRequest(requestID: asked.txID, approve: false)),
          metadata: cast.alice.metadata)
      }
      let made = try await cast.doc.client.listAccessRequests(
        ListAccessRequestsRequest(party: cast.doc.address, asRequester: true), metadata: cast.doc.metadata)
      #expect(made.requests.first?.state == .approved && made.requests.first?.grantID == approved.txID)

      let (_, data, _) = try await download(cast.doc, cast.recordID)
      #expect(data == cast.content)
      let stillDenied = await status { _ = try await download(cast.eve, cast.recordID) }
      #expect(stillDenied?.code == .permissionDenied, "the grant is the doctor's only")

      let received = try await cast.doc.client.listGrants(
        ListGrantsRequest(party: cast.doc.address, asGrantee: true), metadata: cast.doc.metadata)
      #expect(received.grants.map(\.grantID) == [approved.txID])
      _ = try await cast.alice.client.revokeAccess(
        RevokeAccessRequest(revoke: RevokeAccess(grantID: approved.txID)), metadata: cast.alice.metadata)
      let revoked = await status { _ = try await download(cast.doc, cast.recordID) }
      #expect(revoked?.code == .permissionDenied)
      let active = try await cast.alice.client.listGrants(
        ListGrantsRequest(party: cast.alice.address), metadata: cast.alice.metadata)
      #expect(active.grants.isEmpty)
      let all = try await cast.alice.client.listGrants(
        ListGrantsRequest(party: cast.alice.address, includeInactive: true), metadata: cast.alice.metadata)
      #expect(all.grants.map(\.revoked) == [true])
    }
  }

  @Test("a patient grants directly; denials and refusals")
  func grant() async throws {
    try await APIHarness().run { api in
      let cast = try await cast(api)
      await expectRefusal(.invalidArgument, "self_grant", chain: api.chain) {
        _ = try await cast.alice.client.grantAccess(
          GrantAccessRequest(grant: GrantAccess(grantee: cast.alice.address)), metadata: cast.alice.metadata)
      }
      await expectRefusal(.invalidArgument, "unknown_grantee", chain: api.chain) {
        _ = try await cast.alice.client.grantAccess(
          GrantAccessRequest(grant: GrantAccess(grantee: Data(repeating: 9, count: 20))),
          metadata: cast.alice.metadata)
      }
      await expectRefusal(.invalidArgument, "grant is required", chain: api.chain) {
        _ = try await cast.alice.client.grantAccess(GrantAccessRequest(), metadata: cast.alice.metadata)
      }
      await expectRefusal(.permissionDenied, "allowed roles: patient", chain: api.chain) {
        _ = try await cast.doc.client.grantAccess(
          GrantAccessRequest(grant: GrantAccess(grantee: cast.eve.address)), metadata: cast.doc.metadata)
      }
      let granted = try await cast.alice.client.grantAccess(
        GrantAccessRequest(grant: GrantAccess(grantee: cast.eve.address)), metadata: cast.alice.metadata)
      let (_, data, _) = try await download(cast.eve, cast.recordID)
      #expect(data == cast.content)
      let record = try await cast.eve.client.getRecord(
        GetRecordRequest(recordID: cast.recordID), metadata: cast.eve.metadata)
      #expect(record.recordID == cast.recordID)
      let foreign = await status {
        _ = try await cast.eve.client.listGrants(
          ListGrantsRequest(party: cast.alice.address), metadata: cast.eve.metadata)
      }
      #expect(foreign?.code == .permissionDenied)
      await expectRefusal(.invalidArgument, "invalid_text", chain: api.chain) {
        _ = try await cast.doc.client.requestAccess(
          RequestAccessRequest(request: RequestAccess(patient: cast.alice.address, reason: "")),
          metadata: cast.doc.metadata)
      }
      let given = try await cast.alice.client.listGrants(
        ListGrantsRequest(party: cast.alice.address), metadata: cast.alice.metadata)
      #expect(given.grants.map(\.grantID) == [granted.txID])
    }
  }
}

import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Testing
import Wire

@testable import Node

/// Downloads a record's content as `session`: the record, then the chunks in order.
func download(_ session: Session, _ recordID: Data, from chunk: UInt32 = 0) async throws -> (
  Record?, Data, [UInt32]
) {
  try await session.client.download(
    DownloadRequest(recordID: recordID, fromChunk: chunk), metadata: session.metadata
  ) { response in
    var record: Record?
    var data = Data()
    var indexes: [UInt32] = []
    for try await part in response.messages {
      switch part.part {
      case .record(let first): record = first
      case .chunk(let piece):
        data.append(piece.data)
        indexes.append(piece.index)
      case nil: break
      }
    }
    return (record, data, indexes)
  }
}

@Suite("HealthChain API: records (adding data), reading them, erasing them")
struct RecordsAPITests {
  @Test("PutRecord stores the content, commits the record, and its patient and author read it")
  func putRecord() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let doc = try await api.newUser("doc", .clinician, admin: admin)
      let content = Data("blood pressure 120/80".utf8)
      let response = try await doc.client.putRecord(
        PutRecordRequest(
          patient: alice.address, kind: "lab-report", mediaType: "text/plain", content: content,
          metadata: [Attribute(key: "ward", value: "3")], waitFor: .shardCommitted), metadata: doc.metadata)
      #expect(response.status?.state == .shardCommitted)
      guard
        case .transaction(let signed) = try TBlockEntry(serializedBytes: response.status?.entry ?? Data())
          .entry
      else {
        Issue.record("the status carries no transaction entry")
        return
      }
      #expect(SHA256.hash(signed.body).data == response.txID)
      #expect(try TransactionBody(serializedBytes: signed.body).sender == doc.address)

      let record = try await doc.client.getRecord(
        GetRecordRequest(recordID: response.txID), metadata: doc.metadata)
      #expect(record.patient == alice.address && record.author == doc.address && record.kind == "lab-report")
      #expect(record.content?.contentHash == SHA256.hash(content).data)
      for reader in [alice, doc] {
        let (first, data, _) = try await download(reader, response.txID)
        #expect(first?.recordID == response.txID && data == content)
      }
      let listed = try await alice.client.listRecords(
        ListRecordsRequest(patient: alice.address), metadata: alice.metadata)
      #expect(listed.records.map(\.recordID) == [response.txID])
      #expect(api.chain.blobs.hasAllChunks(record.content!))
    }
  }

  @Test("PutRecord refusals: the ledger's rules, sizes, fields and roles; nothing is stored or submitted")
  func putRecordRefusals() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let bob = try await api.newUser("bob", .patient, admin: admin)
      let doc = try await api.newUser("doc", .clinician, admin: admin)
      let auditor = try await api.newUser("audrey", .auditor, admin: admin)
      let chain = api.chain
      func put(_ session: Session, patient: Data, content: Data = Data("x".utf8), kind: String = "lab-report")
        async throws
      {
        _ = try await session.client.putRecord(
          PutRecordRequest(patient: patient, kind: kind, mediaType: "text/plain", content: content),
          metadata: session.metadata)
      }
      await expectRefusal(.invalidArgument, "role_not_allowed", chain: chain) {
        try await put(bob, patient: alice.address)
      }
      await expectRefusal(.invalidArgument, "not_a_patient", chain: chain) {
        try await put(doc, patient: APIHarness.hospitalKey.address.rawRepresentation)
      }
      await expectRefusal(.invalidArgument, "unknown_patient", chain: chain) {
        try await put(doc, patient: Data(repeating: 7, count: 20))
      }
      await expectRefusal(.invalidArgument, "invalid_text", chain: chain) {
        try await put(doc, patient: alice.address, kind: "Lab Report")
      }
      await expectRefusal(.invalidArgument, "patient must be a 20-byte address, got 3 bytes", chain: chain) {
        try await put(doc, patient: Data([1, 2, 3]))
      }
      await expectRefusal(.invalidArgument, "content is empty", chain: chain) {
        try await put(doc, patient: alice.address, content: Data())
      }
      await expectRefusal(
        .permissionDenied, "role auditor may not call sehc.v1.HealthChain/PutRecord", chain: chain
      ) {
        try await put(auditor, patient: alice.address)
      }
      let blobs = try FileManager.default.contentsOfDirectory(atPath: chain.blobs.root + "/blobs")
      #expect(blobs.filter { !$0.hasPrefix(".") }.isEmpty, "no content was stored for a refused record")
    }
  }

  @Test("PutRecord over the size limit: RESOURCE_EXHAUSTED")
  func putRecordTooLarge() async throws {
    try await APIHarness(configuration: HealthChainConfiguration(maxRecordBytes: 1000)).run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      await expectRefusal(.resourceExhausted, "at most 1000", chain: api.chain) {
        _ = try await alice.client.putRecord(
          PutRecordRequest(
            patient: alice.address, kind: "note", mediaType: "text/plain", content: Data(count: 1001)),
          metadata: alice.metadata)
      }
    }
  }

  @Test("EraseRecord crypto-shreds the content; the chain keeps the hashes")
  func erase() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let bob = try await api.newUser("bob", .patient, admin: admin)
      let put = try await alice.client.putRecord(
        PutRecordRequest(
          patient: alice.address, kind: "note", mediaType: "text/plain", content: Data("diary".utf8)),
        metadata: alice.metadata)
      let record = try await alice.client.getRecord(
        GetRecordRequest(recordID: put.txID), metadata: alice.metadata)
      await expectRefusal(.invalidArgument, "not_authorized", chain: api.chain) {
        _ = try await bob.client.eraseRecord(
          EraseRecordRequest(erase: EraseRecord(recordID: put.txID, reason: "no", patient: alice.address)),
          metadata: bob.metadata)
      }
      let erased = try await alice.client.eraseRecord(
        EraseRecordRequest(
          erase: EraseRecord(recordID: put.txID, reason: "right to erasure", patient: alice.address),
          waitFor: .shardCommitted), metadata: alice.metadata)
      #expect(erased.status?.state == .shardCommitted)
      let after = try await alice.client.getRecord(
        GetRecordRequest(recordID: put.txID), metadata: alice.metadata)
      #expect(after.erased && after.eraseReason == "right to erasure" && after.content == record.content)
      #expect(!api.chain.blobs.hasAllChunks(record.content!))
      #expect(throws: BlobStoreError.self) { try api.chain.blobs.read(record.content!) }
      let gone = await status { _ = try await download(alice, put.txID) }
      #expect(gone?.code == .notFound && gone?.message.contains("was erased (crypto-shredded)") == true)
      await expectRefusal(.invalidArgument, "record_erased", chain: api.chain) {
        _ = try await alice.client.eraseRecord(
          EraseRecordRequest(erase: EraseRecord(recordID: put.txID, patient: alice.address)),
          metadata: alice.metadata)
      }
    }
  }
}

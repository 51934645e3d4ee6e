import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Testing
import Wire

@testable import Node

/// `count` bytes of varied content.
func imageBytes(_ count: Int) -> Data {
  Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 9)) })
}

extension Session {
  /// Opens an upload for `patient`.
  func begin(
    _ patient: Data, size: Int, contentHash: Data = Data(), manifestOnly: Bool = false
  ) async throws -> UploadSession {
    try await client.beginUpload(
      BeginUploadRequest(
        patient: patient, kind: "covid19-ct", mediaType: "application/dicom", totalSize: UInt64(size),
        contentHash: contentHash, modality: "CT", studyInstanceUID: "1.2.840.1", manifestOnly: manifestOnly,
        waitFor: .shardCommitted), metadata: metadata)
  }

  /// Streams `data[from...]` into session `id` in pieces of `piece` bytes; stops with an error after
  /// `failAfter` pieces when given (an interrupted stream).
  func send(_ id: Data, _ data: Data, from offset: Int = 0, piece: Int = 300 << 10, failAfter: Int? = nil)
    async throws -> UploadImageResponse
  {
    struct Interrupted: Error {}
    return try await client.uploadImage(metadata: metadata) { writer in
      var position = offset
      var sent = 0
      repeat {
        if let failAfter, sent == failAfter { throw Interrupted() }
        let end = min(position + piece, data.count)
        try await writer.write(
          UploadChunk(
            sessionID: sent == 0 ? id : Data(), offset: UInt64(position),
            data: data.subdata(in: position..<end)))
        position = end
        sent += 1
      } while position < data.count
    }
  }
}

@Suite("HealthChain API: image upload (resumable) and download checked against the manifest")
struct UploadAPITests {
  @Test("a multi-chunk image in pieces, interrupted, resumed, committed, downloaded and resumed")
  func uploadResumeDownload() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let lab = try await api.newUser("labby", .lab, admin: admin)
      let image = imageBytes((5 << 20) / 2)
      let session = try await lab.begin(
        alice.address, size: image.count, contentHash: SHA256.hash(image).data)
      #expect(session.sessionID.count == 16 && session.received == 0 && session.chunkSize == 1 << 20)

      let partial = try await lab.send(session.sessionID, image.prefix(700_000))
      #expect(partial.session?.received == 700_000 && partial.manifest == nil && partial.transaction == nil)
      let broken = await status {
        _ = try await lab.send(session.sessionID, image, from: 700_000, failAfter: 3)
      }
      #expect(broken != nil, "the interrupted stream fails")
      let progress = try await lab.client.getUpload(
        GetUploadRequest(sessionID: session.sessionID), metadata: lab.metadata)
      #expect(progress.received >= 700_000 && progress.received < UInt64(image.count) && !progress.complete)

      let mismatch = await status { _ = try await lab.send(session.sessionID, image, from: 0) }
      #expect(mismatch?.code == .failedPrecondition)
      #expect(
        mismatch?.message.contains("stands at byte \(progress.received)") == true,
        "\(mismatch?.message ?? "")")

      let done = try await lab.send(session.sessionID, image, from: Int(progress.received))
      #expect(done.session?.complete == true)
      let manifest = try #require(done.manifest)
      #expect(manifest.chunkHashes.count == 3 && manifest.contentHash == SHA256.hash(image).data)
      #expect(done.transaction?.status?.state == .shardCommitted && done.recordID == done.transaction?.txID)

      let record = try await alice.client.getRecord(
        GetRecordRequest(recordID: done.recordID), metadata: alice.metadata)
      #expect(
        record.isImage && record.modality == "CT" && record.content == manifest
          && record.author == lab.address)
      let (first, data, indexes) = try await download(alice, done.recordID)
      #expect(first?.recordID == done.recordID && indexes == [0, 1, 2] && data == image)
      let (_, tail, tailIndexes) = try await download(alice, done.recordID, from: 1)
      #expect(tailIndexes == [1, 2] && tail == image.suffix(from: 1 << 20))
      #expect(api.chain.peer.hasAllChunks(manifest), "the chunks were replicated")
      let finished = await status {
        _ = try await lab.client.getUpload(
          GetUploadRequest(sessionID: session.sessionID), metadata: lab.metadata)
      }
      #expect(finished?.code == .notFound)
    }
  }

  @Test("a damaged local chunk is fetched from another member; a bad copy there is DATA_LOSS")
  func tamperedChunk() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let image = imageBytes((3 << 20) / 2)
      let session = try await alice.begin(alice.address, size: image.count)
      let done = try await alice.send(session.sessionID, image, piece: 1 << 20)
      let manifest = try #require(done.manifest)
      let path =
        api.chain.blobs.root
        + "/blobs/\(manifest.merkleRoot.hexString)/chunks/\(manifest.chunkHashes[1].hexString)"
      var sealed = try Data(contentsOf: URL(fileURLWithPath: path))
      sealed[sealed.startIndex + 20] ^= 0x01
      try sealed.write(to: URL(fileURLWithPath: path))
      #expect(throws: BlobStoreError.self) { try api.chain.blobs.readChunk(manifest, index: 1) }

      let (_, data, _) = try await download(alice, done.recordID)
      #expect(data == image, "chunk 1 came from the other member, checked")
      api.chain.setTamperFetches(true)
      let lost = await status { _ = try await download(alice, done.recordID) }
      #expect(lost?.code == .dataLoss)
      #expect(
        lost?.message.contains("chunk 1 of blob \(manifest.merkleRoot.hexString) does not match") == true)
    }
  }

  @Test("an expired session is FAILED_PRECONDITION, then forgotten")
  func expiry() async throws {
    try await APIHarness(configuration: HealthChainConfiguration(uploadTTLms: 1)).run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let session = try await alice.begin(alice.address, size: 10)
      try await Task.sleep(for: .milliseconds(5))
      let expired = await status { _ = try await alice.send(session.sessionID, Data(count: 10)) }
      #expect(expired?.code == .failedPrecondition && expired?.message.contains("expired at") == true)
      let forgotten = await status {
        _ = try await alice.client.getUpload(
          GetUploadRequest(sessionID: session.sessionID), metadata: alice.metadata)
      }
      #expect(forgotten?.code == .notFound)
    }
  }

  @Test("upload refusals: fields, roles, sessions, pieces, offsets, content hash; manifest-only sessions")
  func refusals() async throws {
    try await APIHarness().run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      let bob = try await api.newUser("bob", .patient, admin: admin)
      let auditor = try await api.newUser("audrey", .auditor, admin: admin)
      let chain = api.chain
      await expectRefusal(.invalidArgument, "role_not_allowed", chain: chain) {
        _ = try await bob.begin(alice.address, size: 10)
      }
      await expectRefusal(.invalidArgument, "total_size is 0", chain: chain) {
        _ = try await alice.begin(alice.address, size: 0)
      }
      await expectRefusal(.invalidArgument, "content_hash must be empty or 32 bytes", chain: chain) {
        _ = try await alice.begin(alice.address, size: 10, contentHash: Data([1]))
      }
      await expectRefusal(
        .permissionDenied, "role auditor may not call sehc.v1.HealthChain/BeginUpload", chain: chain
      ) {
        _ = try await auditor.begin(alice.address, size: 10)
      }
      let session = try await alice.begin(
        alice.address, size: 10, contentHash: SHA256.hash(Data("other".utf8)).data)
      await expectRefusal(.permissionDenied, "belongs to another user", chain: chain) {
        _ = try await bob.client.getUpload(
          GetUploadRequest(sessionID: session.sessionID), metadata: bob.metadata)
      }
      await expectRefusal(.notFound, "no upload session", chain: chain) {
        _ = try await alice.client.getUpload(
          GetUploadRequest(sessionID: Data(count: 16)), metadata: alice.metadata)
      }
      await expectRefusal(.invalidArgument, "session_id must be 16 bytes", chain: chain) {
        _ = try await alice.client.getUpload(
          GetUploadRequest(sessionID: Data(count: 3)), metadata: alice.metadata)
      }
      await expectRefusal(.invalidArgument, "must carry session_id", chain: chain) {
        _ = try await alice.send(Data(), Data(count: 10))
      }
      await expectRefusal(.failedPrecondition, "stands at byte 0", chain: chain) {
        _ = try await alice.send(session.sessionID, Data(count: 10), from: 4)
      }
      await expectRefusal(.resourceExhausted, "pieces are at most 1048576 bytes", chain: chain) {
        _ = try await alice.send(session.sessionID, Data(count: (1 << 20) + 1), piece: (1 << 20) + 1)
      }
      await expectRefusal(.invalidArgument, "would exceed", chain: chain) {
        _ = try await alice.send(session.sessionID, Data(count: 11))
      }
      await expectRefusal(.invalidArgument, "does not hash to the announced content hash", chain: chain) {
        _ = try await alice.send(session.sessionID, Data(count: 10))
      }

      let only = try await alice.begin(alice.address, size: 5, manifestOnly: true)
      let before = chain.submittedCount
      let answer = try await alice.send(only.sessionID, Data("hello".utf8))
      #expect(answer.manifest == BlobManifests.make(Data("hello".utf8)) && answer.transaction == nil)
      #expect(chain.submittedCount == before, "a manifest-only session submits nothing")
    }
  }
}

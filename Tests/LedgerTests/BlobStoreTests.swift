import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// The encrypted blob store: round trips, tampering, keys, resumable uploads, replication, erasure.
@Suite struct BlobStoreTests {
  let dir = TemporaryDirectory("blobs")
  let masterKey = SymmetricKey(data: SHA256.hash(Data("master".utf8)).data)
  let now: UInt64 = 1_700_000_000_000

  func store(_ name: String = "a", key: SymmetricKey? = nil) throws -> BlobStore {
    try BlobStore(directory: dir.file(name), masterKey: key ?? masterKey)
  }

  static func content(_ size: Int, seed: UInt8 = 1) -> Data {
    var bytes = [UInt8](repeating: 0, count: size)
    var x = UInt32(seed) &* 2_654_435_761
    for index in bytes.indices {
      x ^= x << 13
      x ^= x >> 17
      x ^= x << 5
      bytes[index] = UInt8(truncatingIfNeeded: x)
    }
    return Data(bytes)
  }

  @Test func multiChunkImageRoundTrip() throws {
    let blobs = try store()
    let image = Self.content((3 << 20) + 12_345)
    let manifest = try blobs.put(image)
    #expect(manifest == BlobManifests.make(image))
    #expect(manifest.chunkHashes.count == 4)
    #expect(blobs.hasAllChunks(manifest))
    #expect(try blobs.read(manifest) == image)
    #expect(try blobs.readChunk(manifest, index: 3) == image.subdata(in: (3 << 20)..<image.count))
    #expect(try blobs.manifest(blobID: manifest.merkleRoot) == manifest)
    // Stored encrypted: no chunk file contains its plaintext.
    let chunkFile = blobs.chunkPath(manifest.merkleRoot, hash: manifest.chunkHashes[0])
    let sealed = try #require(try DurableFile.read(chunkFile))
    #expect(sealed.count == (1 << 20) + 28)
    #expect(sealed.range(of: image.subdata(in: 1000..<1064)) == nil)
    // The same content again is the same blob.
    #expect(try blobs.put(image) == manifest)
  }

  @Test func tamperedChunkIsDetectedOnRead() throws {
    let blobs = try store()
    let manifest = try blobs.put(Self.content(2 << 20))
    let path = blobs.chunkPath(manifest.merkleRoot, hash: manifest.chunkHashes[1])
    var sealed = try #require(try DurableFile.read(path))
    sealed[500] ^= 0x01
    try sealed.write(to: URL(fileURLWithPath: path))
    #expect(try blobs.readChunk(manifest, index: 0).count == 1 << 20)
    do {
      _ = try blobs.readChunk(manifest, index: 1)
      Issue.record("a tampered chunk was read")
    } catch let error as BlobStoreError {
      guard case .corruptChunk(_, 1, _) = error else { Issue.record("\(error)"); return }
    }
    #expect(throws: BlobStoreError.self) { try blobs.read(manifest) }
  }

  @Test func swappedChunksAreDetected() throws {
    let blobs = try store()
    let manifest = try blobs.put(Self.content(2 << 20, seed: 3))
    let first = blobs.chunkPath(manifest.merkleRoot, hash: manifest.chunkHashes[0])
    let second = blobs.chunkPath(manifest.merkleRoot, hash: manifest.chunkHashes[1])
    let a = try #require(try DurableFile.read(first))
    try #require(try DurableFile.read(second)).write(to: URL(fileURLWithPath: first))
    try a.write(to: URL(fileURLWithPath: second))
    #expect(throws: BlobStoreError.self) { try blobs.readChunk(manifest, index: 0) }
    #expect(throws: BlobStoreError.self) { try blobs.readChunk(manifest, index: 1) }
  }

  @Test func wrongMasterKey() throws {
    let blobs = try store()
    let manifest = try blobs.put(Self.content(1000))
    let other = SymmetricKey(data: SHA256.hash(Data("other".utf8)).data)
    do {
      _ = try store(key: other)
      Issue.record("opened with the wrong master key")
    } catch let error as BlobStoreError {
      #expect(error == .wrongMasterKey(path: dir.file("a")))
    }
    // A wrapped key from another store (another master key) does not open.
    let foreign = try store("b", key: other)
    let foreignManifest = try foreign.put(Self.content(1000))
    #expect(foreignManifest == manifest)
    try FileManager.default.removeItem(atPath: blobs.blobDirectory(manifest.merkleRoot) + "/key")
    try FileManager.default.copyItem(
      atPath: foreign.blobDirectory(manifest.merkleRoot) + "/key",
      toPath: blobs.blobDirectory(manifest.merkleRoot) + "/key")
    #expect(throws: BlobStoreError.self) { try blobs.read(manifest) }
  }

  @Test func resumableUploadSurvivesARestart() throws {
    let image = Self.content((2 << 20) + 777_777, seed: 9)
    var session: UploadSession
    do {
      let blobs = try store()
      session = try blobs.beginUpload(
        totalSize: UInt64(image.count), contentHash: SHA256.hash(image).data, nowMs: now)
      #expect(session.sessionID.count == 16)
      #expect(session.chunkSize == 1 << 20)
      var offset = 0
      while offset < 1_500_000 {
        let piece = image.subdata(in: offset..<min(offset + 300_000, image.count))
        session = try blobs.appendUpload(session.sessionID, offset: UInt64(offset), data: piece, nowMs: now)
        offset += piece.count
      }
      #expect(session.received == 1_500_000)
    }
    // A new process.
    let blobs = try store()
    session = try blobs.uploadSession(session.sessionID, nowMs: now + 1)
    #expect(session.received == 1_500_000)
    #expect(!session.complete)
    do {
      try blobs.appendUpload(session.sessionID, offset: 1_400_000, data: Data(count: 10), nowMs: now)
      Issue.record("a piece at the wrong offset was taken")
    } catch let error as BlobStoreError {
      #expect(
        error == .offsetMismatch(session: session.sessionID.hexString, expected: 1_500_000, got: 1_400_000))
    }
    #expect(throws: BlobStoreError.self) { try blobs.finishUpload(session.sessionID, nowMs: now) }
    var offset = Int(session.received)
    while offset < image.count {
      let piece = image.subdata(in: offset..<min(offset + (1 << 20), image.count))
      session = try blobs.appendUpload(session.sessionID, offset: UInt64(offset), data: piece, nowMs: now)
      offset += piece.count
    }
    #expect(session.complete)
    let manifest = try blobs.finishUpload(session.sessionID, nowMs: now)
    #expect(manifest == BlobManifests.make(image))
    #expect(try blobs.read(manifest) == image)
    #expect(throws: BlobStoreError.self) { try blobs.uploadSession(session.sessionID, nowMs: now) }
  }

  @Test func uploadInOneProcessUsesTheRunningHashAndChecksTheContentHash() throws {
    let blobs = try store()
    let image = Self.content(1_234_567, seed: 4)
    let good = try blobs.beginUpload(totalSize: UInt64(image.count), nowMs: now)
    try blobs.appendUpload(good.sessionID, offset: 0, data: image.prefix(1 << 20), nowMs: now)
    try blobs.appendUpload(good.sessionID, offset: 1 << 20, data: image.suffix(from: 1 << 20), nowMs: now)
    #expect(try blobs.finishUpload(good.sessionID, nowMs: now).contentHash == SHA256.hash(image).data)

    let bad = try blobs.beginUpload(totalSize: 3, contentHash: SHA256.hash(Data("abc".utf8)).data, nowMs: now)
    try blobs.appendUpload(bad.sessionID, offset: 0, data: Data("abd".utf8), nowMs: now)
    #expect(throws: BlobStoreError.contentHashMismatch(session: bad.sessionID.hexString)) {
      try blobs.finishUpload(bad.sessionID, nowMs: now)
    }
    #expect(throws: BlobStoreError.self) {
      try blobs.appendUpload(good.sessionID, offset: 0, data: Data(count: (1 << 20) + 1), nowMs: now)
    }
  }

  @Test func sessionsExpire() throws {
    let blobs = try store()
    let session = try blobs.beginUpload(totalSize: 10, nowMs: now, ttlMs: 1000)
    #expect(throws: BlobStoreError.sessionExpired(session.sessionID.hexString, expiredAtMs: now + 1000)) {
      try blobs.appendUpload(session.sessionID, offset: 0, data: Data(count: 5), nowMs: now + 1000)
    }
    #expect(try blobs.purgeExpiredSessions(nowMs: now + 999) == 0)
    #expect(try blobs.purgeExpiredSessions(nowMs: now + 1000) == 1)
    #expect(throws: BlobStoreError.unknownSession(session.sessionID.hexString)) {
      try blobs.uploadSession(session.sessionID, nowMs: now)
    }
  }

  @Test func eraseDestroysTheKeyAtTheLastReference() throws {
    let blobs = try store()
    let manifest = try blobs.put(Self.content(1_500_000))
    let blob = manifest.merkleRoot
    try blobs.retain(blobID: blob, recordID: Data(repeating: 1, count: 32))
    try blobs.retain(blobID: blob, recordID: Data(repeating: 2, count: 32))
    try blobs.retain(blobID: blob, recordID: Data(repeating: 2, count: 32))
    #expect(try blobs.references(blob).count == 2)
    #expect(try blobs.release(blobID: blob, recordID: Data(repeating: 1, count: 32)) == false)
    #expect(try blobs.read(manifest).count == 1_500_000, "another record still uses the content")
    #expect(try blobs.release(blobID: blob, recordID: Data(repeating: 2, count: 32)) == true)
    #expect(!FileManager.default.fileExists(atPath: blobs.blobDirectory(blob)))
    #expect(!blobs.hasAllChunks(manifest))
    #expect(throws: BlobStoreError.unknownBlob(blob.hexString)) { try blobs.read(manifest) }
    // A late replica of the erased blob is refused.
    let replica = ChunkReplica(
      blobID: blob, index: 0, chunkHash: manifest.chunkHashes[0],
      data: Self.content(1_500_000).prefix(1 << 20))
    #expect(throws: BlobStoreError.erased(blob.hexString)) {
      try blobs.importChunk(replica, manifest: manifest)
    }
  }

  @Test func replicationSealsUnderTheReceiversOwnKey() throws {
    let sender = try store("a")
    let receiver = try store("b", key: SymmetricKey(data: SHA256.hash(Data("b".utf8)).data))
    let image = Self.content((2 << 20) + 5, seed: 7)
    let manifest = try sender.put(image)
    #expect(!receiver.hasAllChunks(manifest))
    for index in manifest.chunkHashes.indices {
      let replica = try sender.exportChunk(blobID: manifest.merkleRoot, index: index)
      try receiver.importChunk(replica, manifest: manifest)
      try receiver.importChunk(replica, manifest: manifest)
    }
    #expect(receiver.hasAllChunks(manifest))
    #expect(try receiver.read(manifest) == image)
    let path = { (store: BlobStore) in store.chunkPath(manifest.merkleRoot, hash: manifest.chunkHashes[0]) }
    #expect(try DurableFile.read(path(sender)) != DurableFile.read(path(receiver)))

    var forged = try sender.exportChunk(blobID: manifest.merkleRoot, index: 1)
    forged.data[0] ^= 1
    let fresh = try store("c")
    #expect(throws: BlobStoreError.self) { try fresh.importChunk(forged, manifest: manifest) }
    var misplaced = try sender.exportChunk(blobID: manifest.merkleRoot, index: 1)
    misplaced.index = 0
    #expect(throws: BlobStoreError.self) { try fresh.importChunk(misplaced, manifest: manifest) }
    #expect(!fresh.hasAllChunks(manifest))
  }

  @Test func missingChunkMeansNotHeld() throws {
    let blobs = try store()
    let manifest = try blobs.put(Self.content(2 << 20, seed: 5))
    try FileManager.default.removeItem(
      atPath: blobs.chunkPath(manifest.merkleRoot, hash: manifest.chunkHashes[1]))
    #expect(!blobs.hasAllChunks(manifest))
    #expect(throws: BlobStoreError.missingChunk(blob: manifest.merkleRoot.hexString, index: 1)) {
      try blobs.readChunk(manifest, index: 1)
    }
  }

  @Test func votesDependOnHoldingTheChunksAndBlocksDriveReferences() throws {
    var pop = try Population()
    let blobs = try store()
    let image = Self.content(1_100_000, seed: 8)
    let manifest = BlobManifests.make(image)
    let tx = pop.net.sign(
      pop.clinician0,
      .putImageManifest(
        PutImageManifest(
          patient: pop.patient0.address.rawRepresentation, kind: "xray", mediaType: "image/png",
          content: manifest,
          modality: "DX")))
    #expect(try pop.net.verdict(tx, chunks: blobs).rejection?.code == .chunksMissing)
    try blobs.put(image)
    #expect(try pop.net.verdict(tx, chunks: blobs).isValid)
    let (_, outcome) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(tx)])
    try blobs.apply(outcome.blobEvents)
    let recordID = SHA256.hash(tx.body).data
    #expect(try blobs.references(manifest.merkleRoot) == [recordID])
    let erase = pop.net.sign(
      pop.patient0,
      .eraseRecord(EraseRecord(recordID: recordID, patient: pop.patient0.address.rawRepresentation)))
    let (_, erased) = try pop.net.commit(shard: 0, entries: [TestNetwork.entry(erase)])
    try blobs.apply(erased.blobEvents)
    #expect(!blobs.hasAllChunks(manifest))
  }
}

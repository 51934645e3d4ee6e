import ChainCrypto
import Foundation
import Wire

/// The persisted state of an upload session (`sessions/<id>/session`, JSON).
struct UploadState: Codable, Sendable {
  var id: Data
  var totalSize: UInt64
  var contentHash: Data
  var expiresAtMs: UInt64
  var received: UInt64
  /// Hashes of the complete chunks received so far, in order.
  var chunkHashes: [Data]
  /// The session's data key, wrapped under the master key with "sehc/v1/upload-key" || id.
  var wrappedKey: Data
  /// Offsets of the stored pieces of the incomplete chunk, in order.
  var pieces: [UInt64]
}

/// Resumable uploads (healthchain.proto `BeginUpload` / `UploadImage` / `GetUpload`): a session has
/// an id (16 random bytes) and an offset; pieces of any size up to 1 MiB arrive in order; complete
/// chunks are sealed and stored as they fill, the incomplete tail as sealed pieces, and the session
/// state is written durably after each piece, so a session survives a restart and resumes from
/// `received`. Sessions expire; `purgeExpiredSessions` discards them.
extension BlobStore {
  static let uploadKeyLabel = Data("sehc/v1/upload-key".utf8)
  static let pieceLabel = Data("sehc/v1/upload-piece".utf8)

  func sessionDirectory(_ id: Data) -> String { root + "/sessions/" + id.hexString }

  /// Opens a session for `totalSize` bytes (1 byte to 4 GiB) expiring `ttlMs` after `nowMs`. A
  /// non-empty `contentHash` is checked when the session finishes.
  public func beginUpload(
    totalSize: UInt64, contentHash: Data = Data(), nowMs: UInt64, ttlMs: UInt64 = 86_400_000
  )
    throws -> UploadSession
  {
    guard totalSize >= 1, totalSize <= ChainParameters.maxBlobSize else {
      throw BlobStoreError.tooLarge("an upload is 1 byte to 4 GiB, got \(totalSize)")
    }
    guard contentHash.isEmpty || contentHash.count == 32 else {
      throw BlobStoreError.invalidManifest("content_hash must be empty or 32 bytes")
    }
    let id = try SecureRandom.bytes(count: 16)
    let key = try SymmetricKey.random()
    let state = UploadState(
      id: id, totalSize: totalSize, contentHash: contentHash, expiresAtMs: nowMs + ttlMs, received: 0,
      chunkHashes: [],
      wrappedKey: try wrapUpload(key, id: id), pieces: [])
    try lock.withLock { _ in
      try DurableFile.makeDirectory(sessionDirectory(id) + "/chunks")
      try save(state)
    }
    hashes.withLock { $0[id] = RunningHash() }
    return info(state)
  }

  /// The session's progress.
  public func uploadSession(_ id: Data, nowMs: UInt64) throws -> UploadSession {
    try lock.withLock { _ in info(try load(id, nowMs: nowMs)) }
  }

  /// Adds `data` (at most 1 MiB) at `offset`, which must be the session's `received`.
  @discardableResult
  public func appendUpload(_ id: Data, offset: UInt64, data: Data, nowMs: UInt64) throws -> UploadSession {
    guard data.count <= ChainParameters.chunkSize else {
      throw BlobStoreError.tooLarge("an upload piece is at most 1 MiB, got \(data.count) bytes")
    }
    return try lock.withLock { _ in
      var state = try load(id, nowMs: nowMs)
      guard offset == state.received else {
        throw BlobStoreError.offsetMismatch(session: id.hexString, expected: state.received, got: offset)
      }
      guard state.received + UInt64(data.count) <= state.totalSize else {
        throw BlobStoreError.tooLarge(
          "upload session \(id.hexString) takes \(state.totalSize) bytes; \(state.received + UInt64(data.count)) would exceed it"
        )
      }
      guard !data.isEmpty else { return info(state) }
      let key = try unwrapUpload(state.wrappedKey, id: id)
      var context = try AES256GCM.KeyedContext(key: key)
      let chunk = UInt64(ChainParameters.chunkSize)
      var stale: [UInt64] = []
      let chunksBefore = state.chunkHashes.count
      var remaining = data[...]
      var position = state.received
      while !remaining.isEmpty {
        let chunkEnd = min((position / chunk + 1) * chunk, state.totalSize)
        let take = Int(min(UInt64(remaining.count), chunkEnd - position))
        let piece = Data(remaining.prefix(take))
        remaining = remaining.dropFirst(take)
        if position + UInt64(take) == chunkEnd {
          // The chunk is complete: assemble it from the stored pieces and seal it under its hash.
          var whole = Data()
          for offset in state.pieces {
            whole.append(try readPiece(id, offset: offset, context: &context))
          }
          whole.append(piece)
          let hash = SHA256.hash(whole).data
          try writeFile(
            try context.seal(whole, authenticating: Self.chunkLabel + hash).combined,
            to: sessionDirectory(id) + "/chunks/" + hash.hexString, sync: false)
          state.chunkHashes.append(hash)
          stale += state.pieces
          state.pieces = []
        } else {
          try writeFile(
            try context.seal(piece, authenticating: pieceAAD(id, position)).combined,
            to: sessionDirectory(id) + "/piece-\(position)", sync: false)
          state.pieces.append(position)
        }
        position += UInt64(take)
      }
      // Chunk files are fsync-ed; their directory entries become durable here. Piece files live in
      // the session directory, which the session state's durable write below syncs.
      if state.chunkHashes.count > chunksBefore {
        try DurableFile.syncDirectory(sessionDirectory(id) + "/chunks")
      }
      hashes.withLock { running in
        if let hash = running[id], hash.bytes == state.received {
          hash.hasher?.update(data)
          hash.bytes += UInt64(data.count)
        } else {
          running[id] = nil
        }
      }
      state.received = position
      try save(state)
      for offset in stale { try DurableFile.remove(sessionDirectory(id) + "/piece-\(offset)") }
      return info(state)
    }
  }

  /// Completes a session that received every byte: builds the manifest, checks the announced content
  /// hash, and installs the blob (its chunks were sealed under the session's key, which becomes the
  /// blob's data key). The session is gone afterwards.
  public func finishUpload(_ id: Data, nowMs: UInt64) throws -> BlobManifest {
    try lock.withLock { _ in
      let state = try load(id, nowMs: nowMs)
      guard state.received == state.totalSize else {
        throw BlobStoreError.incomplete(
          session: id.hexString, received: state.received, total: state.totalSize)
      }
      let key = try unwrapUpload(state.wrappedKey, id: id)
      let contentHash: Data
      let running = hashes.withLock { $0.removeValue(forKey: id) }
      if let running, running.bytes == state.totalSize, let hasher = running.hasher.take() {
        contentHash = hasher.finalize().data
      } else {
        // Fed by several processes (a restart): hash the stored chunks.
        var context = try AES256GCM.KeyedContext(key: key)
        var hasher = SHA256Hasher()
        for hash in state.chunkHashes {
          guard let sealed = try DurableFile.read(sessionDirectory(id) + "/chunks/" + hash.hexString) else {
            throw BlobStoreError.missingChunk(blob: "session \(id.hexString)", index: 0)
          }
          hasher.update(
            try context.open(
              try AES256GCM.SealedBox(combined: sealed), authenticating: Self.chunkLabel + hash))
        }
        contentHash = hasher.finalize().data
      }
      guard state.contentHash.isEmpty || state.contentHash == contentHash else {
        throw BlobStoreError.contentHashMismatch(session: id.hexString)
      }
      let manifest = BlobManifests.make(
        chunkHashes: state.chunkHashes, totalSize: state.totalSize, contentHash: contentHash)
      let staging = root + "/blobs/.staging-" + UUID().uuidString
      try DurableFile.makeDirectory(staging)
      guard rename(sessionDirectory(id) + "/chunks", staging + "/chunks") == 0 else {
        throw BlobStoreError.io(path: staging, detail: "cannot move the session's chunks")
      }
      try install(staging: staging, key: key, manifest: manifest)
      try DurableFile.remove(sessionDirectory(id))
      return manifest
    }
  }

  /// Discards the sessions expired at `nowMs`; returns how many.
  @discardableResult
  public func purgeExpiredSessions(nowMs: UInt64) throws -> Int {
    try lock.withLock { _ in
      let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/sessions")) ?? []
      var purged = 0
      for name in names {
        guard let id = Data(hexString: name),
          let bytes = try DurableFile.read(sessionDirectory(id) + "/session"),
          let state = try? JSONDecoder().decode(UploadState.self, from: bytes)
        else { continue }
        if state.expiresAtMs <= nowMs {
          try DurableFile.remove(sessionDirectory(id))
          hashes.withLock { $0[id] = nil }
          purged += 1
        }
      }
      return purged
    }
  }

  // MARK: - Internals

  private func info(_ state: UploadState) -> UploadSession {
    UploadSession(
      sessionID: state.id, totalSize: state.totalSize, received: state.received,
      chunkSize: UInt32(ChainParameters.chunkSize), complete: state.received == state.totalSize,
      expiresAtMs: state.expiresAtMs)
  }

  private func load(_ id: Data, nowMs: UInt64) throws -> UploadState {
    guard id.count == 16, let bytes = try DurableFile.read(sessionDirectory(id) + "/session") else {
      throw BlobStoreError.unknownSession(id.hexString)
    }
    let state: UploadState
    do { state = try JSONDecoder().decode(UploadState.self, from: bytes) } catch {
      throw BlobStoreError.io(
        path: sessionDirectory(id) + "/session", detail: "unreadable session state: \(error)")
    }
    guard state.expiresAtMs > nowMs else {
      throw BlobStoreError.sessionExpired(id.hexString, expiredAtMs: state.expiresAtMs)
    }
    return state
  }

  private func save(_ state: UploadState) throws {
    try DurableFile.write(try JSONEncoder().encode(state), to: sessionDirectory(state.id) + "/session")
  }

  private func pieceAAD(_ id: Data, _ offset: UInt64) -> Data { Self.pieceLabel + id + offset.bigEndianBytes }

  private func readPiece(_ id: Data, offset: UInt64, context: inout AES256GCM.KeyedContext) throws -> Data {
    let path = sessionDirectory(id) + "/piece-\(offset)"
    guard let sealed = try DurableFile.read(path) else {
      throw BlobStoreError.io(path: path, detail: "a stored piece of the session is missing")
    }
    do {
      return try context.open(try AES256GCM.SealedBox(combined: sealed), authenticating: pieceAAD(id, offset))
    } catch {
      throw BlobStoreError.io(path: path, detail: "a stored piece of the session fails authentication")
    }
  }

  private func wrapUpload(_ key: SymmetricKey, id: Data) throws -> Data {
    try key.withUnsafeBytes {
      try AES256GCM.seal(Data($0), using: masterKey, authenticating: Self.uploadKeyLabel + id).combined
    }
  }

  private func unwrapUpload(_ wrapped: Data, id: Data) throws -> SymmetricKey {
    do {
      return SymmetricKey(
        data: try AES256GCM.open(
          try AES256GCM.SealedBox(combined: wrapped), using: masterKey,
          authenticating: Self.uploadKeyLabel + id))
    } catch { throw BlobStoreError.wrongMasterKey(path: sessionDirectory(id)) }
  }
}

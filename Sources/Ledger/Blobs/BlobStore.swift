import ChainCrypto
import Foundation
import Synchronization
import Wire

/// Encrypted, content-addressed storage of record contents and medical images (docs/ledger.md,
/// "Blob store").
///
/// A blob is content cut in 1 MiB chunks. Its id is the RFC 6962 root over the SHA-256 of its
/// plaintext chunks (`BlobManifest.merkle_root`). Each blob has its own random AES-256-GCM data key;
/// each chunk is sealed under it, with "sehc/v1/chunk" || chunk hash as associated data, and stored
/// under the chunk's hash. The data key is stored wrapped (AES-256-GCM) under the node's master key
/// with "sehc/v1/blob-key" || blob id as associated data. Every read decrypts and checks the chunk's
/// hash against the manifest. Records referencing a blob are counted; releasing the last reference
/// destroys the data key first (crypto-shredding) and then deletes the chunks.
///
/// Every file is written durably (temporary file, fsync, rename, directory fsync).
public final class BlobStore: ChunkAvailability, Sendable {
  /// The store's directory.
  public let root: String
  let masterKey: SymmetricKey
  /// Running content hashes of upload sessions fed in order by this process.
  let hashes = Mutex<[Data: RunningHash]>([:])
  /// Serializes changes to blobs, references and sessions.
  let lock = Mutex(())

  static let checkLabel = Data("sehc/v1/blob-master-check".utf8)
  static let keyLabel = Data("sehc/v1/blob-key".utf8)
  static let chunkLabel = Data("sehc/v1/chunk".utf8)

  /// Opens (creating if needed) the store in `directory` with the node's 32-byte master key. A store
  /// made with another master key is refused (`wrongMasterKey`).
  public init(directory: String, masterKey: SymmetricKey) throws {
    guard masterKey.byteCount == AES256GCM.keyByteCount else {
      throw BlobStoreError.tooLarge("the master key must be 32 bytes, got \(masterKey.byteCount)")
    }
    root = directory
    self.masterKey = masterKey
    for sub in ["blobs", "refs", "sessions", "erased"] {
      try DurableFile.makeDirectory(directory + "/" + sub)
    }
    let check = directory + "/master.check"
    if let sealed = try DurableFile.read(check) {
      do {
        _ = try AES256GCM.open(
          try AES256GCM.SealedBox(combined: sealed), using: masterKey, authenticating: Self.checkLabel)
      } catch { throw BlobStoreError.wrongMasterKey(path: directory) }
    } else {
      try DurableFile.write(
        try AES256GCM.seal(Self.checkLabel, using: masterKey, authenticating: Self.checkLabel).combined,
        to: check)
    }
  }

  // MARK: - Layout

  func blobDirectory(_ blobID: Data) -> String { root + "/blobs/" + blobID.hexString }
  func chunkPath(_ blobID: Data, hash: Data) -> String { blobDirectory(blobID) + "/chunks/" + hash.hexString }
  func refsPath(_ blobID: Data) -> String { root + "/refs/" + blobID.hexString }

  // MARK: - Keys

  func wrap(_ dataKey: SymmetricKey, blobID: Data) throws -> Data {
    try dataKey.withUnsafeBytes { bytes in
      try AES256GCM.seal(Data(bytes), using: masterKey, authenticating: Self.keyLabel + blobID).combined
    }
  }

  func unwrap(_ wrapped: Data, blobID: Data) throws -> SymmetricKey {
    do {
      let box = try AES256GCM.SealedBox(combined: wrapped)
      return SymmetricKey(
        data: try AES256GCM.open(box, using: masterKey, authenticating: Self.keyLabel + blobID))
    } catch {
      throw BlobStoreError.wrongMasterKey(path: blobDirectory(blobID) + "/key")
    }
  }

  /// The data key of a stored blob.
  func dataKey(_ blobID: Data) throws -> SymmetricKey {
    guard let wrapped = try DurableFile.read(blobDirectory(blobID) + "/key") else {
      throw BlobStoreError.unknownBlob(blobID.hexString)
    }
    return try unwrap(wrapped, blobID: blobID)
  }

  // MARK: - Writing whole blobs

  /// Stores `data` as a blob and returns its manifest. Content that is already stored is not written
  /// again (same content, same blob).
  @discardableResult
  public func put(_ data: Data) throws -> BlobManifest {
    guard data.count >= 1, UInt64(data.count) <= ChainParameters.maxBlobSize else {
      throw BlobStoreError.tooLarge("a blob is 1 byte to 4 GiB, got \(data.count) bytes")
    }
    let manifest = BlobManifests.make(data)
    try lock.withLock { _ in
      if hasAllChunksUnlocked(manifest) { return }
      let key = try SymmetricKey.random()
      let staging = root + "/blobs/.staging-" + UUID().uuidString
      try DurableFile.makeDirectory(staging + "/chunks")
      var context = try AES256GCM.KeyedContext(key: key)
      var written = Set<Data>()
      for (index, hash) in manifest.chunkHashes.enumerated() where written.insert(hash).inserted {
        let start = index * ChainParameters.chunkSize
        let chunk = data.subdata(in: start..<min(start + ChainParameters.chunkSize, data.count))
        try writeFile(
          try context.seal(chunk, authenticating: Self.chunkLabel + hash).combined,
          to: staging + "/chunks/" + hash.hexString, sync: false)
      }
      try install(staging: staging, key: key, manifest: manifest)
    }
    return manifest
  }

  /// Moves a fully written staging directory (chunks written and synced) into place as the blob of
  /// `manifest`, with its wrapped key and manifest. If the blob exists already the staging is dropped.
  func install(staging: String, key: SymmetricKey, manifest: BlobManifest) throws {
    let blobID = manifest.merkleRoot
    try DurableFile.syncDirectory(staging + "/chunks")
    try DurableFile.write(try wrap(key, blobID: blobID), to: staging + "/key")
    try DurableFile.write(try manifest.serializedData(), to: staging + "/manifest")
    let target = blobDirectory(blobID)
    if FileManager.default.fileExists(atPath: target) {
      try DurableFile.remove(staging)
      return
    }
    guard rename(staging, target) == 0 else {
      throw BlobStoreError.io(path: target, detail: "cannot rename the staging directory into place")
    }
    try DurableFile.syncDirectory(root + "/blobs")
    try DurableFile.remove(root + "/erased/" + blobID.hexString)
  }

  /// Writes a file durably (`sync`: temporary file, fsync, rename, directory fsync), or, for chunk
  /// files inside a private directory that is synced and renamed into place as a whole, with an
  /// fsync of the file only.
  func writeFile(_ data: Data, to path: String, sync: Bool) throws {
    if sync { try DurableFile.write(data, to: path) } else { try DurableFile.writeSynced(data, to: path) }
  }

  // MARK: - Reading

  /// Whether every chunk of `manifest` is stored here (the rule for voting a manifest valid).
  public func hasAllChunks(_ manifest: BlobManifest) -> Bool {
    lock.withLock { _ in hasAllChunksUnlocked(manifest) }
  }

  /// Whether chunk `index` of the blob of `manifest` is stored here (with the blob's data key).
  public func hasChunk(_ manifest: BlobManifest, index: Int) -> Bool {
    guard manifest.chunkHashes.indices.contains(index) else { return false }
    return lock.withLock { _ in
      hasKeyUnlocked(manifest.merkleRoot)
        && FileManager.default.fileExists(
          atPath: chunkPath(manifest.merkleRoot, hash: manifest.chunkHashes[index]))
    }
  }

  /// Whether the blob's data key is stored here (every blob with a chunk here has one).
  func hasKeyUnlocked(_ blobID: Data) -> Bool {
    FileManager.default.fileExists(atPath: blobDirectory(blobID) + "/key")
  }

  func hasAllChunksUnlocked(_ manifest: BlobManifest) -> Bool {
    guard (try? BlobManifests.validate(manifest)) != nil, hasKeyUnlocked(manifest.merkleRoot) else {
      return false
    }
    return manifest.chunkHashes.allSatisfy {
      FileManager.default.fileExists(atPath: chunkPath(manifest.merkleRoot, hash: $0))
    }
  }

  /// Chunk `index` of the blob of `manifest`: decrypted, and checked against the manifest's chunk hash.
  public func readChunk(_ manifest: BlobManifest, index: Int) throws -> Data {
    let key = try dataKey(manifest.merkleRoot)
    var context = try AES256GCM.KeyedContext(key: key)
    return try readChunk(manifest, index: index, context: &context)
  }

  func readChunk(_ manifest: BlobManifest, index: Int, context: inout AES256GCM.KeyedContext) throws -> Data {
    guard manifest.chunkHashes.indices.contains(index) else {
      throw BlobStoreError.invalidManifest(
        "chunk \(index) is outside a blob of \(manifest.chunkHashes.count) chunks")
    }
    let blob = manifest.merkleRoot.hexString
    let hash = manifest.chunkHashes[index]
    guard let sealed = try DurableFile.read(chunkPath(manifest.merkleRoot, hash: hash)) else {
      throw BlobStoreError.missingChunk(blob: blob, index: index)
    }
    let plaintext: Data
    do {
      plaintext = try context.open(
        try AES256GCM.SealedBox(combined: sealed), authenticating: Self.chunkLabel + hash)
    } catch {
      throw BlobStoreError.corruptChunk(blob: blob, index: index, detail: "authentication failed (\(error))")
    }
    guard plaintext.count == BlobManifests.chunkLength(manifest, index: index),
      SHA256.hash(plaintext).data == hash
    else {
      throw BlobStoreError.corruptChunk(
        blob: blob, index: index, detail: "the plaintext does not match the manifest's hash")
    }
    return plaintext
  }

  /// The whole content of `manifest`'s blob, every chunk checked, and the content hash checked.
  public func read(_ manifest: BlobManifest) throws -> Data {
    try BlobManifests.validate(manifest)
    var context = try AES256GCM.KeyedContext(key: try dataKey(manifest.merkleRoot))
    var content = Data()
    content.reserveCapacity(Int(manifest.totalSize))
    for index in manifest.chunkHashes.indices {
      content.append(try readChunk(manifest, index: index, context: &context))
    }
    guard SHA256.hash(content).data == manifest.contentHash else {
      throw BlobStoreError.invalidManifest(
        "the content of blob \(manifest.merkleRoot.hexString) does not hash to content_hash")
    }
    return content
  }

  /// The manifest stored with blob `blobID`, if the blob is here.
  public func manifest(blobID: Data) throws -> BlobManifest? {
    try DurableFile.read(blobDirectory(blobID) + "/manifest").map { try BlobManifest(serializedBytes: $0) }
  }

  // MARK: - References and erasure

  /// The records referencing blob `blobID`.
  public func references(_ blobID: Data) throws -> [Data] {
    guard let data = try DurableFile.read(refsPath(blobID)) else { return [] }
    return stride(from: 0, to: data.count, by: 32).map { data.subdata(in: $0..<($0 + 32)) }
  }

  /// Adds `recordID`'s reference to `blobID` (idempotent).
  public func retain(blobID: Data, recordID: Data) throws {
    try lock.withLock { _ in
      var references = Set(try references(blobID))
      guard references.insert(recordID).inserted else { return }
      try writeReferences(references, blobID: blobID)
    }
  }

  /// Drops `recordID`'s reference; when none is left the blob is destroyed. Returns whether it was.
  @discardableResult
  public func release(blobID: Data, recordID: Data) throws -> Bool {
    try lock.withLock { _ in
      var references = Set(try references(blobID))
      references.remove(recordID)
      if references.isEmpty {
        try destroyUnlocked(blobID)
        try DurableFile.remove(refsPath(blobID))
        return true
      }
      try writeReferences(references, blobID: blobID)
      return false
    }
  }

  /// Destroys blob `blobID` whatever its references: the wrapped data key first (after which the
  /// chunks are unreadable ciphertext), then the chunks and the manifest; replicas of it are refused
  /// from then on.
  public func destroy(blobID: Data) throws {
    try lock.withLock { _ in try destroyUnlocked(blobID) }
  }

  func destroyUnlocked(_ blobID: Data) throws {
    let directory = blobDirectory(blobID)
    try DurableFile.write(Data(), to: root + "/erased/" + blobID.hexString)
    guard FileManager.default.fileExists(atPath: directory) else { return }
    try DurableFile.remove(directory + "/key")
    try DurableFile.syncDirectory(directory)
    try DurableFile.remove(directory)
    try DurableFile.syncDirectory(root + "/blobs")
  }

  /// Applies a block's blob events: a created record retains its blob, an erased one releases it.
  public func apply(_ events: [BlobEvent]) throws {
    for event in events {
      switch event {
      case .recordCreated(let recordID, let blobID): try retain(blobID: blobID, recordID: recordID)
      case .recordErased(let recordID, let blobID): try release(blobID: blobID, recordID: recordID)
      }
    }
  }

  private func writeReferences(_ references: Set<Data>, blobID: Data) throws {
    try DurableFile.write(
      references.sorted { $0.lexicographicallyPrecedes($1) }.reduce(into: Data()) { $0.append($1) },
      to: refsPath(blobID))
  }
}

/// A session's content hash, fed in order.
final class RunningHash: @unchecked Sendable {
  // @unchecked: only touched under BlobStore.hashes' lock.
  var hasher: SHA256Hasher? = SHA256Hasher()
  var bytes: UInt64 = 0
}

internal import COpenSSL
import Foundation

/// AES-256 in Galois/Counter Mode (NIST SP 800-38D) through OpenSSL: 32-byte keys, 12-byte nonces,
/// 16-byte tags, optional associated data.
///
/// A (key, nonce) pair must never encrypt twice. `seal` draws a random nonce unless given one; with
/// random 96-bit nonces one key should seal at most 2^32 messages (SP 800-38D §8.3). For records,
/// each record has its own data key, so this bound is far away.
public enum AES256GCM {
  public static let keyByteCount = 32
  public static let nonceByteCount = 12
  public static let tagByteCount = 16

  /// A sealed message: nonce, ciphertext (as long as the plaintext) and tag.
  public struct SealedBox: Sendable, Hashable {
    public var nonce: Data
    public var ciphertext: Data
    public var tag: Data

    public init(nonce: Data, ciphertext: Data, tag: Data) throws {
      guard nonce.count == AES256GCM.nonceByteCount else {
        throw CryptoError.invalidLength(
          what: "an AES-GCM nonce", expected: AES256GCM.nonceByteCount, actual: nonce.count)
      }
      guard tag.count == AES256GCM.tagByteCount else {
        throw CryptoError.invalidLength(
          what: "an AES-GCM tag", expected: AES256GCM.tagByteCount, actual: tag.count)
      }
      self.nonce = nonce
      self.ciphertext = ciphertext
      self.tag = tag
    }

    /// `nonce || ciphertext || tag`, the usual single-string form.
    public var combined: Data {
      var data = Data(capacity: nonce.count + ciphertext.count + tag.count)
      data.append(nonce)
      data.append(ciphertext)
      data.append(tag)
      return data
    }

    /// A box from `nonce || ciphertext || tag`.
    public init(combined: Data) throws {
      let overhead = AES256GCM.nonceByteCount + AES256GCM.tagByteCount
      guard combined.count >= overhead else {
        throw CryptoError.invalidLength(
          what: "a sealed AES-GCM message (at least)", expected: overhead, actual: combined.count)
      }
      let start = combined.startIndex
      try self.init(
        nonce: combined[start..<start + AES256GCM.nonceByteCount],
        ciphertext: combined[
          (start + AES256GCM.nonceByteCount)..<(combined.endIndex - AES256GCM.tagByteCount)],
        tag: combined[(combined.endIndex - AES256GCM.tagByteCount)...])
    }
  }

  /// Encrypts and authenticates `plaintext`, and authenticates `associatedData`.
  public static func seal(
    _ plaintext: Data, using key: SymmetricKey, nonce: Data? = nil,
    authenticating associatedData: Data = Data()
  ) throws -> SealedBox {
    let nonce = try nonce ?? SecureRandom.bytes(count: nonceByteCount)
    var encryptor = try Encryptor(key: key, nonce: nonce, authenticating: associatedData)
    let ciphertext = try encryptor.update(plaintext)
    let tag = try encryptor.finalize()
    return try SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
  }

  /// Checks and decrypts `box`. Throws `CryptoError.authenticationFailed` when anything was modified
  /// (and returns no plaintext at all in that case).
  public static func open(
    _ box: SealedBox, using key: SymmetricKey, authenticating associatedData: Data = Data()
  ) throws -> Data {
    var decryptor = try Decryptor(key: key, nonce: box.nonce, authenticating: associatedData)
    let plaintext = try decryptor.update(box.ciphertext)
    try decryptor.finalize(tag: box.tag)
    return plaintext
  }

  /// A key prepared once for many messages: the AES key schedule and the GHASH tables are computed
  /// when the context is made, and each `seal` or `open` only sets its nonce. For a record's data key
  /// sealing chunk after chunk this saves about a microsecond per message, which matters for small
  /// messages. Non-copyable: use one per thread or task.
  public struct KeyedContext: ~Copyable, @unchecked Sendable {
    // @unchecked: uniquely owned (non-copyable); only mutating members touch the contexts.
    private let sealer: CipherContext
    private let opener: CipherContext

    /// Prepares `key` for sealing and opening.
    public init(key: SymmetricKey) throws {
      let sealer = try CipherContext(encrypt: true, key: key)
      let opener = try CipherContext(encrypt: false, key: key)
      self.sealer = sealer
      self.opener = opener
    }

    /// Like `AES256GCM.seal`.
    public mutating func seal(
      _ plaintext: Data, nonce: Data? = nil, authenticating associatedData: Data = Data()
    ) throws -> SealedBox {
      let nonce = try nonce ?? SecureRandom.bytes(count: nonceByteCount)
      try sealer.start(nonce: nonce, associatedData: associatedData)
      let ciphertext = try sealer.update(plaintext)
      return try SealedBox(nonce: nonce, ciphertext: ciphertext, tag: sealer.finishEncryption())
    }

    /// Like `AES256GCM.open`.
    public mutating func open(_ box: SealedBox, authenticating associatedData: Data = Data()) throws -> Data {
      try opener.start(nonce: box.nonce, associatedData: associatedData)
      let plaintext = try opener.update(box.ciphertext)
      try opener.finishDecryption(tag: box.tag)
      return plaintext
    }
  }

  /// Streaming encryption: `update` any number of times (for example once per 1 MiB chunk), then
  /// `finalize` for the tag. Non-copyable: one cipher state has one owner.
  public struct Encryptor: ~Copyable, @unchecked Sendable {
    // @unchecked: uniquely owned (non-copyable); only mutating or consuming members touch it.
    private let context: CipherContext

    /// Starts encrypting under `key` and `nonce`, authenticating `associatedData`.
    public init(key: SymmetricKey, nonce: Data, authenticating associatedData: Data = Data()) throws {
      context = try CipherContext(encrypt: true, key: key, nonce: nonce, associatedData: associatedData)
    }

    /// Encrypts the next piece of plaintext; the ciphertext has the same length.
    public mutating func update(_ plaintext: Data) throws -> Data {
      try context.update(plaintext)
    }

    /// Ends the message and returns its 16-byte tag.
    public consuming func finalize() throws -> Data {
      try context.finishEncryption()
    }
  }

  /// Streaming decryption: `update` with each piece of ciphertext, then `finalize(tag:)`.
  ///
  /// The plaintext returned by `update` is **not authenticated until `finalize(tag:)` succeeds**:
  /// keep it apart (for example in a temporary file) and discard it if `finalize` throws.
  public struct Decryptor: ~Copyable, @unchecked Sendable {
    // @unchecked: uniquely owned (non-copyable); only mutating or consuming members touch it.
    private let context: CipherContext

    /// Starts decrypting under `key` and `nonce`, authenticating `associatedData`.
    public init(key: SymmetricKey, nonce: Data, authenticating associatedData: Data = Data()) throws {
      context = try CipherContext(encrypt: false, key: key, nonce: nonce, associatedData: associatedData)
    }

    /// Decrypts the next piece of ciphertext (unauthenticated until `finalize`).
    public mutating func update(_ ciphertext: Data) throws -> Data {
      try context.update(ciphertext)
    }

    /// Checks the tag. Throws `CryptoError.authenticationFailed` if the message was modified.
    public consuming func finalize(tag: Data) throws {
      try context.finishDecryption(tag: tag)
    }
  }
}

/// One EVP_CIPHER_CTX for AES-256-GCM. OpenSSL wipes the expanded key when the context is freed
/// (`EVP_CIPHER_CTX_free` cleanses the cipher data).
final class CipherContext {
  let pointer: OpaquePointer
  let encrypt: Bool

  convenience init(encrypt: Bool, key: SymmetricKey, nonce: Data, associatedData: Data) throws {
    try self.init(encrypt: encrypt, key: key)
    try start(nonce: nonce, associatedData: associatedData)
  }

  /// A context with the key schedule set up and no nonce yet.
  init(encrypt: Bool, key: SymmetricKey) throws {
    guard key.byteCount == AES256GCM.keyByteCount else {
      throw CryptoError.invalidLength(
        what: "an AES-256 key", expected: AES256GCM.keyByteCount, actual: key.byteCount)
    }
    OpenSSLErrors.clear()
    pointer = try checkNotNull("creating a cipher context", EVP_CIPHER_CTX_new())
    self.encrypt = encrypt
    // The default GCM IV length is 12 bytes, so no EVP_CTRL_GCM_SET_IVLEN is needed.
    let result = key.withUnsafeBytes { keyBytes in
      EVP_CipherInit_ex2(
        pointer, Algorithms.aes256GCM, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
        encrypt ? 1 : 0, nil)
    }
    try check("starting AES-256-GCM", result)
  }

  /// Starts a message: sets the nonce (keeping the key schedule) and authenticates the associated data.
  func start(nonce: Data, associatedData: Data) throws {
    guard nonce.count == AES256GCM.nonceByteCount else {
      throw CryptoError.invalidLength(
        what: "an AES-GCM nonce", expected: AES256GCM.nonceByteCount, actual: nonce.count)
    }
    OpenSSLErrors.clear()
    let result = nonce.withUnsafeBytes { nonceBytes in
      EVP_CipherInit_ex2(
        pointer, nil, nil, nonceBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), encrypt ? 1 : 0, nil)
    }
    try check("setting the AES-GCM nonce", result)
    if !associatedData.isEmpty {
      var outLength: Int32 = 0
      let aadResult = associatedData.withUnsafeBytes { aad in
        EVP_CipherUpdate(
          pointer, nil, &outLength, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count))
      }
      try check("authenticating AES-GCM associated data", aadResult)
    }
  }

  deinit {
    EVP_CIPHER_CTX_free(pointer)
  }

  /// Processes `input` into a buffer that is never zero-filled first (1 MiB chunks are the common
  /// case, and a needless memset of the output would cost several percent).
  func update(_ input: Data) throws -> Data {
    guard !input.isEmpty else { return Data() }
    OpenSSLErrors.clear()
    guard let output = malloc(input.count) else { fatalError("out of memory") }
    var written = 0
    var failed = false
    input.withUnsafeBytes { source in
      var offset = 0
      // EVP_CipherUpdate takes an Int32 length: feed inputs over 1 GiB in pieces.
      while offset < source.count {
        let piece = min(source.count - offset, 1 << 30)
        var outLength: Int32 = 0
        let result = EVP_CipherUpdate(
          pointer, (output + written).assumingMemoryBound(to: UInt8.self), &outLength,
          (source.baseAddress! + offset).assumingMemoryBound(to: UInt8.self), Int32(piece))
        if result != 1 {
          failed = true
          return
        }
        written += Int(outLength)
        offset += piece
      }
    }
    if failed {
      free(output)
      throw OpenSSLErrors.error(encrypt ? "encrypting with AES-256-GCM" : "decrypting with AES-256-GCM")
    }
    return Data(bytesNoCopy: output, count: written, deallocator: .free)
  }

  func finishEncryption() throws -> Data {
    OpenSSLErrors.clear()
    var outLength: Int32 = 0
    var scratch = [UInt8](repeating: 0, count: 16)
    try check("finishing AES-256-GCM encryption", EVP_EncryptFinal_ex(pointer, &scratch, &outLength))
    var tag = Data(count: AES256GCM.tagByteCount)
    let result = tag.withUnsafeMutableBytes { buffer in
      EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_GET_TAG, Int32(AES256GCM.tagByteCount), buffer.baseAddress)
    }
    try check("reading the AES-GCM tag", result)
    return tag
  }

  func finishDecryption(tag: Data) throws {
    guard tag.count == AES256GCM.tagByteCount else {
      throw CryptoError.invalidLength(
        what: "an AES-GCM tag", expected: AES256GCM.tagByteCount, actual: tag.count)
    }
    OpenSSLErrors.clear()
    var tagBytes = [UInt8](tag)
    try check(
      "setting the AES-GCM tag",
      EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_GCM_SET_TAG, Int32(AES256GCM.tagByteCount), &tagBytes))
    var outLength: Int32 = 0
    var scratch = [UInt8](repeating: 0, count: 16)
    guard EVP_DecryptFinal_ex(pointer, &scratch, &outLength) == 1 else {
      _ = OpenSSLErrors.drain()
      throw CryptoError.authenticationFailed
    }
  }
}

import Foundation
import Testing

@testable import ChainCrypto

@Suite("AES-256-GCM, HKDF, scrypt password hashes, X25519, randomness")
struct SymmetricTests {
  @Test("AES-GCM: streaming in 1 MiB chunks equals one-shot, and decrypts")
  func streaming() throws {
    let key = try SymmetricKey.random()
    let nonce = try SecureRandom.bytes(count: 12)
    let aad = Data("record 42, chunk 7".utf8)
    let chunk = 1 << 20
    let plaintext = try SecureRandom.bytes(count: 3 * chunk + 12345)
    let box = try AES256GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)

    var encryptor = try AES256GCM.Encryptor(key: key, nonce: nonce, authenticating: aad)
    var ciphertext = Data()
    var offset = 0
    while offset < plaintext.count {
      let end = min(offset + chunk, plaintext.count)
      ciphertext.append(try encryptor.update(plaintext[offset..<end]))
      offset = end
    }
    let tag = try encryptor.finalize()
    #expect(ciphertext == box.ciphertext)
    #expect(tag == box.tag)

    var decryptor = try AES256GCM.Decryptor(key: key, nonce: nonce, authenticating: aad)
    var decrypted = Data()
    for start in stride(from: 0, to: ciphertext.count, by: 777_777) {
      decrypted.append(try decryptor.update(ciphertext[start..<min(start + 777_777, ciphertext.count)]))
    }
    try decryptor.finalize(tag: tag)
    #expect(decrypted == plaintext)
  }

  @Test("AES-GCM: modified ciphertext, tag, nonce, associated data or key are rejected")
  func tampering() throws {
    let key = try SymmetricKey.random()
    let aad = Data("header".utf8)
    let box = try AES256GCM.seal(Data("patient record".utf8), using: key, authenticating: aad)
    #expect(box.nonce.count == 12 && box.tag.count == 16)
    #expect(try AES256GCM.open(box, using: key, authenticating: aad) == Data("patient record".utf8))
    #expect(
      try AES256GCM.open(AES256GCM.SealedBox(combined: box.combined), using: key, authenticating: aad).count
        == 14)

    func rejected(_ box: AES256GCM.SealedBox, key: SymmetricKey, aad: Data) -> Bool {
      do {
        _ = try AES256GCM.open(box, using: key, authenticating: aad)
        return false
      } catch CryptoError.authenticationFailed {
        return openSSLErrorQueueIsEmpty()
      } catch { return false }
    }
    var bad = box
    bad.ciphertext[3] ^= 1
    #expect(rejected(bad, key: key, aad: aad))
    bad = box
    bad.tag[15] ^= 0x80
    #expect(rejected(bad, key: key, aad: aad))
    bad = box
    bad.nonce[0] ^= 1
    #expect(rejected(bad, key: key, aad: aad))
    #expect(rejected(box, key: key, aad: Data("headeR".utf8)))
    #expect(rejected(box, key: key, aad: Data()))
    #expect(rejected(box, key: try SymmetricKey.random(), aad: aad))

    // Streaming: a wrong tag fails at finalize.
    var decryptor = try AES256GCM.Decryptor(key: key, nonce: box.nonce, authenticating: aad)
    _ = try decryptor.update(box.ciphertext)
    var wrongTag = box.tag
    wrongTag[0] ^= 1
    do {
      try decryptor.finalize(tag: wrongTag)
      Issue.record("a wrong tag was accepted")
    } catch {
      #expect(error as? CryptoError == .authenticationFailed)
    }

    #expect(throws: CryptoError.self) {
      try AES256GCM.seal(Data(), using: SymmetricKey(data: Data(count: 16)))
    }
    #expect(throws: CryptoError.self) { try AES256GCM.seal(Data(), using: key, nonce: Data(count: 8)) }
    #expect(throws: CryptoError.self) { try AES256GCM.SealedBox(combined: Data(count: 27)) }
  }

  @Test("AES-GCM: a keyed context seals and opens many messages like the one-shot functions")
  func keyedContext() throws {
    let key = SymmetricKey(data: KnownAnswerTests.gcmKey)
    var context = try AES256GCM.KeyedContext(key: key)
    // Test case 16 twice in a row, then other messages, alternating seal and open.
    for _ in 0..<2 {
      let box = try context.seal(
        KnownAnswerTests.gcmPlaintext.prefix(60), nonce: KnownAnswerTests.gcmNonce,
        authenticating: hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"))
      #expect(box.ciphertext == KnownAnswerTests.gcmCiphertext.prefix(60))
      #expect(box.tag.hex == "76fc6ece0f4e1768cddf8853bb2d551b")
      let opened = try context.open(box, authenticating: hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"))
      #expect(opened == KnownAnswerTests.gcmPlaintext.prefix(60))
    }
    for length in [0, 1, 15, 16, 17, 1000, 16384] {
      let plaintext = try SecureRandom.bytes(count: length)
      let aad = try SecureRandom.bytes(count: length % 7)
      let box = try context.seal(plaintext, authenticating: aad)
      #expect(try AES256GCM.open(box, using: key, authenticating: aad) == plaintext)
      let other = try AES256GCM.seal(plaintext, using: key, authenticating: aad)
      #expect(try context.open(other, authenticating: aad) == plaintext)
      var bad = other
      bad.tag[3] ^= 4
      #expect(throws: CryptoError.authenticationFailed) { try context.open(bad, authenticating: aad) }
      // The context still works after a failure.
      #expect(try context.open(other, authenticating: aad) == plaintext)
    }
  }

  @Test("HKDF: output lengths and limits")
  func hkdf() throws {
    let ikm = SymmetricKey(data: Data(repeating: 7, count: 32))
    let a = try HKDF.deriveKey(
      inputKeyMaterial: ikm, salt: Data("s".utf8), info: Data("a".utf8), outputByteCount: 32)
    let b = try HKDF.deriveKey(
      inputKeyMaterial: ikm, salt: Data("s".utf8), info: Data("b".utf8), outputByteCount: 32)
    #expect(a != b)
    #expect(a.byteCount == 32)
    #expect(try HKDF.deriveKey(inputKeyMaterial: ikm, outputByteCount: 8160).byteCount == 8160)
    #expect(throws: CryptoError.self) { try HKDF.deriveKey(inputKeyMaterial: ikm, outputByteCount: 8161) }
    #expect(throws: CryptoError.self) { try HKDF.deriveKey(inputKeyMaterial: ikm, outputByteCount: 0) }
    // Empty input key material is allowed by RFC 5869.
    #expect(try HKDF.deriveKey(inputKeyMaterial: Data(), outputByteCount: 16).byteCount == 16)
  }

  @Test("scrypt password hashes: format, verification, wrong passwords, bad strings")
  func passwords() throws {
    let encoded = try PasswordHash.hash(password: "correct horse", parameters: .testing)
    let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
    #expect(parts.count == 5 && parts[0].isEmpty && parts[1] == "scrypt" && parts[2] == "ln=4,r=1,p=1")
    #expect(Data(base64Encoded: String(parts[3]) + "==")?.count == 16)
    #expect(!parts[3].contains("=") && !parts[4].contains("="))
    #expect(try PasswordHash.verify(password: "correct horse", against: encoded))
    #expect(try !PasswordHash.verify(password: "correct horsE", against: encoded))
    #expect(try !PasswordHash.verify(password: "", against: encoded))
    // Two hashes of one password differ (fresh salt).
    #expect(try PasswordHash.hash(password: "correct horse", parameters: .testing) != encoded)
    #expect(PasswordHash.needsRehash(encoded))
    #expect(!PasswordHash.needsRehash(encoded, parameters: .testing))
    // Unicode passwords are their UTF-8 bytes.
    let unicode = try PasswordHash.hash(password: "pässwörd 🔑", parameters: .testing)
    #expect(try PasswordHash.verify(password: "pässwörd 🔑", against: unicode))

    for bad in [
      "", "$scrypt$", "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "$scrypt$ln=4,r=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "$scrypt$ln=4,r=1,p=1,x=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "$scrypt$ln=31,r=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "$scrypt$ln=4,r=1,p=1$c2Fsd!$aGFzaGhhc2hoYXNoaGFzaA",
      "$scrypt$ln=4,r=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA", "$scrypt$ln=4,r=1,p=1$c2FsdHNhbHQ$aGFzaA",
      // 2^22 * 128 * 8 = 4 GiB: over the memory limit, refused before any work.
      "$scrypt$ln=22,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ] {
      #expect(throws: CryptoError.self, "\(bad)") { try PasswordHash.verify(password: "x", against: bad) }
      #expect(openSSLErrorQueueIsEmpty())
    }
  }

  @Test("scrypt: N must be a power of two")
  func scryptParameters() throws {
    #expect(throws: CryptoError.self) {
      try Scrypt.deriveKey(password: Data(), salt: Data(), n: 1000, r: 1, p: 1, outputByteCount: 16)
    }
    #expect(throws: CryptoError.self) {
      try Scrypt.deriveKey(password: Data(), salt: Data(), n: 16, r: 0, p: 1, outputByteCount: 16)
    }
  }

  @Test("X25519: both sides agree; small-order points are refused")
  func x25519() throws {
    let a = try X25519.PrivateKey()
    let b = try X25519.PrivateKey()
    #expect(try a.sharedSecret(with: b.publicKey) == b.sharedSecret(with: a.publicKey))
    #expect(try X25519.PrivateKey(rawRepresentation: a.rawRepresentation).publicKey == a.publicKey)
    // u = 0 and u = 1 have small order: the shared secret would be all zeros.
    for u in [Data(count: 32), Data([1]) + Data(count: 31)] {
      #expect(throws: CryptoError.self) { try a.sharedSecret(with: X25519.PublicKey(rawRepresentation: u)) }
      #expect(openSSLErrorQueueIsEmpty())
    }
  }

  @Test("random bytes and keys")
  func randomness() throws {
    let a = try SecureRandom.bytes(count: 32)
    let b = try SecureRandom.bytes(count: 32)
    #expect(a.count == 32 && a != b)
    #expect(try SecureRandom.bytes(count: 0).isEmpty)
    #expect(try SymmetricKey.random() != SymmetricKey.random())
    let key = SymmetricKey(data: Data([1, 2, 3]))
    #expect(key == SymmetricKey(data: Data([1, 2, 3])))
    #expect(key != SymmetricKey(data: Data([1, 2, 4])))
    #expect(key != SymmetricKey(data: Data([1, 2])))
    #expect(constantTimeEquals(Data([9, 9]), Data([9, 9])))
    #expect(!constantTimeEquals(Data([9, 9]), Data([9, 8])))
  }

  @Test("SHA-256: streaming equals one-shot on random splits")
  func sha256Streaming() throws {
    let data = try SecureRandom.bytes(count: 100_000)
    for _ in 0..<20 {
      let cut = Int(try SecureRandom.uint64() % 100_000)
      var hasher = SHA256Hasher()
      hasher.update(data[..<cut])
      hasher.update(data[cut...])
      #expect(hasher.finalize() == SHA256.hash(data))
    }
    #expect(SHA256.hash([Data("ab".utf8), Data("c".utf8)]) == SHA256.hash(Data("abc".utf8)))
    #expect(throws: CryptoError.self) { try SHA256Digest(data: Data(count: 31)) }
  }
}

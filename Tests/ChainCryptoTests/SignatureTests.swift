import Foundation
import Testing

@testable import ChainCrypto

@Suite("Ed25519, signing domains and addresses")
struct SignatureTests {
  @Test("sign and verify; tampered signatures, messages and keys are rejected")
  func tampering() throws {
    let key = try Ed25519.PrivateKey()
    let message = try SecureRandom.bytes(count: 100)
    let signature = try key.signature(for: message)
    #expect(key.publicKey.isValidSignature(signature, for: message))
    for index in [0, 31, 32, 63] {
      var bad = signature
      bad[index] ^= 0x01
      #expect(!key.publicKey.isValidSignature(bad, for: message), "flipped bit in byte \(index)")
    }
    var badMessage = message
    badMessage[50] ^= 0x80
    #expect(!key.publicKey.isValidSignature(signature, for: badMessage))
    #expect(!key.publicKey.isValidSignature(signature, for: message + Data([0])))
    #expect(!key.publicKey.isValidSignature(signature.prefix(63), for: message))
    #expect(!key.publicKey.isValidSignature(signature + Data([0]), for: message))
    #expect(!key.publicKey.isValidSignature(Data(), for: message))
    let other = try Ed25519.PrivateKey()
    #expect(!other.publicKey.isValidSignature(signature, for: message))
  }

  @Test("a signature with S + L (non-canonical) is rejected")
  func nonCanonicalS() throws {
    // RFC 8032 TEST 1, with L = 2^252 + 27742317777372353535851937790883648493 added to S.
    let vector = KnownAnswerTests.rfc8032[0]
    let signature = hex(vector.signature)
    let publicKey = try Ed25519.PublicKey(rawRepresentation: hex(vector.publicKey))
    var s = [UInt8](signature[32...])
    let l: [UInt8] = [
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ]
    var carry = 0
    for i in 0..<32 {
      let sum = Int(s[i]) + Int(l[i]) + carry
      s[i] = UInt8(sum & 0xff)
      carry = sum >> 8
    }
    let malleated = signature.prefix(32) + Data(s)
    #expect(publicKey.isValidSignature(signature, for: Data()))
    #expect(!publicKey.isValidSignature(malleated, for: Data()))
  }

  @Test("raw and PEM round trips")
  func encodings() throws {
    let key = try Ed25519.PrivateKey()
    let raw = try Ed25519.PrivateKey(rawRepresentation: key.rawRepresentation)
    #expect(raw.publicKey == key.publicKey)
    let pem = try key.pemRepresentation
    #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    #expect(try Ed25519.PrivateKey(pemRepresentation: pem).publicKey == key.publicKey)
    let publicPEM = try key.publicKey.pemRepresentation
    #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
    #expect(try Ed25519.PublicKey(pemRepresentation: publicPEM) == key.publicKey)
    #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(rawRepresentation: Data(count: 31)) }
    #expect(throws: CryptoError.self) { try Ed25519.PublicKey(rawRepresentation: Data(count: 33)) }
    #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: publicPEM) }
    #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: "not a key") }
    // A P-256 key is not an Ed25519 key.
    let p256 = try CertificateKey(generating: .p256)
    #expect(p256.ed25519 == nil)
    #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(pemRepresentation: p256.pemRepresentation) }
  }

  @Test("signing domains: signatures do not cross domains")
  func domains() throws {
    let key = try Ed25519.PrivateKey()
    let body = Data("chain-id:test body".utf8)
    let signature = try key.sign(domain: .transaction, message: body)
    #expect(key.publicKey.isValidSignature(signature, domain: .transaction, message: body))
    for domain in SigningDomain.all where domain != .transaction {
      #expect(!key.publicKey.isValidSignature(signature, domain: domain, message: body), "\(domain)")
    }
    // Without the domain, the signature is not valid for the bare body.
    #expect(!key.publicKey.isValidSignature(signature, for: body))
    // It is exactly a signature over "sehc/v1/tx" || body.
    #expect(key.publicKey.isValidSignature(signature, for: Data("sehc/v1/tx".utf8) + body))
  }

  @Test("signing domains: the built-in strings")
  func domainStrings() throws {
    #expect(
      SigningDomain.all.map(\.rawValue) == [
        "sehc/v1/tx", "sehc/v1/tblock", "sehc/v1/vote", "sehc/v1/viewchange", "sehc/v1/rblock",
        "sehc/v1/rviewchange",
      ])
    #expect(Set(SigningDomain.all).count == SigningDomain.all.count)
    // The built-in set is prefix-free (see SigningDomain's documentation); a prefix is detected.
    #expect(SigningDomain.prefixPairs().isEmpty)
    let extended = SigningDomain.all + [try SigningDomain("sehc/v1/tx-extra")]
    #expect(
      SigningDomain.prefixPairs(in: extended).map { "\($0.0)<\($0.1)" } == ["sehc/v1/tx<sehc/v1/tx-extra"])
    let custom = try SigningDomain("sehc/v1/custom")
    #expect(custom.signedBytes(Data([1, 2])) == Data("sehc/v1/custom".utf8) + Data([1, 2]))
    #expect(throws: CryptoError.self) { try SigningDomain("") }
    #expect(throws: CryptoError.self) { try SigningDomain("has space") }
    #expect(throws: CryptoError.self) { try SigningDomain("sehc/v1/é") }
  }

  @Test("batch verification: verdicts match single verification, in order, with any thread count")
  func batch() throws {
    let keys = try (0..<5).map { _ in try Ed25519.PrivateKey() }
    var items: [Ed25519.BatchItem] = []
    var expected: [Bool] = []
    for index in 0..<203 {
      let key = keys[index % keys.count]
      let message = Data("message \(index)".utf8)
      let domain: SigningDomain? = index % 3 == 0 ? .vote : nil
      var signature =
        try domain.map { try key.sign(domain: $0, message: message) } ?? key.signature(for: message)
      let valid = index % 7 != 3
      if !valid { signature[5] ^= 0x40 }
      items.append(.init(publicKey: key.publicKey, message: message, signature: signature, domain: domain))
      expected.append(valid)
    }
    for concurrency in [1, 2, 3, 16, nil] {
      #expect(Ed25519.batchVerify(items, concurrency: concurrency) == expected)
    }
    #expect(!Ed25519.batchVerifyAll(items))
    let good = items.enumerated().filter { expected[$0.offset] }.map(\.element)
    #expect(Ed25519.batchVerifyAll(good))
    #expect(Ed25519.batchVerify([]).isEmpty)
  }

  @Test("addresses: derivation, hex, order, errors")
  func addresses() throws {
    let vector = KnownAnswerTests.rfc8032[0]
    let publicKey = try Ed25519.PublicKey(rawRepresentation: hex(vector.publicKey))
    let expected = SHA256.hash(hex(vector.publicKey)).hex.prefix(40)
    #expect(publicKey.address.hex == expected)
    #expect(publicKey.address.hex.count == 40)
    #expect(try Address(hex: String(expected)) == publicKey.address)
    #expect(try Address(hex: String(expected).uppercased()) == publicKey.address)
    #expect(try Address(hex: String(expected)).description == String(expected))

    let low = try Address(hex: "00" + String(repeating: "ff", count: 19))
    let high = try Address(hex: "01" + String(repeating: "00", count: 19))
    #expect(low < high)
    #expect([high, low].sorted() == [low, high])

    func message(_ text: String) -> String {
      do {
        _ = try Address(hex: text)
        return "parsed"
      } catch { return "\(error)" }
    }
    #expect(message(String(repeating: "a", count: 39)).contains("expected 40 hex digits, got 39"))
    #expect(message("0x" + String(repeating: "a", count: 40)).contains("remove the 0x prefix"))
    #expect(message("abcg" + String(repeating: "a", count: 36)).contains("character \"g\" at position 4"))
    #expect(throws: CryptoError.self) { try Address(rawRepresentation: Data(count: 19)) }

    let json = try JSONEncoder().encode([publicKey.address])
    #expect(String(decoding: json, as: UTF8.self) == "[\"\(expected)\"]")
    #expect(try JSONDecoder().decode([Address].self, from: json) == [publicKey.address])
  }
}

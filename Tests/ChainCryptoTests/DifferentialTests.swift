import Foundation
import Testing

@testable import ChainCrypto

/// Differential tests against Python's `cryptography` and `hashlib` (Interop/oracle/crypto_oracle.py,
/// run with the project's virtual environment): on random inputs, both sides must agree, in both
/// directions (made here and checked there, made there and checked here).
@Suite("Differential tests against Python cryptography")
struct DifferentialTests {
  /// The oracle's interpreter: $SEHC_PYTHON, else the project's .venv.
  static let python: String =
    ProcessInfo.processInfo.environment["SEHC_PYTHON"]
    ?? repositoryRoot.appendingPathComponent(".venv/bin/python").path

  /// Runs the oracle on `cases` and returns its results, one per case.
  static func oracle(_ cases: [[String: Any]]) throws -> [[String: Any]] {
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw OracleError(
        "no Python at \(python): run Tools/scripts/setup.sh venv (or make test), or set SEHC_PYTHON")
    }
    let script = repositoryRoot.appendingPathComponent("Interop/oracle/crypto_oracle.py").path
    let input = try JSONSerialization.data(withJSONObject: ["cases": cases])
    let result = try run(python, [script], input: input)
    guard result.status == 0 else { throw OracleError("the oracle failed: \(result.stderr)") }
    let output = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
    let results = output["results"] as! [[String: Any]]
    guard results.count == cases.count else {
      throw OracleError("the oracle answered \(results.count) of \(cases.count)")
    }
    return results
  }

  struct OracleError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  static func randomLength(_ limit: UInt64) throws -> Int { Int(try SecureRandom.uint64() % limit) }
  static func randomBytes(upTo limit: UInt64) throws -> Data {
    try SecureRandom.bytes(count: randomLength(limit + 1))
  }

  @Test("Ed25519: signatures made here verify there, and the reverse; tampered ones fail on both sides")
  func ed25519() throws {
    var cases: [[String: Any]] = []
    var local: [(key: Ed25519.PrivateKey, message: Data, signature: Data)] = []
    for index in 0..<40 {
      let key = try Ed25519.PrivateKey()
      let message = try Self.randomBytes(upTo: 2000)
      var signature = try key.signature(for: message)
      if index % 4 == 3 { signature[Int(try SecureRandom.uint64() % 64)] ^= 0x10 }
      local.append((key, message, signature))
      cases.append([
        "op": "ed25519_verify", "public": key.publicKey.rawRepresentation.hex, "message": message.hex,
        "signature": signature.hex,
      ])
      cases.append(["op": "ed25519_sign", "seed": try key.rawRepresentation.hex, "message": message.hex])
    }
    let results = try Self.oracle(cases)
    for (index, item) in local.enumerated() {
      let verdict = results[2 * index]["valid"] as! Bool
      #expect(
        verdict == item.key.publicKey.isValidSignature(item.signature, for: item.message), "case \(index)")
      #expect(verdict == (index % 4 != 3), "case \(index)")
      let signed = results[2 * index + 1]
      #expect(signed["public"] as! String == item.key.publicKey.rawRepresentation.hex)
      let theirs = hex(signed["signature"] as! String)
      #expect(item.key.publicKey.isValidSignature(theirs, for: item.message))
      // Ed25519 is deterministic: both sides make the same signature.
      #expect(theirs == (try item.key.signature(for: item.message)))
    }
  }

  @Test("Ed25519: PKCS#8 PEM keys load on both sides")
  func pem() throws {
    let key = try Ed25519.PrivateKey()
    let result = try Self.oracle([["op": "ed25519_pem", "pem": try key.pemRepresentation]])[0]
    #expect(result["public"] as! String == key.publicKey.rawRepresentation.hex)
    let theirs = try Ed25519.PrivateKey(pemRepresentation: result["pem"] as! String)
    #expect(theirs.publicKey.rawRepresentation.hex == result["pem_public"] as! String)
  }

  @Test("AES-256-GCM: ciphertexts decrypt both ways and match; tampered ones fail on both sides")
  func aesGCM() throws {
    var cases: [[String: Any]] = []
    var local: [(key: SymmetricKey, nonce: Data, plaintext: Data, aad: Data, box: AES256GCM.SealedBox)] = []
    for index in 0..<40 {
      let key = try SymmetricKey.random()
      let plaintext = index == 0 ? try SecureRandom.bytes(count: 1 << 20) : try Self.randomBytes(upTo: 5000)
      let aad = try Self.randomBytes(upTo: 64)
      var box = try AES256GCM.seal(plaintext, using: key, authenticating: aad)
      if index % 5 == 4 { box.tag[0] ^= 1 }
      local.append((key, box.nonce, plaintext, aad, box))
      let common: [String: Any] = ["key": key.dataRepresentation.hex, "nonce": box.nonce.hex, "aad": aad.hex]
      cases.append(
        common.merging(["op": "aes_gcm_open", "sealed": (box.ciphertext + box.tag).hex]) { a, _ in a })
      cases.append(common.merging(["op": "aes_gcm_seal", "plaintext": plaintext.hex]) { a, _ in a })
    }
    let results = try Self.oracle(cases)
    for (index, item) in local.enumerated() {
      let opened = results[2 * index]["plaintext"] as? String
      if index % 5 == 4 {
        #expect(opened == nil, "case \(index): Python accepted a modified tag")
      } else {
        #expect(opened.map(hex) == item.plaintext, "case \(index)")
      }
      let sealed = hex(results[2 * index + 1]["sealed"] as! String)
      let theirs = try AES256GCM.SealedBox(
        nonce: item.nonce, ciphertext: sealed.prefix(sealed.count - 16), tag: sealed.suffix(16))
      #expect(try AES256GCM.open(theirs, using: item.key, authenticating: item.aad) == item.plaintext)
      if index % 5 != 4 { #expect(theirs == item.box) }
    }
  }

  @Test("HKDF-SHA256 and scrypt agree")
  func kdfs() throws {
    var cases: [[String: Any]] = []
    var hkdf: [Data] = []
    var scrypt: [Data] = []
    for _ in 0..<30 {
      let ikm = try Self.randomBytes(upTo: 100)
      let salt = try Self.randomBytes(upTo: 64)
      let info = try Self.randomBytes(upTo: 64)
      let length = 1 + (try Self.randomLength(200))
      hkdf.append(
        try HKDF.deriveKey(inputKeyMaterial: ikm, salt: salt, info: info, outputByteCount: length)
          .dataRepresentation)
      cases.append([
        "op": "hkdf_sha256", "ikm": ikm.hex, "salt": salt.hex, "info": info.hex, "length": length,
      ])
    }
    for _ in 0..<8 {
      let password = try Self.randomBytes(upTo: 40)
      let salt = try Self.randomBytes(upTo: 32)
      let n = UInt64(1) << (1 + (try SecureRandom.uint64() % 10))
      let r = UInt32(1 + (try SecureRandom.uint64() % 8))
      let p = UInt32(1 + (try SecureRandom.uint64() % 3))
      let length = 1 + (try Self.randomLength(64))
      scrypt.append(
        try Scrypt.deriveKey(password: password, salt: salt, n: n, r: r, p: p, outputByteCount: length))
      cases.append([
        "op": "scrypt", "password": password.hex, "salt": salt.hex, "n": n, "r": r, "p": p, "length": length,
      ])
    }
    let results = try Self.oracle(cases)
    for (index, expected) in hkdf.enumerated() {
      #expect(results[index]["okm"] as! String == expected.hex, "HKDF case \(index)")
    }
    for (index, expected) in scrypt.enumerated() {
      #expect(results[hkdf.count + index]["key"] as! String == expected.hex, "scrypt case \(index)")
    }
  }

  @Test("scrypt password strings verify on both sides")
  func passwordStrings() throws {
    let password = "s3cret pässword"
    let encoded = try PasswordHash.hash(
      password: password, parameters: PasswordHash.Parameters(logN: 10, r: 8, p: 1))
    let results = try Self.oracle([
      ["op": "scrypt_string", "password": password, "encoded": encoded],
      ["op": "scrypt_string", "password": password + "!", "encoded": encoded],
    ])
    #expect(results[0]["valid"] as! Bool)
    #expect(!(results[1]["valid"] as! Bool))
    let theirs = results[0]["made"] as! String
    #expect(theirs.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
    #expect(try PasswordHash.verify(password: password, against: theirs))
    #expect(try !PasswordHash.verify(password: password + "!", against: theirs))
  }

  @Test("X25519 shared secrets and public keys agree")
  func x25519() throws {
    var cases: [[String: Any]] = []
    var local: [(X25519.PrivateKey, X25519.PrivateKey)] = []
    for _ in 0..<30 {
      let a = try X25519.PrivateKey()
      let b = try X25519.PrivateKey()
      local.append((a, b))
      cases.append([
        "op": "x25519", "private": try a.rawRepresentation.hex, "peer": b.publicKey.rawRepresentation.hex,
      ])
    }
    // A small-order peer point: both sides refuse it.
    cases.append([
      "op": "x25519", "private": try local[0].0.rawRepresentation.hex, "peer": Data(count: 32).hex,
    ])
    let results = try Self.oracle(cases)
    for (index, (a, b)) in local.enumerated() {
      #expect(results[index]["public"] as! String == a.publicKey.rawRepresentation.hex)
      #expect(
        results[index]["shared"] as? String == (try a.sharedSecret(with: b.publicKey)).dataRepresentation.hex)
      #expect(
        results[index]["shared"] as? String == (try b.sharedSecret(with: a.publicKey)).dataRepresentation.hex)
    }
    #expect(results.last!["shared"] is NSNull)
    #expect(throws: CryptoError.self) {
      try local[0].0.sharedSecret(with: X25519.PublicKey(rawRepresentation: Data(count: 32)))
    }
  }

  @Test("SHA-256 and RFC 6962 Merkle roots and paths agree")
  func hashes() throws {
    var cases: [[String: Any]] = []
    var data: [Data] = []
    for _ in 0..<20 {
      data.append(try Self.randomBytes(upTo: 5000))
      cases.append(["op": "sha256", "data": data.last!.hex])
    }
    var trees: [[Data]] = []
    for size in [0, 1, 2, 3, 5, 8, 13, 31, 64, 100] {
      trees.append(try (0..<size).map { _ in try Self.randomBytes(upTo: 50) })
      cases.append(["op": "merkle", "leaves": trees.last!.map(\.hex)])
    }
    let results = try Self.oracle(cases)
    for (index, item) in data.enumerated() {
      #expect(results[index]["digest"] as! String == SHA256.hash(item).hex)
    }
    for (index, leaves) in trees.enumerated() {
      let result = results[data.count + index]
      let tree = MerkleTree(leaves: leaves)
      #expect(result["root"] as! String == tree.root.hex, "tree of \(leaves.count)")
      let paths = result["paths"] as! [[String]]
      for leaf in leaves.indices {
        #expect(paths[leaf] == (try tree.inclusionProof(forLeafAt: leaf)).auditPath.map(\.hex))
      }
    }
  }
}

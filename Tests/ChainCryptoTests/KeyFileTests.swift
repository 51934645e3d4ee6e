import Foundation
import Testing

@testable import ChainCrypto

@Suite("Key files and the OpenSSL error queue")
struct KeyFileTests {
  @Test("keys are written with mode 0600 and read back")
  func writeAndRead() throws {
    let directory = try temporaryDirectory()
    let path = directory + "/node.key"
    let key = try Ed25519.PrivateKey()
    try key.write(toFile: path)
    #expect(try mode(of: path) == 0o600)
    #expect(try Ed25519.PrivateKey(contentsOfFile: path).publicKey == key.publicKey)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))

    let p256 = try CertificateKey(generating: .p256)
    try p256.write(toFile: directory + "/client.key")
    #expect(try mode(of: directory + "/client.key") == 0o600)
    #expect(try CertificateKey(contentsOfFile: directory + "/client.key").publicKey == p256.publicKey)
  }

  @Test("the mode is 0600 whatever the umask allows")
  func umask() throws {
    let directory = try temporaryDirectory()
    let old = Foundation.umask(0)
    defer { _ = Foundation.umask(old) }
    try Ed25519.PrivateKey().write(toFile: directory + "/k.pem")
    #expect(try mode(of: directory + "/k.pem") == 0o600)
  }

  @Test("existing files are not overwritten unless asked; overwriting keeps 0600")
  func overwrite() throws {
    let directory = try temporaryDirectory()
    let path = directory + "/node.key"
    let first = try Ed25519.PrivateKey()
    try first.write(toFile: path)
    let second = try Ed25519.PrivateKey()
    do {
      try second.write(toFile: path)
      Issue.record("overwrote an existing key")
    } catch {
      #expect(error as? CryptoError == .fileExists(path: path))
      #expect("\(error)".contains("--force"))
    }
    #expect(try Ed25519.PrivateKey(contentsOfFile: path).publicKey == first.publicKey)
    try second.write(toFile: path, overwrite: true)
    #expect(try mode(of: path) == 0o600)
    #expect(try Ed25519.PrivateKey(contentsOfFile: path).publicKey == second.publicKey)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
    #expect(leftovers == ["node.key"])
  }

  @Test(
    "a key file readable by group or others is refused, with the fix in the message",
    arguments: [
      0o644, 0o640, 0o604, 0o660, 0o606, 0o610, 0o601,
    ])
  func insecureModes(fileMode: Int) throws {
    let directory = try temporaryDirectory()
    let path = directory + "/node.key"
    try Ed25519.PrivateKey().write(toFile: path)
    try FileManager.default.setAttributes([.posixPermissions: fileMode], ofItemAtPath: path)
    do {
      _ = try Ed25519.PrivateKey(contentsOfFile: path)
      Issue.record("loaded a key file with mode \(String(fileMode, radix: 8))")
    } catch {
      #expect(error as? CryptoError == .insecureKeyFile(path: path, mode: UInt32(0o100000 | fileMode)))
      #expect("\(error)".contains("chmod 600 \(path)"))
      #expect("\(error)".contains(String(fileMode, radix: 8)))
    }
    #expect(throws: CryptoError.self) { try CertificateKey(contentsOfFile: path) }
    // 0400 (read-only for the owner) is fine.
    try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
    _ = try Ed25519.PrivateKey(contentsOfFile: path)
  }

  @Test("missing files, directories, non-keys and encrypted keys give clear errors")
  func badFiles() throws {
    let directory = try temporaryDirectory()
    #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(contentsOfFile: directory + "/missing.key") }
    #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(contentsOfFile: directory) }
    let garbage = directory + "/garbage.key"
    FileManager.default.createFile(
      atPath: garbage, contents: Data("hello".utf8), attributes: [.posixPermissions: 0o600])
    do {
      _ = try Ed25519.PrivateKey(contentsOfFile: garbage)
      Issue.record("parsed garbage")
    } catch CryptoError.invalidEncoding(let what, _) {
      #expect(what.contains(garbage))
    }
    #expect(openSSLErrorQueueIsEmpty())
    // An encrypted PKCS#8 key is refused without prompting for a passphrase.
    let encrypted = directory + "/encrypted.key"
    let plain = directory + "/plain.key"
    try Ed25519.PrivateKey().write(toFile: plain)
    let result = try run(
      "/usr/bin/openssl", ["pkcs8", "-topk8", "-in", plain, "-out", encrypted, "-passout", "pass:secret"])
    #expect(result.status == 0)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: encrypted)
    #expect(throws: CryptoError.self) { try Ed25519.PrivateKey(contentsOfFile: encrypted) }
    #expect(openSSLErrorQueueIsEmpty())
  }

  @Test("the OpenSSL error queue is empty after every kind of failure")
  func errorQueue() throws {
    // Each failure below goes through OpenSSL and would leave entries if they were not drained.
    #expect(throws: CryptoError.self) {
      try Ed25519.PrivateKey(
        pemRepresentation: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    }
    #expect(openSSLErrorQueueIsEmpty())
    #expect(throws: CryptoError.self) { try Ed25519.PublicKey(pemRepresentation: "garbage") }
    #expect(openSSLErrorQueueIsEmpty())
    #expect(throws: CryptoError.self) { try Certificate(pemRepresentation: "garbage") }
    #expect(openSSLErrorQueueIsEmpty())
    #expect(throws: CryptoError.self) { try Certificate(derRepresentation: Data([0x30, 0x03, 0x02, 0x01])) }
    #expect(openSSLErrorQueueIsEmpty())
    #expect(throws: CryptoError.self) { try SubjectPublicKey(derRepresentation: Data([1, 2, 3])) }
    #expect(openSSLErrorQueueIsEmpty())
    let key = try Ed25519.PrivateKey()
    #expect(!key.publicKey.isValidSignature(Data(count: 64), for: Data("x".utf8)))
    #expect(openSSLErrorQueueIsEmpty())
    #expect(throws: CryptoError.self) {
      try AES256GCM.open(
        AES256GCM.SealedBox(nonce: Data(count: 12), ciphertext: Data(count: 5), tag: Data(count: 16)),
        using: SymmetricKey(data: Data(count: 32)))
    }
    #expect(openSSLErrorQueueIsEmpty())
    #expect(throws: CryptoError.self) {
      try X25519.PrivateKey().sharedSecret(with: X25519.PublicKey(rawRepresentation: Data(count: 32)))
    }
    #expect(openSSLErrorQueueIsEmpty())
    // An OpenSSL failure carries OpenSSL's reason string.
    do {
      _ = try X25519.PrivateKey().sharedSecret(with: X25519.PublicKey(rawRepresentation: Data(count: 32)))
    } catch CryptoError.openSSL(let operation, let reason) {
      #expect(operation.contains("X25519"))
      #expect(reason.contains("error:"), "reason: \(reason)")
    }
    #expect(openSSLErrorQueueIsEmpty())
    let ca = try CertificateAuthority.create(name: "CA")
    let other = try CertificateAuthority.create(name: "Other CA")
    let leaf = try other.issueClientCertificate(
      name: "c", publicKey: CertificateKey(generating: .p256).publicKey)
    #expect(throws: CertificateError.self) { try leaf.verify(issuedBy: ca.certificate) }
    #expect(openSSLErrorQueueIsEmpty())
  }
}

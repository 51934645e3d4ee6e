import Foundation
import Testing

@testable import ChainCrypto

@Suite("X.509: consortium CA, node and client certificates")
struct CertificateTests {
  static let ca = try! CertificateAuthority.create(
    name: "SeHealthChain Test CA", organization: "Test Consortium")

  func reason(_ body: () throws -> Void) -> CertificateError.Reason? {
    do {
      try body()
      return nil
    } catch let error as CertificateError {
      return error.reason
    } catch {
      Issue.record("unexpected error \(error)")
      return nil
    }
  }

  @Test("the CA certificate's profile")
  func caProfile() throws {
    let certificate = Self.ca.certificate
    #expect(certificate.isCA)
    #expect(certificate.profile == .certificateAuthority)
    #expect(certificate.subject == "O=Test Consortium, CN=SeHealthChain Test CA")
    #expect(certificate.issuer == certificate.subject)
    #expect(certificate.keyDescription == "Ed25519")
    #expect(certificate.notAfter.timeIntervalSinceNow > 3649 * 86400)
    #expect(certificate.notBefore < Date())
    #expect(certificate.serialNumber.count == 32)
    try certificate.verify(issuedBy: certificate)
  }

  @Test("node certificates: validator id, names, purposes, encodings")
  func node() throws {
    let nodeKey = try Ed25519.PrivateKey()
    let certificate = try Self.ca.issueNodeCertificate(
      name: "node-1", publicKey: SubjectPublicKey(nodeKey.publicKey),
      hosts: ["node-1.example.org", "LOCALHOST", "127.0.0.1", "::1", "fe80::0:1", "*.shard-0.example.org"])
    #expect(certificate.commonName == "node-1")
    #expect(certificate.subjectUID == nodeKey.address.hex)
    #expect(certificate.subject == "CN=node-1, UID=\(nodeKey.address.hex)")
    #expect(certificate.issuer == Self.ca.certificate.subject)
    #expect(try certificate.validatorID() == nodeKey.address)
    #expect(certificate.dnsNames == ["node-1.example.org", "localhost", "*.shard-0.example.org"])
    #expect(certificate.ipAddresses == ["127.0.0.1", "::1", "fe80::1"])
    #expect(certificate.profile == .node)
    #expect(!certificate.isCA)
    #expect(certificate.keyDescription == "Ed25519")
    #expect(try certificate.publicKey.ed25519 == nodeKey.publicKey)
    try certificate.verify(issuedBy: Self.ca.certificate)
    try certificate.verify(issuedBy: Self.ca.certificate, purpose: .tlsServer)
    try certificate.verify(issuedBy: Self.ca.certificate, purpose: .tlsClient)

    let fromPEM = try Certificate(pemRepresentation: certificate.pemRepresentation)
    #expect(fromPEM == certificate)
    let fromDER = try Certificate(derRepresentation: certificate.derRepresentation)
    #expect(fromDER == certificate)
    #expect(fromDER.fingerprint == SHA256.hash(certificate.derRepresentation))
    #expect(throws: CryptoError.self) {
      try Certificate(derRepresentation: certificate.derRepresentation + Data([0]))
    }
    let bundle = try Certificate.all(
      pemRepresentation: certificate.pemRepresentation + Self.ca.certificate.pemRepresentation)
    #expect(bundle == [certificate, Self.ca.certificate])
  }

  @Test("client certificates: Ed25519 and P-256, clientAuth only")
  func client() throws {
    for algorithm in KeyAlgorithm.allCases {
      let key = try CertificateKey(generating: algorithm)
      let certificate = try Self.ca.issueClientCertificate(name: "alice", publicKey: key.publicKey)
      #expect(certificate.profile == .client)
      #expect(certificate.dnsNames.isEmpty)
      #expect(certificate.keyDescription == algorithm.displayName)
      try certificate.verify(issuedBy: Self.ca.certificate, purpose: .tlsClient)
      #expect(
        reason { try certificate.verify(issuedBy: Self.ca.certificate, purpose: .tlsServer) } == .wrongPurpose
      )
      switch algorithm {
      case .ed25519:
        #expect(try certificate.validatorID() == key.ed25519!.address)
      case .p256:
        #expect(certificate.subjectUID == nil)
        #expect(reason { _ = try certificate.validatorID() } == .missingValidatorID)
      }
    }
  }

  @Test("a P-256 node certificate has no validator id")
  func p256Node() throws {
    let key = try CertificateKey(generating: .p256)
    let certificate = try Self.ca.issueNodeCertificate(
      name: "gateway", publicKey: key.publicKey, hosts: ["localhost"])
    #expect(certificate.profile == .node)
    #expect(certificate.subjectUID == nil)
    try certificate.verify(issuedBy: Self.ca.certificate, purpose: .tlsServer)
  }

  @Test("a certificate from another CA is refused, also when that CA has the same name")
  func otherCA() throws {
    let key = try Ed25519.PrivateKey()
    for other in [
      try CertificateAuthority.create(name: "Rogue CA"),
      try CertificateAuthority.create(name: "SeHealthChain Test CA", organization: "Test Consortium"),
    ] {
      let certificate = try other.issueNodeCertificate(
        name: "node-1", publicKey: SubjectPublicKey(key.publicKey))
      #expect(reason { try certificate.verify(issuedBy: Self.ca.certificate) } == .unknownIssuer)
      #expect(reason { try other.certificate.verify(issuedBy: Self.ca.certificate) } == .unknownIssuer)
    }
  }

  @Test("expired and not-yet-valid certificates are refused, with their dates in the message")
  func validity() throws {
    let key = SubjectPublicKey(try Ed25519.PrivateKey().publicKey)
    let certificate = try Self.ca.issueNodeCertificate(name: "node-1", publicKey: key, days: 30)
    #expect(
      reason {
        try certificate.verify(issuedBy: Self.ca.certificate, at: Date().addingTimeInterval(31 * 86400))
      } == .expired)
    #expect(
      reason { try certificate.verify(issuedBy: Self.ca.certificate, at: Date().addingTimeInterval(-3600)) }
        == .notYetValid)
    let old = try Self.ca.issueNodeCertificate(
      name: "old", publicKey: key, days: 1, now: Date().addingTimeInterval(-10 * 86400))
    do {
      try old.verify(issuedBy: Self.ca.certificate)
      Issue.record("accepted an expired certificate")
    } catch let error as CertificateError {
      #expect(error.reason == .expired)
      #expect(error.message.contains("CN=old"))
      #expect(error.message.contains("expired at"))
    }
    let future = try Self.ca.issueNodeCertificate(
      name: "future", publicKey: key, days: 10, now: Date().addingTimeInterval(86400))
    #expect(reason { try future.verify(issuedBy: Self.ca.certificate) } == .notYetValid)
    // An expired CA makes its certificates invalid too.
    let oldCA = try CertificateAuthority.create(
      name: "Old CA", days: 1, now: Date().addingTimeInterval(-5 * 86400))
    let leaf = try oldCA.issueNodeCertificate(
      name: "n", publicKey: key, days: 30, now: Date().addingTimeInterval(-5 * 86400))
    #expect(reason { try leaf.verify(issuedBy: oldCA.certificate) } == .expired)
  }

  @Test("a certificate whose bytes were modified is refused")
  func modified() throws {
    let certificate = try Self.ca.issueNodeCertificate(
      name: "node-1", publicKey: SubjectPublicKey(Ed25519.PrivateKey().publicKey),
      hosts: ["node-1.example.org"])
    var der = certificate.derRepresentation
    // Change the name inside the signed part: node-1 -> node-2.
    let range = der.range(of: Data("node-1".utf8))!
    der[range.upperBound - 1] = UInt8(ascii: "2")
    let changedName = try Certificate(derRepresentation: der)
    #expect(changedName.commonName == "node-2")
    #expect(reason { try changedName.verify(issuedBy: Self.ca.certificate) } == .badSignature)
    // Change the last byte of the signature.
    der = certificate.derRepresentation
    der[der.count - 1] ^= 0x01
    #expect(
      reason { try Certificate(derRepresentation: der).verify(issuedBy: Self.ca.certificate) }
        == .badSignature)
    // Change a SAN byte.
    der = certificate.derRepresentation
    let san = der.range(of: Data("example".utf8))!
    der[san.lowerBound] = UInt8(ascii: "E")
    #expect(
      reason { try Certificate(derRepresentation: der).verify(issuedBy: Self.ca.certificate) }
        == .badSignature)
    #expect(openSSLErrorQueueIsEmpty())
  }

  @Test("a validator id that is not the address of the certificate's key is refused")
  func validatorIDMismatch() throws {
    let key = try Ed25519.PrivateKey()
    let impostor = try Ed25519.PrivateKey()
    let certificate = try Self.ca.issue(
      name: "node-1", publicKey: SubjectPublicKey(key.publicKey), days: 30, now: Date(),
      extensions: Self.ca.leafExtensions(extendedKeyUsage: "serverAuth,clientAuth"),
      uidOverride: impostor.address.hex)
    // The chain is fine (the CA signed it), but the id does not match the key.
    try certificate.verify(issuedBy: Self.ca.certificate)
    do {
      _ = try certificate.validatorID()
      Issue.record("accepted a mismatching validator id")
    } catch let error as CertificateError {
      #expect(error.reason == .validatorIDMismatch)
      #expect(error.message.contains(impostor.address.hex) && error.message.contains(key.address.hex))
    }
    let garbage = try Self.ca.issue(
      name: "node-1", publicKey: SubjectPublicKey(key.publicKey), days: 30, now: Date(),
      extensions: Self.ca.leafExtensions(extendedKeyUsage: "serverAuth,clientAuth"),
      uidOverride: "not-an-address")
    #expect(reason { _ = try garbage.validatorID() } == .validatorIDMismatch)
  }

  @Test("a CA loads back from its files and refuses a key that is not its own")
  func caFiles() throws {
    let directory = try temporaryDirectory()
    try Self.ca.write(toDirectory: directory)
    #expect(try mode(of: directory + "/ca.key") == 0o600)
    #expect(try mode(of: directory + "/ca.pem") == 0o644)
    let loaded = try CertificateAuthority(directory: directory)
    #expect(loaded.certificate == Self.ca.certificate)
    #expect(throws: CryptoError.fileExists(path: directory + "/ca.pem")) {
      try Self.ca.write(toDirectory: directory)
    }
    #expect(throws: CryptoError.self) {
      try CertificateAuthority(certificate: Self.ca.certificate, key: CertificateKey(generating: .ed25519))
    }
    let leaf = try Self.ca.issueClientCertificate(
      name: "x", publicKey: CertificateKey(generating: .p256).publicKey)
    #expect(throws: CryptoError.self) { try CertificateAuthority(certificate: leaf, key: Self.ca.key) }
    #expect(reason { try leaf.verify(issuedBy: leaf) } == .invalidCA)
  }

  @Test(
    "hosts are validated",
    arguments: [
      "", "a,DNS:evil.example", "bad host", "under_score.example", "-lead.example", "trail-.example",
      "é.example",
      String(repeating: "a", count: 64) + ".example", "a..b", "1.2.3.4:443",
    ])
  func badHosts(host: String) {
    #expect(throws: CryptoError.self) { try HostName(host) }
  }

  @Test("names and validity periods are validated")
  func badNames() throws {
    let key = SubjectPublicKey(try Ed25519.PrivateKey().publicKey)
    #expect(throws: CryptoError.self) { try Self.ca.issueNodeCertificate(name: "", publicKey: key) }
    #expect(throws: CryptoError.self) {
      try Self.ca.issueNodeCertificate(name: String(repeating: "n", count: 65), publicKey: key)
    }
    #expect(throws: CryptoError.self) { try Self.ca.issueNodeCertificate(name: "a\nb", publicKey: key) }
    #expect(throws: CryptoError.self) { try Self.ca.issueNodeCertificate(name: "n", publicKey: key, days: 0) }
  }

  @Test("openssl verify accepts the certificates")
  func opensslVerify() throws {
    let directory = try temporaryDirectory()
    try Self.ca.write(toDirectory: directory)
    let node = try Self.ca.issueNodeCertificate(
      name: "node-1", publicKey: SubjectPublicKey(Ed25519.PrivateKey().publicKey),
      hosts: ["localhost", "127.0.0.1"])
    let client = try Self.ca.issueClientCertificate(
      name: "c", publicKey: CertificateKey(generating: .p256).publicKey)
    for (name, certificate) in [("node", node), ("client", client)] {
      try certificate.write(toFile: "\(directory)/\(name).pem")
      let result = try run(
        "/usr/bin/openssl",
        ["verify", "-x509_strict", "-CAfile", directory + "/ca.pem", "\(directory)/\(name).pem"])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(String(decoding: result.stdout, as: UTF8.self).hasSuffix(": OK\n"))
    }
  }
}

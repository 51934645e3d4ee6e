import Foundation

/// A throw-away PKI made with the `openssl` command-line tool for transport tests: a consortium CA,
/// a server and a client certificate with SANs, an expired certificate, a certificate from another
/// CA, and an Ed25519 CA with an Ed25519 leaf.
public struct TestPKI: Sendable {
  /// The folder holding every file.
  public let directory: String

  /// The one PKI of this test process (made on first use).
  public static let shared: TestPKI = {
    do {
      return try TestPKI.make()
    } catch {
      fatalError("cannot make the test PKI: \(error)")
    }
  }()

  /// The CA certificate (ECDSA P-256).
  public var caCertificate: String { path("ca.pem") }
  /// The server's certificate, SANs `localhost`, `server.sehc.test`, `*.test.google.fr`, `127.0.0.1`.
  public var serverCertificate: String { path("server.pem") }
  public var serverKey: String { path("server.key") }
  /// A client certificate, CN `validator-7`, SAN `validator-7.sehc.test`.
  public var clientCertificate: String { path("client.pem") }
  public var clientKey: String { path("client.key") }
  /// A certificate of the right CA whose validity ended yesterday (SANs as the server's).
  public var expiredCertificate: String { path("expired.pem") }
  public var expiredKey: String { path("expired.key") }
  /// Another CA, and a certificate it issued (SANs as the server's).
  public var otherCACertificate: String { path("other-ca.pem") }
  public var rogueCertificate: String { path("rogue.pem") }
  public var rogueKey: String { path("rogue.key") }
  /// An Ed25519 CA and an Ed25519 leaf it issued (SANs as the server's).
  public var ed25519CACertificate: String { path("ed-ca.pem") }
  public var ed25519Certificate: String { path("ed-leaf.pem") }
  public var ed25519Key: String { path("ed-leaf.key") }

  /// The path of a file of this PKI.
  public func path(_ name: String) -> String { directory + "/" + name }

  /// Reads a file of this PKI as text.
  public func text(_ name: String) -> String {
    (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
  }

  /// The DER bytes of a PEM certificate file of this PKI.
  public func der(_ name: String) throws -> [UInt8] {
    let out = path(name + ".der")
    try openssl(["x509", "-in", path(name), "-outform", "DER", "-out", out])
    return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
  }

  /// Makes a new PKI in a new temporary folder.
  public static func make() throws -> TestPKI {
    let directory = NSTemporaryDirectory() + "sehc-pki-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let pki = TestPKI(directory: directory)
    try pki.build()
    return pki
  }

  private func build() throws {
    let serverSAN = "subjectAltName=DNS:localhost,DNS:server.sehc.test,DNS:*.test.google.fr,IP:127.0.0.1"
    try makeCA("ca", subject: "/O=SeHealthChain Test/CN=Test Consortium CA", algorithm: .ecdsa)
    try makeCA("other-ca", subject: "/O=Elsewhere/CN=Other CA", algorithm: .ecdsa)
    try makeCA("ed-ca", subject: "/O=SeHealthChain Test/CN=Ed25519 CA", algorithm: .ed25519)
    try issue(
      "server", by: "ca", subject: "/CN=server.sehc.test",
      extensions: [serverSAN, usage("serverAuth,clientAuth")])
    try issue(
      "client", by: "ca", subject: "/CN=validator-7",
      extensions: ["subjectAltName=DNS:validator-7.sehc.test", usage("clientAuth,serverAuth")])
    try issue(
      "expired", by: "ca", subject: "/CN=expired", extensions: [serverSAN, usage("serverAuth,clientAuth")],
      days: -1)
    try issue(
      "rogue", by: "other-ca", subject: "/CN=rogue", extensions: [serverSAN, usage("serverAuth,clientAuth")])
    try issue(
      "ed-leaf", by: "ed-ca", subject: "/CN=ed-leaf",
      extensions: [serverSAN, usage("serverAuth,clientAuth")],
      algorithm: .ed25519)
  }

  private enum Algorithm { case ecdsa, ed25519 }

  private func usage(_ extended: String) -> String {
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=\(extended)"
  }

  private func generateKey(_ name: String, _ algorithm: Algorithm) throws {
    switch algorithm {
    case .ecdsa:
      try openssl([
        "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path(name + ".key"),
      ])
    case .ed25519:
      try openssl(["genpkey", "-algorithm", "ED25519", "-out", path(name + ".key")])
    }
  }

  private func makeCA(_ name: String, subject: String, algorithm: Algorithm) throws {
    try generateKey(name, algorithm)
    try openssl([
      "req", "-x509", "-new", "-key", path(name + ".key"), "-subj", subject, "-days", "3650",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      "-out", path(name + ".pem"),
    ])
  }

  private func issue(
    _ name: String, by ca: String, subject: String, extensions: [String], days: Int = 365,
    algorithm: Algorithm = .ecdsa
  ) throws {
    try generateKey(name, algorithm)
    try openssl(["req", "-new", "-key", path(name + ".key"), "-subj", subject, "-out", path(name + ".csr")])
    try extensions.joined(separator: "\n").write(
      toFile: path(name + ".ext"), atomically: true, encoding: .utf8)
    try openssl([
      "x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
      "-CAcreateserial", "-days", String(days), "-extfile", path(name + ".ext"), "-out", path(name + ".pem"),
    ])
  }

  private func openssl(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl"] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw PKIError(
        message:
          "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
    }
  }
}

/// A failure of the `openssl` tool while making the test PKI.
public struct PKIError: Error, CustomStringConvertible {
  public var message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

import NIOCore
import NIOEmbedded
import NIOTLS
import Testing
import TransportTestSupport

@testable import TLS

@Suite("TLS handler over EmbeddedChannel pairs")
struct EmbeddedHandshakeTests {
  @Test("TLS 1.3 mutual handshake: ALPN h2, both chains verified, data both ways")
  func tls13MutualHandshake() throws {
    let pair = try EmbeddedPair(client: clientConfiguration(), server: serverConfiguration())
    try pair.handshake()
    #expect(pair.clientRecorder.negotiatedProtocol == .some("h2"))
    #expect(pair.serverRecorder.negotiatedProtocol == .some("h2"))
    let server = try #require(pair.serverRecorder.info)
    let client = try #require(pair.clientRecorder.info)
    #expect(server.version == .tls13)
    #expect(client.version == .tls13)
    #expect(server.cipher.hasPrefix("TLS_"))
    #expect(server.peerCertificateChain == [try pki.der("client.pem"), try pki.der("ca.pem")])
    #expect(client.peerCertificateChain == [try pki.der("server.pem"), try pki.der("ca.pem")])
    #expect(server.serverName == "server.sehc.test")

    let sent = pair.client.send("hello server")
    try pair.shuttle()
    try sent.wait()
    _ = pair.server.send("hello client")
    try pair.shuttle()
    #expect(pair.serverRecorder.receivedString == "hello server")
    #expect(pair.clientRecorder.receivedString == "hello client")
    #expect(pair.clientRecorder.errors.isEmpty && pair.serverRecorder.errors.isEmpty)
  }

  @Test("TLS 1.2 when the client offers at most 1.2; ALPN still negotiated")
  func tls12() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(maximumVersion: .tls12), server: serverConfiguration())
    try pair.handshake()
    #expect(pair.serverRecorder.info?.version == .tls12)
    #expect(pair.clientRecorder.info?.version == .tls12)
    #expect(pair.serverRecorder.negotiatedProtocol == .some("h2"))
    _ = pair.client.send("over 1.2")
    try pair.shuttle()
    #expect(pair.serverRecorder.receivedString == "over 1.2")
  }

  @Test(
    "ALPN: the server picks h2 from the client's list, or negotiates nothing",
    arguments: [
      (["h2"], "h2"), (["spdy/3", "h2", "http/1.1"], "h2"), (["http/1.1"], nil), ([], nil),
    ] as [([String], String?)])
  func alpn(offered: [String], selected: String?) throws {
    let pair = try EmbeddedPair(client: clientConfiguration(alpn: offered), server: serverConfiguration())
    try pair.handshake()
    #expect(pair.serverRecorder.negotiatedProtocol == .some(selected))
    #expect(pair.clientRecorder.negotiatedProtocol == .some(selected))
    #expect(pair.serverRecorder.info?.applicationProtocol == selected)
  }

  @Test("SNI reaches the server; the client checks the server's name")
  func sniAndHostname() throws {
    let good = try EmbeddedPair(
      client: clientConfiguration(), server: serverConfiguration(), serverHostname: "localhost")
    try good.handshake()
    #expect(good.serverRecorder.info?.serverName == "localhost")

    let byIP = try EmbeddedPair(
      client: clientConfiguration(), server: serverConfiguration(), serverHostname: "127.0.0.1")
    try byIP.handshake()
    #expect(byIP.clientRecorder.info != nil)
    #expect(byIP.serverRecorder.info?.serverName == nil)  // IP addresses are never sent as SNI

    let wrong = try EmbeddedPair(
      client: clientConfiguration(), server: serverConfiguration(), serverHostname: "wrong.example.org")
    try wrong.handshake()
    let error = try #require(wrong.clientRecorder.errors.first)
    #expect(error.kind == .certificateVerificationFailed)
    #expect(error.reason.contains("hostname mismatch"))
    #expect(wrong.serverRecorder.errors.first?.kind == .handshakeFailed)
    #expect(!wrong.client.isActive && !wrong.server.isActive)
  }

  @Test("The verification hook sees the client's chain and the SNI, and can reject")
  func verificationHook() throws {
    let seen = LockedBox<[TLSPeer]>([])
    let accepting = try EmbeddedPair(
      client: clientConfiguration(),
      server: serverConfiguration(verifier: { peer in
        seen.withValue { $0.append(peer) }
        return .accept
      }))
    try accepting.handshake()
    let peer = try #require(seen.withValue { $0.first })
    #expect(peer.leafCertificate == (try pki.der("client.pem")))
    #expect(peer.serverName == "server.sehc.test")
    #expect(peer.remoteAddress != nil || true)

    let rejecting = try EmbeddedPair(
      client: clientConfiguration(),
      server: serverConfiguration(verifier: { _ in .reject("validator-7 is not in the genesis") }))
    try rejecting.handshake()
    let error = try #require(rejecting.serverRecorder.errors.first)
    #expect(error.kind == .certificateVerificationFailed)
    #expect(error.reason.contains("validator-7 is not in the genesis"))
    #expect(rejecting.serverRecorder.info == nil)
    #expect(!rejecting.server.isActive)
    // The client learns of it through the alert.
    #expect(rejecting.clientRecorder.errors.first?.reason.contains("alert") == true)
  }

  @Test("The client's hook can reject the server")
  func clientSideHook() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(verifier: { _ in .reject("not our peer") }), server: serverConfiguration())
    try pair.handshake()
    #expect(pair.clientRecorder.errors.first?.kind == .certificateVerificationFailed)
    #expect(pair.clientRecorder.errors.first?.reason.contains("not our peer") == true)
  }

  @Test("mTLS: a client certificate from another CA is refused")
  func otherCA() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(certificate: pki.rogueCertificate, key: pki.rogueKey),
      server: serverConfiguration())
    try pair.handshake()
    let error = try #require(pair.serverRecorder.errors.first)
    #expect(error.kind == .certificateVerificationFailed)
    #expect(error.reason.contains("unable to get local issuer certificate"))
    #expect(!pair.server.isActive)
  }

  @Test("mTLS: an expired client certificate is refused")
  func expired() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(certificate: pki.expiredCertificate, key: pki.expiredKey),
      server: serverConfiguration())
    try pair.handshake()
    let error = try #require(pair.serverRecorder.errors.first)
    #expect(error.kind == .certificateVerificationFailed)
    #expect(error.reason.contains("certificate has expired"))
  }

  @Test("An expired server certificate is refused by the client")
  func expiredServer() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(),
      server: serverConfiguration(certificate: pki.expiredCertificate, key: pki.expiredKey))
    try pair.handshake()
    let error = try #require(pair.clientRecorder.errors.first)
    #expect(error.kind == .certificateVerificationFailed)
    #expect(error.reason.contains("certificate has expired"))
  }

  @Test("mTLS: no client certificate where one is required")
  func noClientCertificate() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(certificate: nil, key: nil), server: serverConfiguration())
    try pair.handshake()
    let error = try #require(pair.serverRecorder.errors.first)
    #expect(error.kind == .handshakeFailed)
    #expect(error.reason.contains("peer did not return a certificate"))
    // A TLS 1.3 client finishes its side first, then reads the server's alert.
    #expect(pair.clientRecorder.errors.first?.reason.contains("certificate required") == true)
    #expect(!pair.server.isActive && !pair.client.isActive)
  }

  @Test("Optional client certificates: an anonymous client is admitted with an empty chain")
  func optionalClientCertificate() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(certificate: nil, key: nil),
      server: serverConfiguration(clientCertificate: .optional))
    try pair.handshake()
    #expect(pair.serverRecorder.info?.peerCertificateChain == [])
    #expect(pair.serverRecorder.errors.isEmpty)
  }

  @Test("Ed25519 CA and leaf certificates")
  func ed25519() throws {
    let pair = try EmbeddedPair(
      client: clientConfiguration(
        certificate: pki.ed25519Certificate, key: pki.ed25519Key, trustRoots: pki.ed25519CACertificate),
      server: serverConfiguration(
        certificate: pki.ed25519Certificate, key: pki.ed25519Key, trustRoots: pki.ed25519CACertificate))
    try pair.handshake()
    #expect(pair.serverRecorder.info?.version == .tls13)
    #expect(pair.serverRecorder.errors.isEmpty && pair.clientRecorder.errors.isEmpty)
  }

  @Test("Configuration errors carry OpenSSL's reason")
  func configurationErrors() throws {
    #expect(throws: TLSError.self) {
      _ = try TLSConfiguration.fromPEMFiles(
        certificateChain: "/nonexistent.pem", privateKey: nil, trustRoots: nil)
    }
    var mismatched = try serverConfiguration()
    mismatched.privateKeyPEM = pki.text("client.key")
    do {
      _ = try TLSContext(configuration: mismatched, role: .server)
      Issue.record("a key of another certificate was accepted")
    } catch {
      #expect(error.kind == .configuration)
      #expect(error.reason.contains("key values mismatch"))
    }
    var garbage = try serverConfiguration()
    garbage.certificateChainPEM = "not a certificate"
    #expect(throws: TLSError(.configuration, "no certificate found in the certificate chain PEM")) {
      _ = try TLSContext(configuration: garbage, role: .server)
    }
    var noRoots = try clientConfiguration()
    noRoots.trustRootsPEM = nil
    #expect(throws: TLSError.self) { _ = try TLSContext(configuration: noRoots, role: .client) }
  }
}

import Foundation
import NIOCore

/// A TLS protocol version.
public enum TLSVersion: Int, Sendable, Comparable, CustomStringConvertible {
  /// TLS 1.2 (RFC 5246).
  case tls12 = 0x0303
  /// TLS 1.3 (RFC 8446).
  case tls13 = 0x0304

  public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.rawValue < rhs.rawValue }

  public var description: String {
    switch self {
    case .tls12: "TLSv1.2"
    case .tls13: "TLSv1.3"
    }
  }
}

/// How a TLS endpoint checks the certificate its peer presents.
public enum PeerCertificateVerification: Sendable, Equatable {
  /// No certificate is requested or checked. Servers use this when clients are anonymous; a client
  /// should never use it outside tests.
  case none
  /// The peer's chain must lead to one of the configured trust roots. A server additionally refuses
  /// a client that presents no certificate (mutual TLS). Clients also check the server's name
  /// (``TLSHandler/init(context:serverHostname:)``) when one is given.
  case required
  /// Servers only: a certificate is requested and checked if the client sends one, but a client
  /// without a certificate is admitted.
  case optional
}

/// What a peer-verification hook decides about a peer whose chain OpenSSL has already verified.
public enum PeerVerificationResult: Sendable, Equatable {
  /// Accept the peer.
  case accept
  /// Reject the peer; the handshake fails with a `bad_certificate` alert and the given reason.
  case reject(String)
}

/// What the peer-verification hook sees: the verified chain and the connection it belongs to.
public struct TLSPeer: Sendable {
  /// The peer's certificate chain in DER, leaf first, as verified by OpenSSL (ending at the trust
  /// root).
  public var certificateChain: [[UInt8]]
  /// The remote address of the connection, if the channel has one.
  public var remoteAddress: SocketAddress?
  /// The local address of the connection, if the channel has one.
  public var localAddress: SocketAddress?
  /// The server name the client asked for (SNI); only on servers, nil if the client sent none.
  public var serverName: String?

  /// The leaf certificate in DER (the first element of ``certificateChain``).
  public var leafCertificate: [UInt8]? { certificateChain.first }

  public init(
    certificateChain: [[UInt8]],
    remoteAddress: SocketAddress? = nil,
    localAddress: SocketAddress? = nil,
    serverName: String? = nil
  ) {
    self.certificateChain = certificateChain
    self.remoteAddress = remoteAddress
    self.localAddress = localAddress
    self.serverName = serverName
  }
}

/// A hook run during the handshake once OpenSSL has verified the peer's chain against the pinned
/// CA. Higher layers map the certificate to an identity (a validator id) and accept or reject it.
/// It runs on the connection's event loop and must not block.
public typealias PeerVerifier = @Sendable (TLSPeer) -> PeerVerificationResult

/// Everything needed to build a ``TLSContext``: the local identity, the trust roots, protocol
/// versions, ALPN and verification policy. All key material is kept as PEM text.
public struct TLSConfiguration: Sendable {
  /// The local certificate chain in PEM, leaf first (nil for an anonymous client).
  public var certificateChainPEM: String?
  /// The private key for the leaf certificate in PEM (PKCS#8 or traditional).
  public var privateKeyPEM: String?
  /// The CA certificates (PEM) that peers' chains must lead to. Only these are trusted: the
  /// system's trust store is never consulted (pinned CA).
  public var trustRootsPEM: String?
  /// The lowest protocol version offered or accepted.
  public var minimumVersion: TLSVersion = .tls12
  /// The highest protocol version offered or accepted.
  public var maximumVersion: TLSVersion = .tls13
  /// ALPN protocol names in order of preference (wire names such as `h2`). A server selects the
  /// first of these that the client offers and negotiates none otherwise; a client offers them.
  public var applicationProtocols: [String] = []
  /// How the peer's certificate is checked.
  public var peerVerification: PeerCertificateVerification = .required
  /// Called once the peer's chain has been verified; see ``PeerVerifier``.
  public var peerVerifier: PeerVerifier?
  /// How long a handshake may take before the connection is closed with
  /// ``TLSError/Kind/handshakeFailed`` (a peer that connects and stalls); nil for no limit.
  public var handshakeTimeout: TimeAmount? = .seconds(10)
  /// How long a clean close waits for the peer's `close_notify` before closing the socket.
  public var shutdownTimeout: TimeAmount = .seconds(5)
  /// Whether a peer that closes the connection without `close_notify` is reported with
  /// ``TLSError/Kind/uncleanShutdown`` through `errorCaught`. Self-delimiting protocols such as
  /// HTTP/2 do not need that report.
  public var reportUncleanShutdown: Bool = true

  /// A configuration with the given identity and trust roots (all PEM text).
  public init(
    certificateChainPEM: String? = nil,
    privateKeyPEM: String? = nil,
    trustRootsPEM: String? = nil,
    applicationProtocols: [String] = [],
    peerVerification: PeerCertificateVerification = .required
  ) {
    self.certificateChainPEM = certificateChainPEM
    self.privateKeyPEM = privateKeyPEM
    self.trustRootsPEM = trustRootsPEM
    self.applicationProtocols = applicationProtocols
    self.peerVerification = peerVerification
  }

  /// Loads the certificate chain, private key and trust roots from PEM files (as written by
  /// `sehc cert issue`). Any path may be nil.
  public static func fromPEMFiles(
    certificateChain: String?,
    privateKey: String?,
    trustRoots: String?,
    applicationProtocols: [String] = [],
    peerVerification: PeerCertificateVerification = .required
  ) throws(TLSError) -> TLSConfiguration {
    func read(_ path: String?) throws(TLSError) -> String? {
      guard let path else { return nil }
      do {
        return try String(contentsOfFile: path, encoding: .utf8)
      } catch {
        throw TLSError(.configuration, "cannot read \(path): \(error.localizedDescription)")
      }
    }
    return TLSConfiguration(
      certificateChainPEM: try read(certificateChain),
      privateKeyPEM: try read(privateKey),
      trustRootsPEM: try read(trustRoots),
      applicationProtocols: applicationProtocols,
      peerVerification: peerVerification
    )
  }
}

/// An error of the TLS layer, carrying OpenSSL's own reason string where there is one.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong.
  public enum Kind: String, Sendable, Equatable {
    /// The configuration is unusable: unreadable files, bad PEM, a key that doesn't match.
    case configuration
    /// The handshake failed (protocol error, alert, no shared version or cipher, EOF).
    case handshakeFailed
    /// The peer's certificate failed verification (chain, validity, name, or the hook).
    case certificateVerificationFailed
    /// The peer closed the connection without sending `close_notify`.
    case uncleanShutdown
    /// An error after the handshake, while reading or writing records.
    case protocolError
    /// Data was written after the connection was closed or while it was closing.
    case writeAfterClose
    /// The handler was given something other than a ByteBuffer.
    case invalidInput
  }

  /// What went wrong.
  public var kind: Kind
  /// Human-readable details: OpenSSL's reason strings, the X.509 verification error, or ours.
  public var reason: String

  public init(_ kind: Kind, _ reason: String) {
    self.kind = kind
    self.reason = reason
  }

  public var description: String { "TLSError.\(kind.rawValue): \(reason)" }
}

/// A user event the ``TLSHandler`` fires (after NIO's `TLSUserEvent.handshakeCompleted`) with
/// what was negotiated; read it from a later handler, or ask the handler directly.
public struct TLSConnectionInfo: Sendable, Equatable {
  /// The negotiated protocol version.
  public var version: TLSVersion?
  /// The negotiated cipher suite (OpenSSL name).
  public var cipher: String
  /// The ALPN protocol selected, if any.
  public var applicationProtocol: String?
  /// The peer's verified certificate chain in DER, leaf first; empty if the peer sent none or
  /// verification was off.
  public var peerCertificateChain: [[UInt8]]
  /// The server name the client sent (SNI); servers only.
  public var serverName: String?
}

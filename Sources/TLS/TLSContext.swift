internal import COpenSSL

/// Which side of the handshake a context serves.
public enum TLSRole: Sendable, Equatable {
  /// Connects and starts the handshake (`SSL_set_connect_state`).
  case client
  /// Accepts connections (`SSL_set_accept_state`).
  case server
}

/// A shared, immutable OpenSSL `SSL_CTX` built from a ``TLSConfiguration``: create one per
/// listener or per client and reuse it for every connection. Thread-safe.
public final class TLSContext: @unchecked Sendable {
  /// The side of the handshake.
  public let role: TLSRole
  /// The configuration the context was built from.
  public let configuration: TLSConfiguration

  let ctx: OpaquePointer
  /// ALPN protocols in wire format (length-prefixed names, then a 0), kept alive for the select
  /// callback.
  let alpnWire: UnsafeMutableBufferPointer<UInt8>

  /// Builds the context: loads the identity and trust roots, sets protocol versions, ALPN,
  /// renegotiation off and the verification mode.
  public init(configuration: TLSConfiguration, role: TLSRole) throws(TLSError) {
    self.role = role
    self.configuration = configuration
    OpenSSL.initialize()
    guard let ctx = SSL_CTX_new(role == .client ? TLS_client_method() : TLS_server_method()) else {
      throw OpenSSL.error(.configuration, "SSL_CTX_new failed")
    }
    self.ctx = ctx

    var wire: [UInt8] = []
    for name in configuration.applicationProtocols {
      let bytes = Array(name.utf8)
      guard !bytes.isEmpty, bytes.count <= 255 else {
        SSL_CTX_free(ctx)
        throw TLSError(.configuration, "invalid ALPN protocol name '\(name)'")
      }
      wire.append(UInt8(bytes.count))
      wire.append(contentsOf: bytes)
    }
    // Zero-terminated so the select callback can walk it (no name has length 0).
    alpnWire = .allocate(capacity: wire.count + 1)
    _ = alpnWire.initialize(from: wire + [0])

    // Every stored property is set: if this throws, deinit frees the context and the buffer.
    try configure(wireCount: wire.count)
  }

  deinit {
    SSL_CTX_free(ctx)
    alpnWire.deallocate()
  }

  private func configure(wireCount: Int) throws(TLSError) {
    let config = configuration
    guard config.minimumVersion <= config.maximumVersion else {
      throw TLSError(.configuration, "minimum TLS version is above the maximum")
    }
    guard sehc_SSL_CTX_set_min_proto_version(ctx, Int32(config.minimumVersion.rawValue)) == 1,
      sehc_SSL_CTX_set_max_proto_version(ctx, Int32(config.maximumVersion.rawValue)) == 1
    else { throw OpenSSL.error(.configuration, "cannot set the protocol versions") }

    // HTTP/2 (RFC 7540 §9.2) forbids renegotiation and compression. Unexpected EOF is reported by
    // the handler itself (see TLSHandler.channelInactive), never by OpenSSL.
    SSL_CTX_set_options(
      ctx,
      sehc_SSL_OP_NO_RENEGOTIATION() | sehc_SSL_OP_NO_COMPRESSION() | sehc_SSL_OP_IGNORE_UNEXPECTED_EOF()
        | sehc_SSL_OP_CIPHER_SERVER_PREFERENCE())
    // A write that OpenSSL had to retry is retried with a different buffer address by the handler.
    _ = sehc_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))

    if let chain = config.certificateChainPEM {
      let certificates = try OpenSSL.certificates(fromPEM: chain, what: "certificate chain")
      defer { certificates.forEach { X509_free($0) } }
      guard SSL_CTX_use_certificate(ctx, certificates[0]) == 1 else {
        throw OpenSSL.error(.configuration, "cannot use the certificate")
      }
      for intermediate in certificates.dropFirst() {
        guard sehc_SSL_CTX_add1_chain_cert(ctx, intermediate) == 1 else {
          throw OpenSSL.error(.configuration, "cannot add an intermediate certificate")
        }
      }
      guard let keyPEM = config.privateKeyPEM else {
        throw TLSError(.configuration, "a certificate chain needs a private key")
      }
      let key = try OpenSSL.privateKey(fromPEM: keyPEM)
      defer { EVP_PKEY_free(key) }
      guard SSL_CTX_use_PrivateKey(ctx, key) == 1 else {
        throw OpenSSL.error(.configuration, "cannot use the private key")
      }
      guard SSL_CTX_check_private_key(ctx) == 1 else {
        throw OpenSSL.error(.configuration, "the private key does not match the certificate")
      }
    } else if role == .server {
      throw TLSError(.configuration, "a server needs a certificate chain and a private key")
    }

    if let roots = config.trustRootsPEM {
      let certificates = try OpenSSL.certificates(fromPEM: roots, what: "trust roots")
      defer { certificates.forEach { X509_free($0) } }
      let store = SSL_CTX_get_cert_store(ctx)
      for certificate in certificates {
        guard X509_STORE_add_cert(store, certificate) == 1 else {
          throw OpenSSL.error(.configuration, "cannot add a trust root")
        }
        if role == .server { _ = SSL_CTX_add_client_CA(ctx, certificate) }
      }
    } else if config.peerVerification != .none {
      throw TLSError(.configuration, "peer verification needs trust roots (a CA certificate)")
    }

    if role == .server, wireCount > 0 {
      SSL_CTX_set_alpn_select_cb(ctx, alpnSelectCallback, UnsafeMutableRawPointer(alpnWire.baseAddress))
    }
    if role == .client, wireCount > 0 {
      // Note: unlike most OpenSSL functions this one returns 0 on success.
      guard SSL_CTX_set_alpn_protos(ctx, alpnWire.baseAddress, UInt32(wireCount)) == 0 else {
        throw OpenSSL.error(.configuration, "cannot set the ALPN protocols")
      }
    }
  }

  /// The OpenSSL verification mode for connections of this context.
  var verifyMode: Int32 {
    switch (configuration.peerVerification, role) {
    case (.none, _): SSL_VERIFY_NONE
    case (.required, .server): SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
    case (.required, .client), (.optional, _): SSL_VERIFY_PEER
    }
  }
}

/// Server ALPN selection: the first protocol of ours that the client offers, else no ALPN at all
/// (the HTTP/2 layer then refuses the connection when it requires ALPN).
private let alpnSelectCallback:
  @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
    UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
  ) -> Int32 = { _, out, outLength, clientList, clientLength, arg in
    guard let out, let outLength, let clientList, let arg else { return SSL_TLSEXT_ERR_NOACK }
    let ours = arg.assumingMemoryBound(to: UInt8.self)
    let client = UnsafeBufferPointer(start: clientList, count: Int(clientLength))
    // Walk our preference list (wire format) and look each name up in the client's list.
    var i = 0
    while ours[i] != 0 {
      let length = Int(ours[i])
      let name = UnsafeBufferPointer(start: ours + i + 1, count: length)
      var j = 0
      while j < client.count {
        let clientNameLength = Int(client[j])
        guard j + 1 + clientNameLength <= client.count else { break }
        if clientNameLength == length,
          memcmp(name.baseAddress!, clientList + j + 1, length) == 0
        {
          out.pointee = clientList + j + 1
          outLength.pointee = UInt8(length)
          return SSL_TLSEXT_ERR_OK
        }
        j += 1 + clientNameLength
      }
      i += 1 + length
    }
    return SSL_TLSEXT_ERR_NOACK
  }

/// Helpers around OpenSSL's error queue and PEM parsing.
enum OpenSSL {
  static let exDataIndex: Int32 = {
    OPENSSL_init_ssl(0, nil)
    return sehc_SSL_get_ex_new_index()
  }()

  static func initialize() { _ = exDataIndex }

  /// Drains the thread's error queue into one string of OpenSSL reason strings.
  static func drainErrors() -> String {
    var reasons: [String] = []
    while true {
      let code = ERR_get_error()
      if code == 0 { break }
      var buffer = [CChar](repeating: 0, count: 256)
      ERR_error_string_n(code, &buffer, buffer.count)
      let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      reasons.append(text)
    }
    return reasons.joined(separator: "; ")
  }

  static func error(_ kind: TLSError.Kind, _ what: String) -> TLSError {
    let reasons = drainErrors()
    return TLSError(kind, reasons.isEmpty ? what : "\(what): \(reasons)")
  }

  /// Parses every certificate in a PEM string (caller frees them).
  static func certificates(fromPEM pem: String, what: String) throws(TLSError) -> [OpaquePointer] {
    ERR_clear_error()
    let result = withMemoryBIO(pem) { bio in
      var result: [OpaquePointer] = []
      while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
        result.append(certificate)
      }
      return result
    }
    ERR_clear_error()  // the loop ends with a "no start line" error
    guard !result.isEmpty else {
      throw TLSError(.configuration, "no certificate found in the \(what) PEM")
    }
    return result
  }

  /// Parses a private key from PEM (caller frees it).
  static func privateKey(fromPEM pem: String) throws(TLSError) -> OpaquePointer {
    ERR_clear_error()
    guard let key = withMemoryBIO(pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
      throw error(.configuration, "cannot parse the private key PEM")
    }
    return key
  }

  /// Runs `body` with a read-only memory BIO over the UTF-8 bytes of `text` (valid only inside).
  static func withMemoryBIO<R>(_ text: String, _ body: (OpaquePointer?) -> R) -> R {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBytes { buffer in
      let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))
      defer { BIO_free(bio) }
      return body(bio)
    }
  }

  /// The DER encoding of a certificate.
  static func der(_ certificate: OpaquePointer) -> [UInt8] {
    let length = i2d_X509(certificate, nil)
    guard length > 0 else { return [] }
    var result = [UInt8](repeating: 0, count: Int(length))
    result.withUnsafeMutableBufferPointer { buffer in
      var pointer: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
      _ = i2d_X509(certificate, &pointer)
    }
    return result
  }
}

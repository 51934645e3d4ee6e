internal import COpenSSL
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a certificate was refused. `description` is one line that says what is wrong.
public struct CertificateError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kinds of refusal callers act on.
  public enum Reason: String, Sendable, Equatable {
    /// The check time is before the certificate's notBefore (or the CA's).
    case notYetValid
    /// The check time is after the certificate's notAfter (or the CA's).
    case expired
    /// The certificate was not issued by the pinned CA (another CA, or a self-signed certificate).
    case unknownIssuer
    /// The issuer's signature does not verify: the certificate's bytes were modified, or the issuer
    /// key does not match.
    case badSignature
    /// The pinned certificate is not a CA certificate, or the CA may not sign certificates.
    case invalidCA
    /// The certificate is not valid for the purpose asked (TLS server or client).
    case wrongPurpose
    /// The certificate has no validator id (no UID attribute in its subject).
    case missingValidatorID
    /// The validator id in the subject is not the address of the certificate's key (or the key is
    /// not Ed25519).
    case validatorIDMismatch
    /// The certificate cannot be parsed or is not well-formed.
    case malformed
    /// Any other verification failure; the message carries OpenSSL's wording.
    case other
  }

  public let reason: Reason
  public let message: String

  public init(_ reason: Reason, _ message: String) {
    self.reason = reason
    self.message = message
  }

  public var description: String { message }
}

/// What a certificate is checked for.
public enum CertificatePurpose: Sendable, CustomStringConvertible {
  /// Chain and validity only.
  case any
  /// A TLS server (extKeyUsage serverAuth).
  case tlsServer
  /// A TLS client (extKeyUsage clientAuth).
  case tlsClient

  public var description: String {
    switch self {
    case .any: return "any purpose"
    case .tlsServer: return "a TLS server"
    case .tlsClient: return "a TLS client"
    }
  }
}

/// The certificate profiles `ChainCrypto` issues.
public enum CertificateProfile: String, Sendable, Codable {
  /// The consortium CA: self-signed, CA:TRUE, keyCertSign and cRLSign.
  case certificateAuthority = "ca"
  /// A validator node: serverAuth and clientAuth (peer links are mutual TLS), DNS/IP names.
  case node
  /// A client: clientAuth only.
  case client
}

/// An X.509 certificate, read-only.
public final class Certificate: @unchecked Sendable, Hashable, CustomStringConvertible {
  // @unchecked: the X509 object is never modified after construction; OpenSSL 3 guards its lazily
  // computed extension cache with a lock, so concurrent reads are safe.
  let pointer: OpaquePointer

  init(taking pointer: OpaquePointer) {
    self.pointer = pointer
  }

  deinit {
    X509_free(pointer)
  }

  /// Parses the first certificate of a PEM text.
  public convenience init(pemRepresentation pem: String) throws {
    guard let first = try Certificate.all(pemRepresentation: pem).first else {
      throw CryptoError.invalidEncoding(what: "a PEM certificate", detail: "no CERTIFICATE block found")
    }
    self.init(taking: X509_dup(first.pointer)!)
  }

  /// Parses a DER certificate.
  public convenience init(derRepresentation der: Data) throws {
    OpenSSLErrors.clear()
    let x509: OpaquePointer? = der.withUnsafeBytes { buffer in
      var cursor = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
      let parsed = d2i_X509(nil, &cursor, buffer.count)
      // Trailing bytes after the certificate are an error, not something to ignore.
      if let parsed, let cursor,
        cursor != buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + buffer.count
      {
        X509_free(parsed)
        return nil
      }
      return parsed
    }
    guard let x509 else {
      let reason = OpenSSLErrors.drain()
      throw CryptoError.invalidEncoding(
        what: "a DER certificate", detail: reason.isEmpty ? "trailing bytes" : reason)
    }
    self.init(taking: x509)
  }

  /// Reads a PEM certificate file.
  public convenience init(contentsOfFile path: String) throws {
    let text = String(decoding: try KeyFile.readPublic(at: path), as: UTF8.self)
    do {
      try self.init(pemRepresentation: text)
    } catch CryptoError.invalidEncoding(_, let detail) {
      throw CryptoError.invalidEncoding(what: "certificate file \(path)", detail: detail)
    }
  }

  /// Every certificate in a PEM text, in order (a chain or a bundle).
  public static func all(pemRepresentation pem: String) throws -> [Certificate] {
    OpenSSLErrors.clear()
    var utf8 = Array(pem.utf8)
    let bio = try checkNotNull("creating a memory BIO", BIO_new_mem_buf(&utf8, Int32(utf8.count)))
    defer { BIO_free(bio) }
    var certificates: [Certificate] = []
    while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
      certificates.append(Certificate(taking: x509))
    }
    // The loop ends with "no start line" at the end of the input: expected, not an error, unless
    // nothing at all was read.
    let reason = OpenSSLErrors.drain()
    if certificates.isEmpty {
      throw CryptoError.invalidEncoding(
        what: "a PEM certificate", detail: reason.isEmpty ? "no CERTIFICATE block found" : reason)
    }
    return certificates
  }

  // MARK: Encodings

  /// The DER encoding.
  public var derRepresentation: Data {
    var out: UnsafeMutablePointer<UInt8>?
    let length = i2d_X509(pointer, &out)
    guard length > 0, let out else {
      _ = OpenSSLErrors.drain()
      return Data()
    }
    defer { sehc_OPENSSL_free(out) }
    return Data(bytes: out, count: Int(length))
  }

  /// The PEM encoding ("-----BEGIN CERTIFICATE-----").
  public var pemRepresentation: String {
    guard let bio = BIO_new(BIO_s_mem()) else { return "" }
    defer { BIO_free(bio) }
    guard PEM_write_bio_X509(bio, pointer) == 1 else {
      _ = OpenSSLErrors.drain()
      return ""
    }
    return String(decoding: bioContents(bio), as: UTF8.self)
  }

  /// Writes the PEM encoding to `path` (mode 0644; certificates are public).
  public func write(toFile path: String, overwrite: Bool = false) throws {
    try KeyFile.writePublic(Data(pemRepresentation.utf8), to: path, overwrite: overwrite)
  }

  /// SHA-256 of the DER encoding.
  public var fingerprint: SHA256Digest { SHA256.hash(derRepresentation) }

  public static func == (lhs: Certificate, rhs: Certificate) -> Bool {
    X509_cmp(lhs.pointer, rhs.pointer) == 0 && lhs.derRepresentation == rhs.derRepresentation
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(derRepresentation) }

  /// "subject (serial …)", for logs.
  public var description: String { "\(subject) (serial \(serialNumber))" }

  // MARK: Names

  /// The subject's attributes in order, with OpenSSL's short names ("CN", "UID", "O").
  public var subjectAttributes: [(name: String, value: String)] {
    Certificate.attributes(of: X509_get_subject_name(pointer))
  }

  /// The issuer's attributes in order.
  public var issuerAttributes: [(name: String, value: String)] {
    Certificate.attributes(of: X509_get_issuer_name(pointer))
  }

  /// The subject as "CN=node-1, UID=…" (attributes in certificate order).
  public var subject: String { Certificate.format(subjectAttributes) }

  /// The issuer, formatted like `subject`.
  public var issuer: String { Certificate.format(issuerAttributes) }

  /// The subject's common name.
  public var commonName: String? { subjectAttributes.first { $0.name == "CN" }?.value }

  /// The subject's UID attribute (0.9.2342.19200300.100.1.1): a validator's or user's address.
  public var subjectUID: String? { subjectAttributes.first { $0.name == "UID" }?.value }

  /// DNS names in subjectAltName.
  public var dnsNames: [String] { subjectAltNames.dns }

  /// IP addresses in subjectAltName, in their usual text form.
  public var ipAddresses: [String] { subjectAltNames.ip }

  /// The serial number in hex.
  public var serialNumber: String {
    guard let serial = X509_get0_serialNumber(pointer), let bignum = ASN1_INTEGER_to_BN(serial, nil) else {
      _ = OpenSSLErrors.drain()
      return ""
    }
    defer { BN_free(bignum) }
    guard let hex = BN_bn2hex(bignum) else { return "" }
    defer { sehc_OPENSSL_free(hex) }
    return String(cString: hex).lowercased()
  }

  /// The start of the validity period.
  public var notBefore: Date { Certificate.date(X509_get0_notBefore(pointer)) }

  /// The end of the validity period.
  public var notAfter: Date { Certificate.date(X509_get0_notAfter(pointer)) }

  /// The certified public key.
  public var publicKey: SubjectPublicKey {
    get throws {
      OpenSSLErrors.clear()
      let key = try checkNotNull("reading the certificate's public key", X509_get_pubkey(pointer))
      return try SubjectPublicKey(key: PKey(taking: key))
    }
  }

  /// "Ed25519", "ECDSA P-256", or OpenSSL's name and size of another key type.
  public var keyDescription: String {
    (try? publicKey.typeDescription) ?? "unreadable key"
  }

  /// True for a CA certificate (basicConstraints CA:TRUE).
  public var isCA: Bool {
    X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0
  }

  /// The profile this certificate fits, read from its extensions; nil if none.
  public var profile: CertificateProfile? {
    if isCA { return .certificateAuthority }
    guard X509_get_extension_flags(pointer) & UInt32(EXFLAG_XKUSAGE) != 0 else { return nil }
    let usage = X509_get_extended_key_usage(pointer)
    let server = usage & UInt32(XKU_SSL_SERVER) != 0
    let client = usage & UInt32(XKU_SSL_CLIENT) != 0
    if server && client { return .node }
    if client { return .client }
    return nil
  }

  /// The validator id: the address in the subject's UID attribute, checked against the certificate's
  /// own key (it must be the address of that Ed25519 key).
  public func validatorID() throws -> Address {
    guard let uid = subjectUID else {
      throw CertificateError(
        .missingValidatorID, "certificate \(subject) has no validator id (no UID in its subject)")
    }
    let claimed: Address
    do {
      claimed = try Address(hex: uid)
    } catch {
      throw CertificateError(
        .validatorIDMismatch, "certificate \(subject): the UID is not an address: \(error)")
    }
    guard let key = try? publicKey, let ed25519 = key.ed25519 else {
      throw CertificateError(
        .validatorIDMismatch,
        "certificate \(subject) names validator \(claimed) but its key is \(keyDescription), not Ed25519")
    }
    guard ed25519.address == claimed else {
      throw CertificateError(
        .validatorIDMismatch,
        "certificate \(subject) names validator \(claimed) but its key's address is \(ed25519.address)")
    }
    return claimed
  }

  // MARK: Verification

  /// Checks that this certificate was issued by `authority` (a pinned, self-signed CA certificate) and
  /// that both are valid at `date`, in OpenSSL's strict X.509 mode, optionally for a TLS purpose.
  public func verify(
    issuedBy authority: Certificate, at date: Date = Date(), purpose: CertificatePurpose = .any
  ) throws {
    guard authority.isCA else {
      throw CertificateError(
        .invalidCA, "the pinned certificate \(authority.subject) is not a CA certificate")
    }
    OpenSSLErrors.clear()
    guard let store = X509_STORE_new(), let context = X509_STORE_CTX_new() else {
      throw CertificateError(.other, "cannot create a verification context: \(OpenSSLErrors.drain())")
    }
    defer {
      X509_STORE_CTX_free(context)
      X509_STORE_free(store)
    }
    guard X509_STORE_add_cert(store, authority.pointer) == 1,
      X509_STORE_CTX_init(context, store, pointer, nil) == 1
    else {
      throw CertificateError(.other, "cannot set up certificate verification: \(OpenSSLErrors.drain())")
    }
    let parameters = X509_STORE_CTX_get0_param(context)
    X509_VERIFY_PARAM_set_time(parameters, time_t(date.timeIntervalSince1970.rounded(.down)))
    X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_X509_STRICT))
    switch purpose {
    case .any: break
    case .tlsServer: X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER)
    case .tlsClient: X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_CLIENT)
    }
    let result = X509_verify_cert(context)
    _ = OpenSSLErrors.drain()
    if result == 1 { return }
    let code = X509_STORE_CTX_get_error(context)
    let depth = X509_STORE_CTX_get_error_depth(context)
    let text = String(cString: X509_verify_cert_error_string(Int(code)))
    let which = depth == 0 ? "certificate \(subject)" : "CA certificate \(authority.subject)"
    let formatter = ISO8601DateFormatter()
    switch code {
    case X509_V_ERR_CERT_NOT_YET_VALID:
      let start = depth == 0 ? notBefore : authority.notBefore
      throw CertificateError(
        .notYetValid, "\(which) is not yet valid: valid from \(formatter.string(from: start))")
    case X509_V_ERR_CERT_HAS_EXPIRED:
      let end = depth == 0 ? notAfter : authority.notAfter
      throw CertificateError(.expired, "\(which) expired at \(formatter.string(from: end))")
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
      X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
      X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      throw CertificateError(
        .unknownIssuer,
        "certificate \(subject) was not issued by the pinned CA \(authority.subject) (issuer: \(issuer))")
    case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
      X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      throw CertificateError(
        .badSignature,
        "\(which) has a bad signature: its bytes were modified or it was not signed by \(authority.subject)")
    case X509_V_ERR_INVALID_CA, X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      throw CertificateError(.invalidCA, "\(which): \(text)")
    case X509_V_ERR_INVALID_PURPOSE:
      throw CertificateError(.wrongPurpose, "certificate \(subject) is not valid for \(purpose): \(text)")
    default:
      throw CertificateError(.other, "\(which) failed verification: \(text)")
    }
  }

  // MARK: Helpers

  private static func attributes(of name: OpaquePointer?) -> [(name: String, value: String)] {
    guard let name else { return [] }
    var result: [(name: String, value: String)] = []
    for index in 0..<X509_NAME_entry_count(name) {
      guard let entry = X509_NAME_get_entry(name, index) else { continue }
      let nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry))
      let short = OBJ_nid2sn(nid).map { String(cString: $0) } ?? "?"
      var utf8: UnsafeMutablePointer<UInt8>?
      let length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry))
      guard length >= 0, let utf8 else {
        _ = OpenSSLErrors.drain()
        continue
      }
      result.append(
        (short, String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)))
      sehc_OPENSSL_free(utf8)
    }
    return result
  }

  private static func format(_ attributes: [(name: String, value: String)]) -> String {
    attributes.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
  }

  private var subjectAltNames: (dns: [String], ip: [String]) {
    guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else {
      _ = OpenSSLErrors.drain()
      return ([], [])
    }
    let names = OpaquePointer(raw)
    defer { GENERAL_NAMES_free(names) }
    var dns: [String] = []
    var ip: [String] = []
    for index in 0..<sehc_sk_GENERAL_NAME_num(names) {
      guard let name = sehc_sk_GENERAL_NAME_value(names, index) else { continue }
      switch name.pointee.type {
      case GEN_DNS:
        if let value = name.pointee.d.dNSName { dns.append(Certificate.string(value)) }
      case GEN_IPADD:
        if let value = name.pointee.d.iPAddress { ip.append(Certificate.ipString(value)) }
      default:
        break
      }
    }
    return (dns, ip)
  }

  private static func string(_ value: UnsafeMutablePointer<ASN1_STRING>) -> String {
    let length = Int(ASN1_STRING_length(value))
    guard let data = ASN1_STRING_get0_data(value), length > 0 else { return "" }
    return String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self)
  }

  private static func ipString(_ value: UnsafeMutablePointer<ASN1_STRING>) -> String {
    let length = Int(ASN1_STRING_length(value))
    guard let data = ASN1_STRING_get0_data(value) else { return "" }
    var text = [CChar](repeating: 0, count: 64)
    let family: Int32
    switch length {
    case 4: family = AF_INET
    case 16: family = AF_INET6
    default: return Data(bytes: data, count: length).hexString
    }
    guard inet_ntop(family, data, &text, socklen_t(text.count)) != nil else { return "" }
    return cString(text)
  }

  private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
    var parts = tm()
    guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else {
      _ = OpenSSLErrors.drain()
      return Date(timeIntervalSince1970: 0)
    }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
  }
}

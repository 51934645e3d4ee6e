internal import COpenSSL
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The consortium CA: an Ed25519 key and its self-signed certificate. It issues node certificates
/// (validators) and client certificates (DESIGN §6 Identity).
///
/// Profiles (see docs/crypto.md):
/// - CA: subject CN (and O when given); basicConstraints critical CA:TRUE, pathlen 0; keyUsage
///   critical keyCertSign, cRLSign; SKI; AKI (keyid).
/// - node: subject CN = name and, for an Ed25519 key, UID = the key's address (the validator id);
///   basicConstraints critical CA:FALSE; keyUsage critical digitalSignature; extKeyUsage serverAuth,
///   clientAuth; subjectAltName with the DNS names and IP addresses; SKI; AKI.
/// - client: like node, with extKeyUsage clientAuth only and no subjectAltName. Ed25519 client
///   certificates carry the user's address as UID too.
///
/// Serial numbers are 128 random bits. Certificates start 5 minutes in the past, to tolerate clock
/// skew between the issuer and the first verifier.
public struct CertificateAuthority: Sendable {
  /// The CA certificate (what every node pins).
  public let certificate: Certificate
  /// The CA's signing key.
  public let key: CertificateKey

  /// How far in the past a new certificate's validity starts.
  public static let backdating: TimeInterval = 300

  /// A CA from its certificate and key; checks that they belong together and that the certificate is
  /// a CA certificate.
  public init(certificate: Certificate, key: CertificateKey) throws {
    guard certificate.isCA else {
      throw CryptoError.certificate(
        CertificateError(.invalidCA, "\(certificate.subject) is not a CA certificate"))
    }
    guard let certified = try? certificate.publicKey, certified.key.hasSamePublicKey(as: key.key) else {
      throw CryptoError.certificate(
        CertificateError(.invalidCA, "the CA key does not match the CA certificate \(certificate.subject)"))
    }
    self.certificate = certificate
    self.key = key
  }

  /// Loads `DIR/ca.pem` and `DIR/ca.key` (the key file must be mode 0600).
  public init(directory: String) throws {
    let (certificatePath, keyPath) = CertificateAuthority.paths(in: directory)
    try self.init(
      certificate: Certificate(contentsOfFile: certificatePath), key: CertificateKey(contentsOfFile: keyPath))
  }

  /// The file names of a CA directory: `ca.pem` and `ca.key`.
  public static func paths(in directory: String) -> (certificate: String, key: String) {
    (
      (directory as NSString).appendingPathComponent("ca.pem"),
      (directory as NSString).appendingPathComponent("ca.key")
    )
  }

  /// Creates a new CA with a fresh Ed25519 key (or `key`), valid for `days` from `now`.
  public static func create(
    name: String, organization: String? = nil, days: Int = 3650, key: Ed25519.PrivateKey? = nil,
    now: Date = Date()
  ) throws -> CertificateAuthority {
    let signingKey = try key.map(CertificateKey.init) ?? CertificateKey(generating: .ed25519)
    var subject: [(Int32, String)] = []
    if let organization { subject.append((NID_organizationName, organization)) }
    subject.append((NID_commonName, name))
    let builder = try CertificateBuilder(
      subject: subject, publicKey: signingKey.key, days: days, now: now,
      extensions: [
        (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
        (NID_key_usage, "critical,keyCertSign,cRLSign"),
        (NID_subject_key_identifier, "hash"),
        (NID_authority_key_identifier, "keyid:always"),
      ])
    let certificate = try builder.sign(issuer: nil, issuerKey: signingKey.key)
    return try CertificateAuthority(certificate: certificate, key: signingKey)
  }

  /// Issues a validator node certificate for `publicKey`: CN = `name`, UID = the key's address when
  /// it is Ed25519, and `hosts` (DNS names or IP addresses) as subjectAltNames.
  ///
  /// Use an Ed25519 key for peer links (its address is the validator id). A P-256 node certificate
  /// (no validator id) serves TLS clients whose stack has no Ed25519, such as grpcio.
  public func issueNodeCertificate(
    name: String, publicKey: SubjectPublicKey, hosts: [String] = [], days: Int = 365, now: Date = Date()
  ) throws -> Certificate {
    var extensions = leafExtensions(extendedKeyUsage: "serverAuth,clientAuth")
    if !hosts.isEmpty {
      extensions.append((NID_subject_alt_name, try CertificateAuthority.subjectAltNames(hosts)))
    }
    return try issue(name: name, publicKey: publicKey, days: days, now: now, extensions: extensions)
  }

  /// Issues a client certificate (clientAuth) for an Ed25519 or P-256 key.
  public func issueClientCertificate(
    name: String, publicKey: SubjectPublicKey, days: Int = 365, now: Date = Date()
  ) throws -> Certificate {
    try issue(
      name: name, publicKey: publicKey, days: days, now: now,
      extensions: leafExtensions(extendedKeyUsage: "clientAuth"))
  }

  /// Writes `DIR/ca.pem` (0644) and `DIR/ca.key` (0600), creating DIR if needed. Refuses to replace
  /// either file unless `overwrite`.
  public func write(toDirectory directory: String, overwrite: Bool = false) throws {
    try CertificateAuthority.makeDirectory(directory)
    let (certificatePath, keyPath) = CertificateAuthority.paths(in: directory)
    if !overwrite {
      for path in [certificatePath, keyPath] where FileManager.default.fileExists(atPath: path) {
        throw CryptoError.fileExists(path: path)
      }
    }
    try key.write(toFile: keyPath, overwrite: overwrite)
    try certificate.write(toFile: certificatePath, overwrite: overwrite)
  }

  /// Creates `directory` (and its parents) if it does not exist.
  public static func makeDirectory(_ directory: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw CryptoError.fileSystem(
          path: directory, operation: "use", reason: "it exists and is not a directory")
      }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw CryptoError.fileSystem(path: directory, operation: "create", reason: error.localizedDescription)
    }
  }

  // MARK: Internals

  func issue(
    name: String, publicKey: SubjectPublicKey, days: Int, now: Date, extensions: [(Int32, String)],
    uidOverride: String? = nil
  ) throws -> Certificate {
    guard publicKey.algorithm != nil else {
      throw CryptoError.unsupportedKey(
        "certificates are issued for Ed25519 or ECDSA P-256 keys, not \(publicKey.typeDescription)")
    }
    var subject: [(Int32, String)] = [(NID_commonName, name)]
    if let uid = uidOverride ?? publicKey.ed25519?.address.hex {
      subject.append((NID_userId, uid))
    }
    let builder = try CertificateBuilder(
      subject: subject, publicKey: publicKey.key, days: days, now: now, extensions: extensions)
    return try builder.sign(issuer: certificate, issuerKey: key.key)
  }

  func leafExtensions(extendedKeyUsage: String) -> [(Int32, String)] {
    [
      (NID_basic_constraints, "critical,CA:FALSE"),
      (NID_key_usage, "critical,digitalSignature"),
      (NID_ext_key_usage, extendedKeyUsage),
      (NID_subject_key_identifier, "hash"),
      (NID_authority_key_identifier, "keyid:always"),
    ]
  }

  /// The subjectAltName value for OpenSSL's configuration syntax. Every host is validated first, so
  /// nothing a caller passes can inject another name or option (no commas, colons only in IPv6
  /// addresses, which are re-formatted by inet_ntop).
  static func subjectAltNames(_ hosts: [String]) throws -> String {
    var names: [String] = []
    for host in hosts {
      let name = try HostName(host)
      switch name {
      case .dns(let dns): names.append("DNS:\(dns)")
      case .ip(let ip): names.append("IP:\(ip)")
      }
    }
    return names.joined(separator: ",")
  }
}

/// A host for a certificate: a DNS name or an IP address.
public enum HostName: Sendable, Hashable, CustomStringConvertible {
  case dns(String)
  case ip(String)

  /// Parses `text`: an IPv4 or IPv6 address (re-formatted canonically), else a DNS name of letters,
  /// digits and hyphens (labels of 1 to 63 characters, 253 in all, lowercased; a leading "*." label
  /// is allowed). Throws with the reason otherwise.
  public init(_ text: String) throws {
    var v4 = in_addr()
    var v6 = in6_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      self = .ip(HostName.format(AF_INET, &v4))
      return
    }
    if inet_pton(AF_INET6, text, &v6) == 1 {
      self = .ip(HostName.format(AF_INET6, &v6))
      return
    }
    let lower = text.lowercased()
    guard !lower.isEmpty, lower.utf8.count <= 253 else {
      throw CryptoError.invalidParameter(
        "host \"\(text)\" must be an IP address or a DNS name of 1 to 253 characters")
    }
    var labels = lower.split(separator: ".", omittingEmptySubsequences: false)
    if labels.first == "*" && labels.count > 2 { labels.removeFirst() }
    for label in labels {
      let valid =
        (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
        && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
      guard valid else {
        throw CryptoError.invalidParameter(
          "host \"\(text)\" is neither an IP address nor a DNS name (labels of letters, digits and inner hyphens)"
        )
      }
    }
    self = .dns(lower)
  }

  public var description: String {
    switch self {
    case .dns(let name): return name
    case .ip(let address): return address
    }
  }

  private static func format(_ family: Int32, _ address: UnsafeRawPointer) -> String {
    var text = [CChar](repeating: 0, count: 64)
    inet_ntop(family, address, &text, socklen_t(text.count))
    return cString(text)
  }
}

/// Builds and signs one certificate.
struct CertificateBuilder {
  let subject: [(Int32, String)]
  let publicKey: PKey
  let notBefore: Date
  let notAfter: Date
  let extensions: [(Int32, String)]

  init(subject: [(Int32, String)], publicKey: PKey, days: Int, now: Date, extensions: [(Int32, String)])
    throws
  {
    guard (1...36500).contains(days) else {
      throw CryptoError.invalidParameter("a certificate's validity must be 1 to 36500 days, not \(days)")
    }
    for (_, value) in subject {
      guard (1...64).contains(value.count),
        !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
      else {
        throw CryptoError.invalidParameter(
          "a certificate name must be 1 to 64 characters with no control characters: \"\(value)\"")
      }
    }
    self.subject = subject
    self.publicKey = publicKey
    self.notBefore = now.addingTimeInterval(-CertificateAuthority.backdating)
    self.notAfter = now.addingTimeInterval(TimeInterval(days) * 86400)
    self.extensions = extensions
  }

  init(
    subject: [(Int32, String)], publicKey: PKey, notBefore: Date, notAfter: Date,
    extensions: [(Int32, String)]
  ) {
    self.subject = subject
    self.publicKey = publicKey
    self.notBefore = notBefore
    self.notAfter = notAfter
    self.extensions = extensions
  }

  /// Signs with `issuerKey`; `issuer` nil means self-signed.
  func sign(issuer: Certificate?, issuerKey: PKey) throws -> Certificate {
    OpenSSLErrors.clear()
    let x509 = try checkNotNull("creating a certificate", X509_new())
    let certificate = Certificate(taking: x509)  // frees x509 on any error below
    try check("setting the certificate version", X509_set_version(x509, 2))
    try setSerial(x509)
    try check("setting notBefore", X509_time_set(X509_getm_notBefore(x509), notBefore))
    try check("setting notAfter", X509_time_set(X509_getm_notAfter(x509), notAfter))
    let name = try checkNotNull("reading the subject name", X509_get_subject_name(x509))
    for (nid, value) in subject {
      var bytes = Array(value.utf8)
      try check(
        "adding \(String(cString: OBJ_nid2sn(nid))) to the subject",
        X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, &bytes, Int32(bytes.count), -1, 0))
    }
    try check(
      "setting the issuer",
      X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.pointer) } ?? name))
    try check("setting the public key", X509_set_pubkey(x509, publicKey.pointer))
    var context = X509V3_CTX()
    X509V3_set_ctx(&context, issuer?.pointer ?? x509, x509, nil, nil, 0)
    for (nid, value) in extensions {
      let what = "adding the \(String(cString: OBJ_nid2sn(nid))) extension"
      let ext = try checkNotNull(what, X509V3_EXT_conf_nid(nil, &context, nid, value))
      defer { X509_EXTENSION_free(ext) }
      try check(what, X509_add_ext(x509, ext, -1))
    }
    // Ed25519 signs the whole TBSCertificate itself: no separate digest (md = NULL).
    let isEd25519 = issuerKey.isA("ED25519")
    guard X509_sign(x509, issuerKey.pointer, isEd25519 ? nil : EVP_sha256()) > 0 else {
      throw OpenSSLErrors.error("signing the certificate")
    }
    return certificate
  }

  private func setSerial(_ x509: OpaquePointer) throws {
    var bytes = [UInt8](try SecureRandom.bytes(count: 16))
    bytes[0] = (bytes[0] & 0x7f) | 0x01  // positive, 16 bytes long
    let bignum = try checkNotNull("making a serial number", BN_bin2bn(&bytes, Int32(bytes.count), nil))
    defer { BN_free(bignum) }
    let serial = try checkNotNull("making a serial number", BN_to_ASN1_INTEGER(bignum, nil))
    defer { ASN1_INTEGER_free(serial) }
    try check("setting the serial number", X509_set_serialNumber(x509, serial))
  }
}

/// Sets an ASN1_TIME (UTCTime before 2050, GeneralizedTime after, as RFC 5280 says).
private func X509_time_set(_ time: UnsafeMutablePointer<ASN1_TIME>?, _ date: Date) -> Int32 {
  ASN1_TIME_set(time, time_t(date.timeIntervalSince1970.rounded(.down))) == nil ? 0 : 1
}

import ArgumentParser
import ChainCrypto
import Foundation

/// `sehc cert`: node and client certificates issued by the consortium CA.
struct Cert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Issue, show and verify certificates.",
    subcommands: [Issue.self, Show.self, Verify.self]
  )

  enum Kind: String, EnumerableFlag {
    case node, client

    static func help(for value: Kind) -> ArgumentHelp? {
      switch value {
      case .node: return "A validator node certificate (serverAuth and clientAuth, with DNS/IP names)."
      case .client: return "A client certificate (clientAuth)."
      }
    }
  }

  /// `sehc cert issue`.
  struct Issue: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Issue a certificate: writes OUTDIR/NAME.pem and OUTDIR/NAME.key (mode 0600).",
      discussion: """
        Node certificates carry the validator id (the address of the node's Ed25519 key) as the \
        subject's UID. Use --key-type p256 for a TLS endpoint that clients without Ed25519 (such as \
        grpcio) must reach; such a certificate has no validator id. With --key or --public-key the \
        certificate is issued for an existing key and no key file is written: with --public-key the \
        CA never sees the private key.
        """
    )

    @Option(help: ArgumentHelp("The CA directory (with ca.pem and ca.key).", valueName: "dir"))
    var ca: String

    @Flag(help: "What to issue.")
    var kind: Kind

    @Option(
      help: "The certificate's name: its CN and the output file names (letters, digits, '.', '_', '-').")
    var name: String

    @Option(
      name: .customLong("host"),
      help: ArgumentHelp("A DNS name or IP address of the node (repeat for several).", valueName: "host"))
    var hosts: [String] = []

    @Option(help: ArgumentHelp("The output directory (created if missing).", valueName: "outdir"))
    var out: String

    @Option(help: ArgumentHelp("The key type of a new key: ed25519 or p256.", valueName: "type"))
    var keyType: KeyAlgorithm?

    @Option(
      help: ArgumentHelp("Certify this existing private key instead of making a new one.", valueName: "file"))
    var key: String?

    @Option(
      help: ArgumentHelp(
        "Certify this public key (PEM, from sehc keygen --public-out): no private key is written or read.",
        valueName: "file"))
    var publicKey: String?

    @Option(help: "Days the certificate is valid.")
    var days = 365

    @Flag(help: "Replace existing output files.")
    var force = false

    func validate() throws {
      let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
      guard !name.isEmpty, name.count <= 64, name.allSatisfy(allowed.contains), !name.hasPrefix(".") else {
        throw CommandLineError(
          "--name \"\(name)\" must be 1 to 64 letters, digits, '.', '_' or '-' (it names the output files)")
      }
      if kind == .client && !hosts.isEmpty {
        throw CommandLineError("--host applies to node certificates only; remove it or use --node")
      }
      if key != nil && publicKey != nil {
        throw CommandLineError("give --key FILE or --public-key FILE, not both")
      }
      if (key != nil || publicKey != nil) && keyType != nil {
        throw CommandLineError(
          "--key-type applies to new keys only; remove it when certifying an existing key")
      }
    }

    func run() throws {
      let caFiles = CertificateAuthority.paths(in: ca)
      guard FileManager.default.fileExists(atPath: caFiles.certificate) else {
        throw CommandLineError(
          "no CA in \(ca) (\(caFiles.certificate) not found); create one with: sehc ca init --dir \(ca)")
      }
      let authority = try CertificateAuthority(directory: ca)
      let certificatePath = (out as NSString).appendingPathComponent("\(name).pem")
      let keyPath = (out as NSString).appendingPathComponent("\(name).key")
      let newKey: CertificateKey?
      let subjectPublicKey: SubjectPublicKey
      if let publicKey {
        newKey = nil
        subjectPublicKey = try SubjectPublicKey(contentsOfFile: publicKey)
      } else if let key {
        newKey = nil
        subjectPublicKey = try CertificateKey(contentsOfFile: key).publicKey
      } else {
        newKey = try CertificateKey(generating: keyType ?? .ed25519)
        subjectPublicKey = newKey!.publicKey
      }
      guard let algorithm = subjectPublicKey.algorithm else {
        throw CommandLineError(
          "\(publicKey ?? key ?? "the key") holds a \(subjectPublicKey.typeDescription) key; "
            + "certificates are issued for Ed25519 or P-256 keys (sehc keygen --key-type ed25519|p256)")
      }
      let certificate: Certificate
      switch kind {
      case .node:
        certificate = try authority.issueNodeCertificate(
          name: name, publicKey: subjectPublicKey, hosts: hosts, days: days)
      case .client:
        certificate = try authority.issueClientCertificate(
          name: name, publicKey: subjectPublicKey, days: days)
      }
      try CertificateAuthority.makeDirectory(out)
      if !force && FileManager.default.fileExists(atPath: certificatePath) {
        throw CryptoError.fileExists(path: certificatePath)
      }
      try newKey?.write(toFile: keyPath, overwrite: force)
      try certificate.write(toFile: certificatePath, overwrite: force)
      if newKey != nil {
        print("wrote \(certificatePath) and \(keyPath)")
      } else {
        print("wrote \(certificatePath) (for the key in \(publicKey ?? key ?? ""))")
      }
      var summary = "\(kind.rawValue) certificate \(certificate.subject), \(algorithm.displayName)"
      summary += ", valid until \(displayDate(certificate.notAfter))"
      print(summary)
    }
  }

  /// `sehc cert show`.
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a certificate's subject, validator id, key type, names and validity.")

    @Argument(help: ArgumentHelp("A PEM certificate file.", valueName: "file"))
    var file: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
      let certificate = try Certificate(contentsOfFile: file)
      let summary = CertificateSummary(certificate)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        return
      }
      let validator: String
      if let id = summary.validatorId {
        validator = "\(id) (the address of the certificate's key)"
      } else if let problem = summary.validatorIdProblem {
        validator = "none: \(problem)"
      } else {
        validator = "none"
      }
      let rows: [(String, String)] = [
        ("subject", summary.subject),
        ("issuer", summary.issuer),
        ("profile", summary.profile ?? "unknown"),
        ("validator id", validator),
        ("key type", summary.keyType),
        ("DNS names", summary.dnsNames.isEmpty ? "-" : summary.dnsNames.joined(separator: ", ")),
        ("IP addresses", summary.ipAddresses.isEmpty ? "-" : summary.ipAddresses.joined(separator: ", ")),
        ("not before", displayDate(summary.notBefore)),
        ("not after", displayDate(summary.notAfter)),
        ("serial", summary.serial),
        ("SHA-256", summary.fingerprintSha256),
      ]
      for (label, value) in rows {
        print("\((label + ":").padding(toLength: 14, withPad: " ", startingAt: 0))\(value)")
      }
    }
  }

  /// `sehc cert verify`.
  struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a certificate against the pinned CA (DIR/ca.pem): chain, signature, validity, purpose."
    )

    @Option(help: ArgumentHelp("The CA directory, or the CA certificate file.", valueName: "dir"))
    var ca: String

    @Option(help: ArgumentHelp("Also check the TLS purpose: server or client.", valueName: "purpose"))
    var purpose: PurposeOption?

    @Argument(help: ArgumentHelp("A PEM certificate file.", valueName: "file"))
    var file: String

    enum PurposeOption: String, ExpressibleByArgument {
      case server, client
    }

    func run() throws {
      var isDirectory: ObjCBool = false
      let caPath =
        FileManager.default.fileExists(atPath: ca, isDirectory: &isDirectory) && isDirectory.boolValue
        ? CertificateAuthority.paths(in: ca).certificate : ca
      let authority = try Certificate(contentsOfFile: caPath)
      let certificate = try Certificate(contentsOfFile: file)
      let checked: CertificatePurpose
      switch purpose {
      case .server: checked = .tlsServer
      case .client: checked = .tlsClient
      case nil: checked = .any
      }
      try certificate.verify(issuedBy: authority, purpose: checked)
      var line = "OK: \(certificate.subject) issued by \(authority.subject)"
      if certificate.subjectUID != nil {
        line += ", validator id \(try certificate.validatorID())"
      }
      print(line)
    }
  }
}

extension KeyAlgorithm: ExpressibleByArgument {}

/// What `sehc cert show --json` prints.
struct CertificateSummary: Encodable {
  var subject: String
  var issuer: String
  var commonName: String?
  var profile: String?
  var validatorId: String?
  var validatorIdProblem: String?
  var keyType: String
  var dnsNames: [String]
  var ipAddresses: [String]
  var notBefore: Date
  var notAfter: Date
  var serial: String
  var fingerprintSha256: String
  var isCA: Bool

  init(_ certificate: Certificate) {
    subject = certificate.subject
    issuer = certificate.issuer
    commonName = certificate.commonName
    profile = certificate.profile?.rawValue
    if certificate.subjectUID != nil {
      do {
        validatorId = try certificate.validatorID().hex
      } catch {
        validatorIdProblem = "\(error)"
      }
    }
    keyType = certificate.keyDescription
    dnsNames = certificate.dnsNames
    ipAddresses = certificate.ipAddresses
    notBefore = certificate.notBefore
    notAfter = certificate.notAfter
    serial = certificate.serialNumber
    fingerprintSha256 = certificate.fingerprint.hex
    isCA = certificate.isCA
  }

  func encode(to encoder: any Encoder) throws {
    // Explicit nulls, so that scripts can rely on every key being present.
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(subject, forKey: .subject)
    try container.encode(issuer, forKey: .issuer)
    try container.encode(commonName, forKey: .commonName)
    try container.encode(profile, forKey: .profile)
    try container.encode(validatorId, forKey: .validatorId)
    try container.encode(validatorIdProblem, forKey: .validatorIdProblem)
    try container.encode(keyType, forKey: .keyType)
    try container.encode(dnsNames, forKey: .dnsNames)
    try container.encode(ipAddresses, forKey: .ipAddresses)
    try container.encode(notBefore, forKey: .notBefore)
    try container.encode(notAfter, forKey: .notAfter)
    try container.encode(serial, forKey: .serial)
    try container.encode(fingerprintSha256, forKey: .fingerprintSha256)
    try container.encode(isCA, forKey: .isCA)
  }

  enum CodingKeys: String, CodingKey {
    case subject, issuer, commonName, profile, validatorId, validatorIdProblem, keyType, dnsNames,
      ipAddresses,
      notBefore, notAfter, serial, fingerprintSha256, isCA
  }
}

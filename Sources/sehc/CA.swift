import ArgumentParser
import ChainCrypto
import Foundation

/// `sehc ca`: the consortium certificate authority.
struct CA: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ca",
    abstract: "Manage the consortium certificate authority.",
    subcommands: [Init.self]
  )

  /// `sehc ca init`: a new CA key and self-signed certificate.
  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a consortium CA: DIR/ca.pem (certificate) and DIR/ca.key (Ed25519 key, mode 0600)."
    )

    @Option(help: ArgumentHelp("The CA directory (created if missing).", valueName: "dir"))
    var dir: String

    @Option(help: "The CA's common name.")
    var name = "SeHealthChain Consortium CA"

    @Option(help: ArgumentHelp("The consortium's name (the certificate's O attribute).", valueName: "org"))
    var organization: String?

    @Option(help: "Days the CA certificate is valid.")
    var days = 3650

    @Flag(help: "Replace an existing CA in DIR.")
    var force = false

    func run() throws {
      let authority = try CertificateAuthority.create(name: name, organization: organization, days: days)
      try authority.write(toDirectory: dir, overwrite: force)
      let (certificatePath, keyPath) = CertificateAuthority.paths(in: dir)
      print("wrote \(certificatePath) and \(keyPath)")
      print("CA \(authority.certificate.subject), valid until \(displayDate(authority.certificate.notAfter))")
      print("fingerprint (SHA-256) \(authority.certificate.fingerprint.hex)")
    }
  }
}

/// A date as ISO 8601 in UTC, for display.
func displayDate(_ date: Date) -> String {
  ISO8601DateFormatter().string(from: date)
}

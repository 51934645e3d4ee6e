import ArgumentParser
import ChainCrypto
import Foundation

/// `sehc keygen`: a new private key in a PEM file only its owner can read.
struct Keygen: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a new private key (PKCS#8 PEM, mode 0600); for Ed25519, print its address.",
    discussion: """
      The address is the first 20 bytes of SHA-256 of the Ed25519 public key, in hex: the account or \
      validator id of whoever holds the key. --public-out also writes the public key, which is all \
      the consortium CA needs to certify it (sehc cert issue --public-key): the private key never \
      leaves this machine. A P-256 key (--key-type p256) is for the client port's TLS certificate \
      only and has no address.
      """
  )

  @Option(name: .long, help: ArgumentHelp("The key file to create.", valueName: "file"))
  var out: String

  @Option(help: ArgumentHelp("Also write the public key (PEM, mode 0644) to this file.", valueName: "file"))
  var publicOut: String?

  @Option(help: ArgumentHelp("ed25519 (validators, accounts) or p256 (client-port TLS).", valueName: "type"))
  var keyType: KeyAlgorithm = .ed25519

  @Flag(help: "Replace the files if they exist.")
  var force = false

  func validate() throws {
    if let publicOut, publicOut == out {
      throw CommandLineError("--public-out must name another file than --out (\(out))")
    }
  }

  func run() throws {
    let key = try CertificateKey(generating: keyType)
    if let publicOut, !force, FileManager.default.fileExists(atPath: publicOut) {
      throw CryptoError.fileExists(path: publicOut)
    }
    try key.write(toFile: out, overwrite: force)
    if let publicOut {
      try key.publicKey.write(toFile: publicOut, overwrite: force)
    }
    if let address = key.ed25519?.address {
      print(address.hex)
    }
  }
}

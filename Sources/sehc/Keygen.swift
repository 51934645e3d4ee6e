import ArgumentParser
import ChainCrypto

/// `sehc keygen`: a new Ed25519 key in a PEM file only its owner can read.
struct Keygen: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a new Ed25519 private key (PKCS#8 PEM, mode 0600) and print its address.",
    discussion: """
      The address is the first 20 bytes of SHA-256 of the public key, in hex: the account or \
      validator id of whoever holds the key.
      """
  )

  @Option(name: .long, help: ArgumentHelp("The key file to create.", valueName: "file"))
  var out: String

  @Flag(help: "Replace the file if it exists.")
  var force = false

  func run() throws {
    let key = try Ed25519.PrivateKey()
    try key.write(toFile: out, overwrite: force)
    print(key.address.hex)
  }
}

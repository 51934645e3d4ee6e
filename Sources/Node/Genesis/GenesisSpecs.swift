import ChainCrypto
import Foundation
import Wire

/// The command-line forms of `sehc genesis`'s validators and participants, parsed with errors that
/// quote the spec:
///
///     NAME=CERT.pem,peer=HOST:PORT,client=HOST:PORT[,reputation=PPM]
///     ROLE=KEY,org=ORGANISATION[,name=DISPLAY NAME][,balance=N]
///
/// A value may contain commas: a comma starts a new item only when a known key and `=` follow it.
/// A participant's KEY is 64 hex digits (the raw public key) or a PEM file with an Ed25519 public
/// key, private key (mode 0600) or certificate.
public enum GenesisSpecs {
  /// Why a spec was refused.
  public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, quoting the spec.
    public var description: String
  }

  /// A validator from `NAME=CERT.pem,peer=HOST:PORT,client=HOST:PORT[,reputation=PPM]`; the
  /// certificate is read from the file (relative to the current directory).
  public static func validator(_ spec: String) throws(SpecError) -> GenesisBuilder.ValidatorInput {
    let (head, items) = try split(spec, keys: ["peer", "client", "reputation"], form: validatorForm)
    guard let peer = items["peer"], let client = items["client"] else {
      let missing = ["peer", "client"].filter { items[$0] == nil }.map { "\($0)=" }.joined(separator: " and ")
      throw SpecError(description: "validator \"\(spec)\" has no \(missing); write \(validatorForm)")
    }
    var reputation: UInt32 = 0
    if let text = items["reputation"] {
      guard let value = UInt32(text), value <= 1_000_000 else {
        throw SpecError(
          description: "validator \"\(spec)\": reputation=\(text) is not a ppm value from 0 to 1000000")
      }
      reputation = value
    }
    let certificate: Certificate
    do {
      certificate = try Certificate(contentsOfFile: head.value)
    } catch {
      throw SpecError(description: "validator \(head.key): cannot read certificate \(head.value): \(error)")
    }
    return GenesisBuilder.ValidatorInput(
      name: head.key, certificate: certificate, peerEndpoint: peer, clientEndpoint: client,
      initialReputationPPM: reputation)
  }

  /// A participant from `ROLE=KEY,org=ORGANISATION[,name=DISPLAY NAME][,balance=N]`.
  public static func participant(_ spec: String) throws(SpecError) -> GenesisParticipant {
    let (head, items) = try split(spec, keys: ["org", "name", "balance"], form: participantForm)
    guard let role = Role(name: head.key) else {
      let roles = Role.assignable.map(\.name).joined(separator: ", ")
      throw SpecError(
        description: "participant \"\(spec)\": \"\(head.key)\" is not a role; use one of \(roles)")
    }
    guard let organisation = items["org"] else {
      throw SpecError(description: "participant \"\(spec)\" needs org=; write \(participantForm)")
    }
    var balance: UInt64 = 0
    if let text = items["balance"] {
      guard let value = UInt64(text) else {
        throw SpecError(
          description: "participant \"\(spec)\": balance=\(text) is not a whole number of tokens")
      }
      balance = value
    }
    let key: Ed25519.PublicKey
    do {
      key = try publicKey(head.value)
    } catch {
      throw SpecError(description: "participant \"\(spec)\": \(error)")
    }
    return GenesisParticipant(
      publicKey: key.rawRepresentation, role: role, organisation: organisation,
      displayName: items["name"] ?? "",
      balance: balance)
  }

  static let validatorForm = "NAME=CERT.pem,peer=HOST:PORT,client=HOST:PORT[,reputation=PPM]"
  static let participantForm = "ROLE=KEY_OR_PEM,org=ORGANISATION[,name=DISPLAY NAME][,balance=N]"

  /// The Ed25519 public key in `text`: 64 hex digits, or a PEM file holding a public key, a private
  /// key or a certificate.
  static func publicKey(_ text: String) throws -> Ed25519.PublicKey {
    if text.utf8.count == 64, text.allSatisfy(\.isHexDigit) {
      var bytes = Data()
      var index = text.startIndex
      while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
      }
      return try Ed25519.PublicKey(rawRepresentation: bytes)
    }
    guard FileManager.default.fileExists(atPath: text) else {
      throw SpecError(description: "\(text) is neither 64 hex digits of a public key nor a PEM file")
    }
    let pem = try String(contentsOfFile: text, encoding: .utf8)
    if pem.contains("BEGIN CERTIFICATE") {
      guard let key = try Certificate(pemRepresentation: pem).publicKey.ed25519 else {
        throw SpecError(description: "the certificate in \(text) has no Ed25519 key")
      }
      return key
    }
    if pem.contains("BEGIN PUBLIC KEY") { return try Ed25519.PublicKey(pemRepresentation: pem) }
    if pem.contains("BEGIN PRIVATE KEY") { return try Ed25519.PrivateKey(contentsOfFile: text).publicKey }
    throw SpecError(description: "\(text) holds no PEM public key, private key or certificate")
  }

  /// The leading `KEY=VALUE` and the following `key=value` items of `spec`.
  private static func split(
    _ spec: String, keys: Set<String>, form: String
  ) throws(SpecError) -> (head: (key: String, value: String), items: [String: String]) {
    let raw = spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    var pieces = [raw[0]]
    for piece in raw.dropFirst() {
      let key = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
      if piece.contains("="), keys.contains(String(key)) {
        pieces.append(piece)
      } else {
        pieces[pieces.count - 1] += "," + piece
      }
    }
    let first = pieces[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    guard first.count == 2, !first[0].isEmpty, !first[1].isEmpty else {
      throw SpecError(description: "\"\(spec)\" does not start with KEY=VALUE; write \(form)")
    }
    var items: [String: String] = [:]
    for piece in pieces.dropFirst() {
      let pair = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let key = String(pair[0])
      guard items[key] == nil else { throw SpecError(description: "\"\(spec)\" gives \(key)= twice") }
      items[key] = pair.count == 2 ? String(pair[1]) : ""
    }
    return ((String(first[0]), String(first[1])), items)
  }
}

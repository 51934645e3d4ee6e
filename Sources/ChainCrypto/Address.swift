import Foundation

/// An account or validator address: the first 20 bytes of SHA-256 of an Ed25519 public key (DESIGN
/// §4), shown as 40 lowercase hex digits. A validator's id is the address of its node key.
///
/// Ordered byte-wise, which is also the order of the hex strings.
public struct Address: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
  /// The length of an address in bytes.
  public static let byteCount = 20

  /// The 20 address bytes.
  public let rawRepresentation: Data

  /// The address of `publicKey`.
  public init(publicKey: Ed25519.PublicKey) {
    rawRepresentation = SHA256.hash(publicKey.rawRepresentation).data.prefix(Address.byteCount)
  }

  /// An address from its 20 bytes.
  public init(rawRepresentation: Data) throws {
    guard rawRepresentation.count == Address.byteCount else {
      throw CryptoError.invalidLength(
        what: "an address", expected: Address.byteCount, actual: rawRepresentation.count)
    }
    self.rawRepresentation = Data(rawRepresentation)
  }

  /// Parses 40 hex digits (either case; no "0x" prefix). The error says what is wrong: the length,
  /// or the first character that is not a hex digit and where it is.
  public init(hex: String) throws {
    let utf8 = Array(hex.utf8)
    if utf8.starts(with: Array("0x".utf8)) || utf8.starts(with: Array("0X".utf8)) {
      throw CryptoError.invalidEncoding(
        what: "address \"\(hex)\"", detail: "remove the 0x prefix: an address is 40 hex digits")
    }
    if let position = utf8.firstIndex(where: { hexValue($0) == nil }) {
      let character = hex[hex.utf8.index(hex.utf8.startIndex, offsetBy: position)]
      throw CryptoError.invalidEncoding(
        what: "address \"\(hex)\"",
        detail: "character \"\(character)\" at position \(position + 1) is not a hex digit")
    }
    guard utf8.count == Address.byteCount * 2 else {
      throw CryptoError.invalidEncoding(
        what: "address \"\(hex)\"", detail: "expected \(Address.byteCount * 2) hex digits, got \(utf8.count)")
    }
    rawRepresentation = Data(hexString: hex)!
  }

  /// 40 lowercase hex digits.
  public var hex: String { rawRepresentation.hexString }
  public var description: String { hex }

  public static func < (lhs: Address, rhs: Address) -> Bool {
    lhs.rawRepresentation.lexicographicallyPrecedes(rhs.rawRepresentation)
  }

  /// Encoded as its hex string.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    try self.init(hex: container.decode(String.self))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hex)
  }
}

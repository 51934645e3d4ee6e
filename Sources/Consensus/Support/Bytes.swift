import ChainCrypto
import Foundation

/// Small byte helpers shared by the state machines.
enum Bytes {
  /// `value` as 8 big-endian bytes.
  static func u64be(_ value: UInt64) -> Data {
    withUnsafeBytes(of: value.bigEndian) { Data($0) }
  }

  /// `value` as 4 big-endian bytes.
  static func u32be(_ value: UInt32) -> Data {
    withUnsafeBytes(of: value.bigEndian) { Data($0) }
  }

  /// The big-endian `UInt64` of the first 8 bytes of `data` (which must hold at least 8).
  static func readU64be(_ data: Data) -> UInt64 {
    data.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
  }

  /// SHA-256 of the concatenation of `parts`, as 32 bytes.
  static func sha256(_ parts: Data...) -> Data {
    SHA256.hash(parts).data
  }

  /// Lowercase hex of `data`.
  static func hex(_ data: Data) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(data.count * 2)
    for byte in data {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// 32 zero bytes: the previous hash of the first block of a chain.
  static let zeroHash = Data(count: 32)

  /// The root of the empty RFC 6962 tree: SHA-256 of the empty string.
  static let emptyTreeRoot = SHA256.hash(Data()).data
}

extension Data {
  /// Lowercase hex, for diagnostics.
  var hexPrefix: String { prefix(6).map { String(format: "%02x", $0) }.joined() }
}

extension Address {
  /// The address of a raw Ed25519 (or simulated) public key: the first 20 bytes of its SHA-256.
  public init(publicKeyBytes: Data) {
    // The prefix of a digest always has 20 bytes.
    try! self.init(rawRepresentation: SHA256.hash(publicKeyBytes).data.prefix(Address.byteCount))
  }

  /// The address in `bytes`, or nil when `bytes` is not 20 bytes long.
  init?(bytes: Data) {
    guard let address = try? Address(rawRepresentation: bytes) else { return nil }
    self = address
  }
}

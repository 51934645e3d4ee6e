import Foundation

extension Data {
  /// Lowercase hexadecimal.
  var hexString: String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(count * 2)
    for byte in self {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes hexadecimal (either case); nil for an odd length or a non-hex character.
  init?(hexString: String) {
    let utf8 = Array(hexString.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
      switch c {
      case 0x30...0x39: c - 0x30
      case 0x61...0x66: c - 0x61 + 10
      case 0x41...0x46: c - 0x41 + 10
      default: nil
      }
    }
    var bytes = [UInt8]()
    bytes.reserveCapacity(utf8.count / 2)
    var index = 0
    while index < utf8.count {
      guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
      index += 2
    }
    self.init(bytes)
  }
}

extension UInt64 {
  /// 8 bytes, big-endian.
  var bigEndianBytes: Data { withUnsafeBytes(of: bigEndian) { Data($0) } }
}

extension UInt32 {
  /// 4 bytes, big-endian.
  var bigEndianBytes: Data { withUnsafeBytes(of: bigEndian) { Data($0) } }
}

extension Data {
  /// The big-endian unsigned integer in bytes `offset..<offset+width` (relative to startIndex).
  func bigEndianInteger<T: FixedWidthInteger & UnsignedInteger>(at offset: Int, as: T.Type) -> T {
    var value: T = 0
    for index in 0..<(T.bitWidth / 8) { value = value << 8 | T(self[startIndex + offset + index]) }
    return value
  }
}

import Foundation

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

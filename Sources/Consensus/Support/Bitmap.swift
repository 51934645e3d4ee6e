import Foundation

/// The wire's bitmaps (`VoteBody.valid`, `TBlock.decision`, `RBlockCertificate.signers`): bit `i` is
/// `(bytes[i / 8] >> (i % 8)) & 1`, in `ceil(n / 8)` bytes whose unused high bits are zero.
public enum Bitmap {
  /// The bytes of `bits`.
  public static func encode(_ bits: [Bool]) -> Data {
    var bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
    for (index, bit) in bits.enumerated() where bit {
      bytes[index / 8] |= UInt8(1) << UInt8(index % 8)
    }
    return Data(bytes)
  }

  /// The `count` bits of `data`, or nil when `data` is not exactly `ceil(count / 8)` bytes or sets a bit
  /// at or above `count`.
  public static func decode(_ data: Data, count: Int) -> [Bool]? {
    guard count >= 0, data.count == (count + 7) / 8 else { return nil }
    let bytes = [UInt8](data)
    var bits = [Bool](repeating: false, count: count)
    for index in 0..<count {
      bits[index] = (bytes[index / 8] >> UInt8(index % 8)) & 1 == 1
    }
    if count % 8 != 0, let last = bytes.last, last >> UInt8(count % 8) != 0 { return nil }
    return bits
  }
}

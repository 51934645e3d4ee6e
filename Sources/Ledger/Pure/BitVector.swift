import Foundation

/// A bit vector in the wire's bit order (VoteBody.valid, TBlock.decision, RBlockCertificate.signers):
/// bit i is `(bytes[i / 8] >> (i % 8)) & 1`, in ceil(count / 8) bytes whose unused high bits are zero.
public struct BitVector: Sendable, Hashable, CustomStringConvertible {
  /// The number of bits.
  public let count: Int
  /// The packed bytes.
  public private(set) var bytes: Data

  /// `count` zero bits.
  public init(count: Int) {
    self.count = count
    bytes = Data(count: (count + 7) / 8)
  }

  /// The bits of `bools`, in order.
  public init(_ bools: [Bool]) {
    self.init(count: bools.count)
    for (index, bit) in bools.enumerated() where bit { self[index] = true }
  }

  /// Reads `count` bits from `bytes`; nil when the length is not ceil(count / 8) or an unused high
  /// bit is set.
  public init?(bytes: Data, count: Int) {
    guard count >= 0, bytes.count == (count + 7) / 8 else { return nil }
    if count % 8 != 0, let last = bytes.last, last >> UInt8(count % 8) != 0 { return nil }
    self.count = count
    self.bytes = Data(bytes)
  }

  /// Bit `index`.
  public subscript(index: Int) -> Bool {
    get {
      precondition(index >= 0 && index < count, "bit \(index) outside \(count) bits")
      return bytes[bytes.startIndex + index / 8] >> UInt8(index % 8) & 1 == 1
    }
    set {
      precondition(index >= 0 && index < count, "bit \(index) outside \(count) bits")
      let position = bytes.startIndex + index / 8
      let mask = UInt8(1) << UInt8(index % 8)
      if newValue { bytes[position] |= mask } else { bytes[position] &= ~mask }
    }
  }

  /// The number of set bits.
  public var popCount: Int { bytes.reduce(0) { $0 + $1.nonzeroBitCount } }

  /// The bits as booleans.
  public var bools: [Bool] { (0..<count).map { self[$0] } }

  /// The bits as a string of 0 and 1, bit 0 first.
  public var description: String { String(bools.map { $0 ? "1" : "0" }) }
}

import Foundation

/// Lists the field numbers of the top-level fields of a protobuf message, in order of occurrence
/// (a field that occurs twice is listed twice).
///
/// Decoders merge repeated occurrences of a message field and keep the last member of a oneof, so
/// "exactly one payload" can only be checked on the bytes. Used on bytes that already decoded as the
/// message, so the tag/length structure is known to be well formed; returns nil if it is not.
enum FieldScanner {
  static func fieldNumbers(_ bytes: Data) -> [UInt64]? {
    bytes.withUnsafeBytes { buffer -> [UInt64]? in
      var numbers: [UInt64] = []
      var position = 0
      let end = buffer.count
      func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 64 {
          let byte = buffer[position]
          position += 1
          value |= UInt64(byte & 0x7f) << shift
          if byte & 0x80 == 0 { return value }
          shift += 7
        }
        return nil
      }
      while position < end {
        guard let tag = varint() else { return nil }
        numbers.append(tag >> 3)
        switch tag & 7 {
        case 0: guard varint() != nil else { return nil }
        case 1: position += 8
        case 2:
          guard let length = varint(), length <= UInt64(end - position) else { return nil }
          position += Int(length)
        case 5: position += 4
        default: return nil
        }
        guard position <= end else { return nil }
      }
      return numbers
    }
  }
}

extension FieldScanner {
  /// The field number and value length of the first top-level field of a length-delimited kind, or nil.
  static func firstLengthDelimited(_ bytes: Data) -> (number: UInt64, length: Int)? {
    bytes.withUnsafeBytes { buffer -> (UInt64, Int)? in
      var position = 0
      func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < buffer.count, shift < 64 {
          let byte = buffer[position]
          position += 1
          value |= UInt64(byte & 0x7f) << shift
          if byte & 0x80 == 0 { return value }
          shift += 7
        }
        return nil
      }
      guard let tag = varint(), tag & 7 == 2, let length = varint(), length <= UInt64(buffer.count - position)
      else { return nil }
      return (tag >> 3, Int(length))
    }
  }
}
